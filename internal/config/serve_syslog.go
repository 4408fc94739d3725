package config

import (
	"net"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/homesoc/homesoc/internal/parse"
)

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

	line int
}

// UnmarshalYAML reads a syslog listener and remembers its line.
func (l *SyslogListener) UnmarshalYAML(n *yaml.Node) error {
	type plain SyslogListener
	err := n.Decode((*plain)(l))
	l.line = n.Line
	return err
}

// checkSyslogListener adds the errors of syslog listener i.
func (p *parser) checkSyslogListener(i int, l *SyslogListener) {
	what := "serve: syslog listener " + strconv.Itoa(i+1)
	scheme, addr, ok := strings.Cut(l.Listen, "://")
	switch {
	case l.Listen == "":
		p.add(l.line, "%s has no listen address (udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT)", what)
	case !ok || (scheme != "udp" && scheme != "tcp" && scheme != "tls"):
		p.add(l.line, "%s: listen %q must be udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT", what, l.Listen)
	default:
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
			p.add(l.line, "%s: listen %q: %q is not HOST:PORT", what, l.Listen, addr)
		}
	}
	if scheme == "tls" && (l.CertFile == "" || l.KeyFile == "") {
		p.add(l.line, "%s: a tls:// listener needs cert_file and key_file", what)
	}
	if scheme != "tls" && (l.CertFile != "" || l.KeyFile != "") {
		p.add(l.line, "%s: cert_file and key_file are for tls:// listeners only", what)
	}
	if l.Format != "" && l.Format != "auto" {
		if _, err := parse.Lookup(l.Format); err != nil {
			p.add(l.line, "%s: %v, or auto", what, err)
		}
	}
}
