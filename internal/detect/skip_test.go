package detect

import (
	"reflect"
	"testing"

	"github.com/homesoc/homesoc/internal/rules"
)

func TestRunnable(t *testing.T) {
	plain := &rules.Rule{ID: "plain"}
	geo := &rules.Rule{ID: "geo", Requires: []string{"geoip"}}
	tests := []struct {
		name    string
		have    map[string]bool
		run     []*rules.Rule
		skipped []RuleResult
	}{
		{"no geoip", nil, []*rules.Rule{plain},
			[]RuleResult{{Rule: "geo", UpToDate: true, Skipped: "needs a GeoIP database: --geoip-db FILE or HOMESOC_GEOIP_DB"}}},
		{"geoip", map[string]bool{"geoip": true}, []*rules.Rule{plain, geo}, nil},
	}
	for _, tt := range tests {
		run, skipped := Runnable([]*rules.Rule{plain, geo}, tt.have)
		if !reflect.DeepEqual(run, tt.run) || !reflect.DeepEqual(skipped, tt.skipped) {
			t.Errorf("%s: Runnable = %v, %+v; want %v, %+v", tt.name, run, skipped, tt.run, tt.skipped)
		}
	}
	res := Result{Rules: []RuleResult{{Rule: "plain"}}}
	_, skipped := Runnable([]*rules.Rule{geo}, nil)
	res.AddSkipped(skipped)
	if res.Skipped != 1 || len(res.Rules) != 2 || res.Rules[1].Skipped == "" {
		t.Errorf("AddSkipped: %+v", res)
	}
}
