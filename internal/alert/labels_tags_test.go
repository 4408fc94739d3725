package alert

import "testing"

// TestLabelsTags: the rule's tags, sorted, deduplicated, joined by commas;
// none given, no tags label; a group column named tags wins.
func TestLabelsTags(t *testing.T) {
	a := Alert{RuleID: "port-scan-burst", Severity: "medium", Status: StatusOpen, Group: map[string]string{"source": "192.0.2.1"}}
	if got := a.Labels("scan", "recon", "scan")["tags"]; got != "recon,scan" {
		t.Errorf("tags = %q, want recon,scan", got)
	}
	if _, ok := a.Labels()["tags"]; ok {
		t.Error("a tags label without tags")
	}
	a.Group["tags"] = "mine"
	if got := a.Labels("scan")["tags"]; got != "mine" {
		t.Errorf("tags = %q, want the group column's", got)
	}
}
