package dispatch

import (
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/silence"
)

// TestSilenceByTag: a silence on the tags label mutes the alerts of the
// rules that carry the tag (Input.Rules' tags), and no other.
func TestSilenceByTag(t *testing.T) {
	a := mk("a", "r1", "high", alert.StatusOpen, 1, 0)
	b := mk("b", "r2", "high", alert.StatusOpen, 1, 0)
	ss := []silence.Silence{mustSilence(t, "s-tag", 0, time.Hour, `tags=~".*recon.*"`)}
	p := Dispatch(testTree(t), Input{Now: t0, Alerts: []alert.Alert{a, b}, Silences: ss, Integrations: integrations, Flush: true,
		Rules: map[string]RuleInfo{"r1": {Tags: []string{"scan", "recon"}}, "r2": {Tags: []string{"intel"}}}})
	if p.Silenced != 1 || len(p.SilencedBy["a"]) != 1 || len(p.SilencedBy["b"]) != 0 {
		t.Errorf("silenced %d, by %v; want a only", p.Silenced, p.SilencedBy)
	}
	for _, n := range p.Notifications {
		if len(n.AlertIDs) != 1 || n.AlertIDs[0] != "b" {
			t.Errorf("notification %s carries %v, want b only", n.Integration, n.AlertIDs)
		}
	}
}
