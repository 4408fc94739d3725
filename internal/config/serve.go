package config

// Serve configures homesoc serve. Its flags win over it; an address left
// out takes serve's default, and an empty string ("") disables a listener.
type Serve struct {
	// HTTP is the API's address; default 127.0.0.1:8478.
	HTTP *string `yaml:"http" json:"http"`
	// Token is the API's bearer token; default $HOMESOC_TOKEN, else one
	// serve makes and keeps in <data>/api-token (mode 0600).
	Token Secret `yaml:"token" json:"token"`
	// Syslog are the syslog listeners (serve_syslog.go); left out: UDP and
	// TCP on 127.0.0.1:5514, formats detected per sender.
	Syslog []SyslogListener `yaml:"syslog" json:"syslog"`
	// Files are the files serve tails (serve_files.go).
	Files []FileSource `yaml:"files" json:"files"`
	// Flows are the NetFlow/IPFIX and sFlow listeners (serve_flow.go).
	Flows []FlowListener `yaml:"flows" json:"flows"`
	// Detect is how often the rules run over new data; default 1m.
	Detect Duration `yaml:"detect" json:"detect_s"`
	// Exposure is how often the exposure chain (exposure run) runs, which
	// scans the suspects' routers; left out: 24h; 0s: never.
	Exposure *Duration `yaml:"exposure" json:"exposure_s"`
}

// checkServe adds the errors of the serve section.
func (p *parser) checkServe(s *Serve) {
	if s.Detect < 0 || s.Exposure != nil && *s.Exposure < 0 {
		p.add(0, "serve: detect and exposure must not be negative")
	}
	for i := range s.Syslog {
		p.checkSyslogListener(i, &s.Syslog[i])
	}
	for i := range s.Files {
		p.checkFileSource(i, &s.Files[i])
	}
	for i := range s.Flows {
		p.checkFlowListener(i, &s.Flows[i])
	}
}
