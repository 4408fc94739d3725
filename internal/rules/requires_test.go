package rules

import (
	"slices"
	"testing"
)

func TestParseRequires(t *testing.T) {
	head := "-- id: r\n-- title: t\n-- severity: low\n-- window: 1h\n-- group_by: [x]\n"
	tests := []struct {
		name, meta string
		want       []string // Requires when err is ""
		err        string
	}{
		{"none", "", nil, ""},
		{"geoip", "-- requires: [geoip]\n", []string{"geoip"}, ""},
		{"unknown", "-- requires: [geoip, whois]\n", nil,
			`r.sql:6: rule "r": unknown requirement "whois" (known: geoip)`},
		{"twice", "-- requires: [geoip, geoip]\n", nil, `r.sql:6: rule "r": "geoip" twice in requires`},
		{"not a list", "-- requires: geoip\n", nil, "r.sql:6: rule \"r\": cannot unmarshal !!str `geoip` into []string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseRule("r.sql", []byte(head+tt.meta+"SELECT 1 AS x\n"))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v; want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Requires, tt.want) {
				t.Errorf("Requires = %q; want %q", r.Requires, tt.want)
			}
		})
	}
}

func TestMissing(t *testing.T) {
	r := &Rule{Requires: []string{"geoip"}}
	if got := r.Missing(nil); !slices.Equal(got, []string{"geoip"}) {
		t.Errorf("Missing(nil) = %q; want [geoip]", got)
	}
	if got := r.Missing(map[string]bool{"geoip": true}); got != nil {
		t.Errorf("Missing(geoip) = %q; want none", got)
	}
	if got := (&Rule{}).Missing(nil); got != nil {
		t.Errorf("Missing of a rule without requires = %q; want none", got)
	}
	need, ok := Requirement("geoip")
	if !ok || need != "a GeoIP database: --geoip-db FILE or HOMESOC_GEOIP_DB" {
		t.Errorf("Requirement(geoip) = %q, %v", need, ok)
	}
}
