package config

// SyslogListener is one syslog listener of homesoc serve.
type SyslogListener struct {
	// Listen is udp://ADDR, tcp://ADDR or tls://ADDR.
	Listen string `yaml:"listen" json:"listen"`
	// Format is the parser of every message, or "auto" (the default) to
	// detect it per sender.
	Format string `yaml:"format" json:"format"`
	// CertFile and KeyFile are the PEM certificate and key of a tls:// listener.
	CertFile string `yaml:"cert_file" json:"cert_file"`
	KeyFile  string `yaml:"key_file" json:"key_file"`
}

// checkSyslogListener adds the errors of syslog listener i.
func (p *parser) checkSyslogListener(i int, l *SyslogListener) {}
