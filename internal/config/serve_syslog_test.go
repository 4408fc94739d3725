package config

import (
	"strings"
	"testing"
)

func TestSyslogListeners(t *testing.T) {
	good := `serve:
  syslog:
    - listen: udp://0.0.0.0:514
    - listen: tcp://[::1]:5514
      format: filterlog
    - listen: tls://127.0.0.1:6514
      format: auto
      cert_file: /etc/homesoc/syslog.pem
      key_file: /etc/homesoc/syslog.key
`
	c, err := Parse("good.yaml", []byte(good), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Serve.Syslog) != 3 || c.Serve.Syslog[1].Format != "filterlog" || c.Serve.Syslog[2].KeyFile != "/etc/homesoc/syslog.key" {
		t.Errorf("syslog listeners %+v", c.Serve.Syslog)
	}

	bad := `serve:
  syslog:
    - listen: 127.0.0.1:514
    - listen: http://127.0.0.1:514
    - listen: udp://127.0.0.1
      format: nosuch
    - listen: tls://127.0.0.1:6514
      cert_file: a.pem
    - format: netfilter
    - listen: tcp://127.0.0.1:5514
      key_file: a.key
`
	_, err = Parse("bad.yaml", []byte(bad), nil)
	if err == nil {
		t.Fatal("parsed, want errors")
	}
	want := []string{
		`bad.yaml:3: serve: syslog listener 1: listen "127.0.0.1:514" must be udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT`,
		`bad.yaml:4: serve: syslog listener 2: listen "http://127.0.0.1:514" must be udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT`,
		`bad.yaml:5: serve: syslog listener 3: listen "udp://127.0.0.1": "127.0.0.1" is not HOST:PORT`,
		`bad.yaml:5: serve: syslog listener 3: unknown format "nosuch" (one of: `,
		`bad.yaml:7: serve: syslog listener 4: a tls:// listener needs cert_file and key_file`,
		`bad.yaml:9: serve: syslog listener 5 has no listen address (udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT)`,
		`bad.yaml:10: serve: syslog listener 6: cert_file and key_file are for tls:// listeners only`,
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(got), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
	if !strings.HasSuffix(got[3], ", or auto") {
		t.Errorf("unknown format error does not offer auto: %s", got[3])
	}
}
