package scan

import (
	"slices"
	"testing"
)

func TestPlan(t *testing.T) {
	names := func(ps []probe) []string {
		var n []string
		for _, p := range ps {
			n = append(n, p.name)
		}
		return n
	}
	others := []string{"http", "tls", "rtsp", "redis", "mqtt", "dns", "postgresql", "rdp", "smb"}
	without := func(name string) []string {
		return slices.DeleteFunc(slices.Clone(others), func(s string) bool { return s == name })
	}
	for _, c := range []struct {
		port       uint16
		fast, rest []string
	}{
		{6379, []string{"redis"}, without("redis")},
		{443, []string{"tls"}, without("tls")},
		{80, []string{"http"}, without("http")},
		{5000, []string{"http"}, without("http")},
		{554, []string{"rtsp"}, without("rtsp")},
		{3389, []string{"rdp"}, without("rdp")},
		{53, []string{"dns"}, without("dns")},
		{9100, []string{"jetdirect"}, nil}, // printers get nothing else
		{9103, []string{"jetdirect"}, nil},
		{12345, nil, others},
	} {
		fast, rest := plan(c.port)
		if !slices.Equal(names(fast), c.fast) || !slices.Equal(names(rest), c.rest) {
			t.Errorf("plan(%d) = %v then %v, want %v then %v", c.port, names(fast), names(rest), c.fast, c.rest)
		}
	}
	seen := map[string]bool{}
	for _, p := range probes {
		if seen[p.name] {
			t.Errorf("probe %q registered twice", p.name)
		}
		seen[p.name] = true
	}
}
