package config

// FlowListener is a UDP listener for flow exports.
type FlowListener struct {
	// Listen is the UDP address, e.g. 127.0.0.1:2055.
	Listen string `yaml:"listen" json:"listen"`
	// Protocol is netflow (NetFlow v5/v9 and IPFIX, the default) or sflow.
	Protocol string `yaml:"protocol" json:"protocol"`
}

// checkFlowListener adds the errors of flow listener i.
func (p *parser) checkFlowListener(i int, f *FlowListener) {}
