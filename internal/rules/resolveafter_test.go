package rules

import (
	"testing"
	"time"
)

func TestResolveAfter(t *testing.T) {
	const head = "-- id: r\n-- title: t\n-- severity: low\n-- window: 1h\n-- group_by: [host]\n"
	const body = "SELECT 'a' AS host\n"
	for _, c := range []struct {
		meta string
		want time.Duration
		err  string
	}{
		{"", 0, ""},
		{"-- resolve_after: 2h\n", 2 * time.Hour, ""},
		{"-- resolve_after: 7d\n", 7 * 24 * time.Hour, ""},
		{"-- resolve_after: 0s\n", 0, `r.sql:6: rule "r": resolve_after "0s" must be positive`},
		{"-- resolve_after: soon\n", 0, `r.sql:6: rule "r": resolve_after: `},
	} {
		r, err := parseRule("r.sql", []byte(head+c.meta+body))
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.meta, err)
		case c.err != "" && (err == nil || len(err.Error()) < len(c.err) || err.Error()[:len(c.err)] != c.err):
			t.Errorf("%q: error %v, want %s...", c.meta, err, c.err)
		case c.err == "" && r.ResolveAfter != c.want:
			t.Errorf("%q: resolve_after %v, want %v", c.meta, r.ResolveAfter, c.want)
		}
	}
}
