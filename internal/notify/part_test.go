package notify

import "testing"

func TestTitlePart(t *testing.T) {
	two := []Alert{{Title: "Contact"}, {Title: "Scan"}}
	for _, tc := range []struct {
		m    Message
		want string
	}{
		{Message{Status: StatusFiring, Alerts: two, GroupLabels: map[string]string{"rule": "r"}, Part: 2, Parts: 3},
			"[FIRING:2] rule=r: Contact (+1 more) (part 2/3)"},
		{Message{Status: StatusResolved, Alerts: two[:1], Part: 3, Parts: 3}, "[RESOLVED] Contact (part 3/3)"},
		{Message{Status: StatusFiring, Alerts: two[:1], Part: 1, Parts: 1}, "[FIRING] Contact"},
		{Message{Status: StatusFiring, Alerts: two[:1]}, "[FIRING] Contact"},
	} {
		if got := tc.m.Title(); got != tc.want {
			t.Errorf("Title() = %q, want %q", got, tc.want)
		}
	}
}

func TestIntegrationKind(t *testing.T) {
	for in, want := range map[string]string{
		"soc-pager/pagerduty/0": "pagerduty", "a/b/webhook/12": "webhook", "soc/jsonl": "", "soc": "", "": "",
	} {
		if got := IntegrationKind(in); got != want {
			t.Errorf("IntegrationKind(%q) = %q, want %q", in, got, want)
		}
	}
}
