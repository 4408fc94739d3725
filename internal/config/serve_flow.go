package config

import (
	"net"
	"strconv"
)

// FlowListener is a UDP listener for flow exports.
type FlowListener struct {
	// Listen is the UDP address, e.g. 127.0.0.1:2055.
	Listen string `yaml:"listen" json:"listen"`
	// Protocol is netflow (NetFlow v5/v9 and IPFIX, the default) or sflow.
	Protocol string `yaml:"protocol" json:"protocol"`
}

// checkFlowListener adds the errors of flow listener i, and sets its
// protocol's default.
func (p *parser) checkFlowListener(i int, f *FlowListener) {
	switch f.Protocol {
	case "":
		f.Protocol = "netflow"
	case "netflow", "sflow":
	default:
		p.add(0, "serve: flows %d: unknown protocol %q (want netflow or sflow)", i+1, f.Protocol)
	}
	if f.Listen == "" {
		p.add(0, "serve: flows %d: listen is required (HOST:PORT, e.g. 127.0.0.1:2055)", i+1)
		return
	}
	_, port, err := net.SplitHostPort(f.Listen)
	if err != nil {
		p.add(0, "serve: flows %d: listen %q is not HOST:PORT", i+1, f.Listen)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil { // 0: any free port (serve.json says which)
		p.add(0, "serve: flows %d: listen %q: port %q is not a number from 0 to 65535", i+1, f.Listen, port)
	}
}
