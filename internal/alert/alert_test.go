package alert

import "testing"

func TestIdentity(t *testing.T) {
	by := []string{"host", "indicator"}
	a := Identity("ioc-contact", by, map[string]string{"host": "192.168.1.23", "indicator": "198.51.100.77", "events": "2"})
	for _, tc := range []struct {
		name   string
		rule   string
		values map[string]string
		same   bool
	}{
		{"other columns do not count", "ioc-contact", map[string]string{"host": "192.168.1.23", "indicator": "198.51.100.77", "events": "9"}, true},
		{"another host", "ioc-contact", map[string]string{"host": "192.168.1.24", "indicator": "198.51.100.77"}, false},
		{"another rule", "port-scan-burst", map[string]string{"host": "192.168.1.23", "indicator": "198.51.100.77"}, false},
		{"values cannot shift between columns", "ioc-contact", map[string]string{"host": "192.168.1.23\x00indicator=198", "indicator": ".51.100.77"}, false},
	} {
		if got := Identity(tc.rule, by, tc.values); (got == a) != tc.same {
			t.Errorf("%s: identity %s vs %s, want same=%v", tc.name, got, a, tc.same)
		}
	}
}
