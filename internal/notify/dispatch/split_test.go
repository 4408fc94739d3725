package dispatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify"
)

// TestPagerDutyPerAlert: a PagerDuty integration gets one notification per
// alert that needs an event; another integration of the same receiver gets
// the group's one message.
func TestPagerDutyPerAlert(t *testing.T) {
	tr := testTree(t)
	a := mk("a", "ioc-contact", "critical", alert.StatusOpen, 1, 0)
	b := mk("b", "ioc-contact", "critical", alert.StatusOpen, 1, -time.Minute)
	c := mk("c", "ioc-contact", "critical", alert.StatusOpen, 1, -2*time.Minute)
	in := Input{Now: t0, Alerts: []alert.Alert{a, b, c}, Flush: true,
		Integrations: map[string][]string{"pager": {"pager/pagerduty/0", "pager/webhook/0"}}}
	key := "route 1/pager/{}"
	p := Dispatch(tr, in)
	eqLines(t, "first message", summarize(p), []string{
		"pager/pagerduty/0 " + key + " firing: a new",
		"pager/pagerduty/0 " + key + " firing: b new",
		"pager/pagerduty/0 " + key + " firing: c new",
		"pager/webhook/0 " + key + " firing: a new, b new, c new",
	})
	checkIDs(t, p)

	// b got a new event: PagerDuty hears of b alone, the webhook of all.
	in.Groups = merge(nil, p)
	in.Now = t0.Add(6 * time.Minute)
	b.Count, b.LastSeen = 2, t0.Add(time.Minute)
	in.Alerts = []alert.Alert{a, b, c}
	p = Dispatch(tr, in)
	eqLines(t, "one alert changed", summarize(p), []string{
		"pager/pagerduty/0 " + key + " firing: b updated",
		"pager/webhook/0 " + key + " firing: b updated, a unchanged, c unchanged",
	})
	checkIDs(t, p)
	if ids := p.Notifications[0].AlertIDs; len(ids) != 1 || ids[0] != "b" {
		t.Errorf("PagerDuty notification's alert ids %v, want [b]", ids)
	}

	// The repeat: every firing alert is triggered again.
	in.Groups = merge(in.Groups, p)
	in.Now = in.Now.Add(4 * time.Hour)
	p = Dispatch(tr, in)
	eqLines(t, "repeat", summarize(p), []string{
		"pager/pagerduty/0 " + key + " firing: b unchanged",
		"pager/pagerduty/0 " + key + " firing: a unchanged",
		"pager/pagerduty/0 " + key + " firing: c unchanged",
		"pager/webhook/0 " + key + " firing: b unchanged, a unchanged, c unchanged",
	})
	checkIDs(t, p)

	// An operator resolves a: PagerDuty gets its resolve only, as a
	// resolved message.
	in.Groups = merge(in.Groups, p)
	in.Alerts = []alert.Alert{with(a, alert.StatusResolved, 4*time.Hour+7*time.Minute), b, c}
	in.Now = t0.Add(4*time.Hour + 7*time.Minute)
	p = Dispatch(tr, in)
	eqLines(t, "resolve", summarize(p), []string{
		"pager/pagerduty/0 " + key + " resolved: a resolved",
		"pager/webhook/0 " + key + " firing: b unchanged, a resolved, c unchanged",
	})
}

// checkIDs checks that every notification of p has its own id, made of its
// own message's id, and that messages differ between notifications of one
// integration.
func checkIDs(t *testing.T, p Plan) {
	t.Helper()
	seen, msgs := map[string]bool{}, map[string]bool{}
	for _, n := range p.Notifications {
		if n.ID != notify.NotificationID(n.Message.ID, n.Integration) {
			t.Errorf("%s: id %s is not NotificationID of its message %s", n.Integration, n.ID, n.Message.ID)
		}
		if seen[n.ID] || msgs[n.Integration+" "+n.Message.ID] {
			t.Errorf("%s: id %s or message %s twice", n.Integration, n.ID, n.Message.ID)
		}
		seen[n.ID], msgs[n.Integration+" "+n.Message.ID] = true, true
		if n.Message.Part != 1 && n.Message.Parts == 1 {
			t.Errorf("%s: part %d/%d", n.Integration, n.Message.Part, n.Message.Parts)
		}
	}
}

// TestSplit: 250 alerts of one group are three messages of 100, 100 and 50,
// every alert in exactly one, in message order, for each integration.
func TestSplit(t *testing.T) {
	tr := testTree(t)
	var as []alert.Alert
	for i := range 250 {
		as = append(as, mk(fmt.Sprintf("a%03d", i), "r", "low", alert.StatusOpen, 1, -time.Duration(i)*time.Second))
	}
	in := Input{Now: t0, Alerts: as, Flush: true, Integrations: integrations}
	p := Dispatch(tr, in)
	if len(p.Notifications) != 6 {
		t.Fatalf("%d notifications, want 6 (3 parts, 2 integrations)", len(p.Notifications))
	}
	checkIDs(t, p)
	var got []string
	for i, n := range p.Notifications {
		want := []int{100, 100, 50}[i%3]
		if len(n.Message.Alerts) != want || len(n.AlertIDs) != want || n.Message.Part != i%3+1 || n.Message.Parts != 3 {
			t.Errorf("notification %d (%s): %d alerts, part %d/%d; want %d, part %d/3",
				i, n.Integration, len(n.Message.Alerts), n.Message.Part, n.Message.Parts, want, i%3+1)
		}
		if wi := []string{"soc/jsonl/0", "soc/webhook/0"}[i/3]; n.Integration != wi {
			t.Errorf("notification %d: integration %s, want %s", i, n.Integration, wi)
		}
		if i < 3 {
			got = append(got, n.AlertIDs...)
		}
	}
	if len(got) != 250 {
		t.Fatalf("%d alerts in the parts, want 250", len(got))
	}
	for i, id := range got {
		if want := fmt.Sprintf("a%03d", i); id != want {
			t.Fatalf("alert %d of the parts is %s, want %s", i, id, want)
		}
	}
	if title, want := p.Notifications[1].Message.Title(), "[FIRING:100] rule=r: r on a100 (+99 more) (part 2/3)"; title != want {
		t.Errorf("title %q, want %q", title, want)
	}
	if title, want := p.Notifications[5].Message.Title(), "[FIRING:50] rule=r: r on a200 (+49 more) (part 3/3)"; title != want {
		t.Errorf("title %q, want %q", title, want)
	}
	if len(p.Groups) != 1 || len(p.Groups[0].Alerts) != 250 || p.Groups[0].MessageID == p.Notifications[0].Message.ID {
		t.Errorf("group state: %d groups, %d alerts, message %s (part 1 is %s)", len(p.Groups), len(p.Groups[0].Alerts),
			p.Groups[0].MessageID, p.Notifications[0].Message.ID)
	}
	// Routed again (a crash before the log was saved): the same ids.
	again := Dispatch(tr, in)
	for i := range again.Notifications {
		if again.Notifications[i].ID != p.Notifications[i].ID {
			t.Errorf("notification %d: id %s routed again, was %s", i, again.Notifications[i].ID, p.Notifications[i].ID)
		}
	}
	// 100 alerts are one message, as before.
	in.Alerts = as[:100]
	p = Dispatch(tr, in)
	if len(p.Notifications) != 2 || p.Notifications[0].Message.Parts != 1 || len(p.Notifications[0].AlertIDs) != 100 ||
		p.Notifications[0].Message.ID != p.Groups[0].MessageID {
		t.Errorf("100 alerts: %d notifications, parts %d", len(p.Notifications), p.Notifications[0].Message.Parts)
	}
}
