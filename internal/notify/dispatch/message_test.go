package dispatch

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/silence"
)

// TestMessage checks one whole message and its notifications.
func TestMessage(t *testing.T) {
	tr := testTree(t)
	tk := ticket("aid-1", "81.2.69.142", alert.StatusOpen)
	tk = with(tk, alert.StatusAcknowledged, -10*time.Minute)
	ioc := mk("ioc", "ioc-contact", "high", alert.StatusOpen, 3, -5*time.Minute)
	low := mk("low", "ioc-contact", "low", alert.StatusOpen, 1, 0)
	// the ticket and ioc share a group by user under this route
	in := Input{Now: t0.Add(1500 * time.Millisecond), Alerts: []alert.Alert{low, tk, ioc}, Integrations: integrations,
		Rules:      map[string]RuleInfo{"ioc-contact": {Description: "Contact with a known-bad address.", Runbook: "1. Isolate."}},
		ConsoleURL: "http://127.0.0.1:8080/", Deadline: 2 * time.Hour}
	p := Dispatch(tr, in)
	if len(p.Notifications) != 0 || len(p.Groups) != 2 {
		t.Fatalf("first pass: %d notifications %d groups", len(p.Notifications), len(p.Groups))
	}
	in.Groups = merge(nil, p)
	in.Now = t0.Add(32*time.Second + 300*time.Millisecond)
	p = Dispatch(tr, in)
	eqLines(t, "messages", summarize(p), []string{
		`soc/jsonl/0 top route/soc/{rule="exposure"} firing: ` + tk.ID + " new",
		`soc/webhook/0 top route/soc/{rule="exposure"} firing: ` + tk.ID + " new",
		`soc/jsonl/0 top route/soc/{rule="ioc-contact"} firing: ioc new, low new`,
		`soc/webhook/0 top route/soc/{rule="ioc-contact"} firing: ioc new, low new`,
	})
	if len(p.Notifications) != 4 {
		t.Fatal("no notifications")
	}
	n := p.Notifications[2]
	created := t0.Add(32 * time.Second) // whole seconds
	lowMsg := notify.Alert{ID: "low", Rule: "ioc-contact", Title: "ioc-contact on low", Severity: "low", State: "open", Change: "new",
		Labels: map[string]string{"host": "low", "rule": "ioc-contact", "severity": "low", "status": "open"},
		Group:  map[string]string{"host": "low"}, FirstSeen: t0.Add(-time.Hour), LastSeen: t0, Count: 1, Events: 1,
		Detail: map[string]string{"host": "low"}, Description: "Contact with a known-bad address.", Runbook: "1. Isolate."}
	iocMsg := lowMsg
	iocMsg.ID, iocMsg.Title, iocMsg.Severity, iocMsg.LastSeen, iocMsg.Count, iocMsg.Events = "ioc", "ioc-contact on ioc", "high", t0.Add(-5*time.Minute), 3, 3
	iocMsg.Labels = map[string]string{"host": "ioc", "rule": "ioc-contact", "severity": "high", "status": "open"}
	iocMsg.Group, iocMsg.Detail = map[string]string{"host": "ioc"}, map[string]string{"host": "ioc"}
	key := `top route/soc/{rule="ioc-contact"}`
	want := notify.Notification{
		ID: n.ID, Integration: "soc/jsonl/0", Receiver: "soc", GroupKey: key, AlertIDs: []string{"ioc", "low"},
		Message: notify.Message{ID: n.Message.ID, Receiver: "soc", Route: "top route", GroupKey: key,
			GroupLabels: map[string]string{"rule": "ioc-contact"}, Status: "firing", Alerts: []notify.Alert{iocMsg, lowMsg},
			ConsoleURL: "http://127.0.0.1:8080/", CreatedAt: created, Part: 1, Parts: 1},
		State: "pending", NextAttempt: in.Now, Deadline: in.Now.Add(2 * time.Hour), CreatedAt: created, UpdatedAt: created,
	}
	if !reflect.DeepEqual(n, want) {
		g, _ := json.MarshalIndent(n, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("notification:\n%s\nwant:\n%s", g, w)
	}
	if n.ID != notify.NotificationID(n.Message.ID, "soc/jsonl/0") || p.Notifications[3].ID != notify.NotificationID(n.Message.ID, "soc/webhook/0") ||
		p.Notifications[3].Message.ID != n.Message.ID {
		t.Error("notification ids are not NotificationID of the one message")
	}
	// The ticket: its rescan command and its last transition.
	m := p.Notifications[0].Message.Alerts[0]
	if m.Rescan != "homesoc exposure rescan "+tk.ID || m.Last == nil || m.Last.State != alert.StatusAcknowledged ||
		m.Last.Author != "anna" || m.State != alert.StatusAcknowledged || m.Change != notify.ChangeNew {
		t.Errorf("ticket in message: rescan %q last %+v state %s change %s", m.Rescan, m.Last, m.State, m.Change)
	}
	// The saved state says what the message said.
	var st notify.GroupState
	for _, s := range p.Groups {
		if s.Key == key {
			st = s
		}
	}
	wantSt := notify.GroupState{Key: key, Receiver: "soc", Labels: map[string]string{"rule": "ioc-contact"}, CreatedAt: t0.Add(1500 * time.Millisecond),
		SentAt: t0.Add(32*time.Second + 300*time.Millisecond), MessageID: n.Message.ID,
		Alerts: map[string]string{"ioc": "open/3/2026-11-28T01:55:00Z", "low": "open/1/2026-11-28T02:00:00Z"}}
	if !reflect.DeepEqual(st, wantSt) {
		t.Errorf("state %+v\nwant %+v", st, wantSt)
	}
	// JSON: [] and {} for none, never null.
	b, err := json.Marshal(Dispatch(tr, Input{Now: t0}))
	if err != nil || string(b) != `{"Notifications":[],"Groups":[],"NextDue":"0001-01-01T00:00:00Z","Silenced":0,"Inhibited":0,"SilencedBy":{}}` {
		t.Errorf("empty plan %s %v", b, err)
	}
}

// TestDeterministicIDs: the same state routed twice (a crash after the
// enqueue, before the notification log was saved) gives the same ids; the
// next message of the group, a different one.
func TestDeterministicIDs(t *testing.T) {
	tr := testTree(t)
	as := []alert.Alert{mk("a", "r1", "high", alert.StatusOpen, 1, 0), mk("b", "r1", "high", alert.StatusOpen, 1, 0)}
	log := merge(nil, Dispatch(tr, Input{Now: t0, Alerts: as, Integrations: integrations}))
	in := Input{Now: t0.Add(time.Minute), Alerts: as, Integrations: integrations, Groups: log}
	p1 := Dispatch(tr, in)
	in.Now = t0.Add(2 * time.Minute) // later, after a restart
	p2 := Dispatch(tr, in)
	ids := func(p Plan) []string {
		var out []string
		for _, n := range p.Notifications {
			out = append(out, n.ID)
		}
		return out
	}
	if len(ids(p1)) != 2 || fmt.Sprint(ids(p1)) != fmt.Sprint(ids(p2)) {
		t.Errorf("ids %v then %v", ids(p1), ids(p2))
	}
	// Alerts in another order: the same message.
	in.Alerts = []alert.Alert{as[1], as[0]}
	if p3 := Dispatch(tr, in); fmt.Sprint(ids(p3)) != fmt.Sprint(ids(p1)) {
		t.Errorf("order changed ids: %v", ids(p3))
	}
	// The repeat after 4h says the same of the alerts, but follows p1's message.
	in.Groups, in.Now = merge(log, p1), t0.Add(time.Minute+4*time.Hour)
	p4 := Dispatch(tr, in)
	if len(p4.Notifications) != 2 || p4.Notifications[0].ID == p1.Notifications[0].ID {
		t.Errorf("repeat ids %v, first %v", ids(p4), ids(p1))
	}
}

// Test10k: 10,000 alerts in 100 groups make one message per group and
// integration, and a second pass at once makes none.
func Test10k(t *testing.T) {
	tr := testTree(t)
	as := alerts10k()
	in := Input{Now: t0, Alerts: as, Integrations: integrations}
	p := Dispatch(tr, in)
	if len(p.Notifications) != 0 || len(p.Groups) != 100 {
		t.Fatalf("first pass: %d notifications, %d groups", len(p.Notifications), len(p.Groups))
	}
	in.Groups, in.Now = merge(nil, p), t0.Add(30*time.Second)
	p = Dispatch(tr, in)
	if len(p.Notifications) != 200 || len(p.Groups) != 100 {
		t.Fatalf("due: %d notifications, %d groups", len(p.Notifications), len(p.Groups))
	}
	seen := map[string]int{}
	total := 0
	for _, n := range p.Notifications {
		seen[n.Integration+" "+n.GroupKey]++
		total += len(n.Message.Alerts)
	}
	if len(seen) != 200 || total != 20000 {
		t.Errorf("%d integration groups, %d alerts in messages", len(seen), total)
	}
	in.Groups, in.Now = merge(in.Groups, p), t0.Add(40*time.Second)
	if p := Dispatch(tr, in); len(p.Notifications) != 0 || len(p.Groups) != 0 {
		t.Errorf("again: %d notifications %d groups", len(p.Notifications), len(p.Groups))
	}
}

func alerts10k() []alert.Alert {
	as := make([]alert.Alert, 10000)
	for i := range as {
		as[i] = mk(fmt.Sprintf("a%05d", i), fmt.Sprintf("rule-%02d", i%100), "high", alert.StatusOpen, int64(i%7+1), time.Duration(i)*time.Second)
	}
	return as
}

// BenchmarkDispatch10k: 10,000 alerts into 100 groups, all due.
func BenchmarkDispatch10k(b *testing.B) {
	tr := testTree(b)
	as := alerts10k()
	p := Dispatch(tr, Input{Now: t0, Alerts: as, Integrations: integrations})
	in := Input{Now: t0.Add(time.Minute), Alerts: as, Integrations: integrations, Groups: merge(nil, p),
		Silences: []silence.Silence{mustSilence(b, "s", -time.Hour, time.Hour, "host=a00001")}}
	b.ReportAllocs()
	for b.Loop() {
		if p := Dispatch(tr, in); len(p.Notifications) != 200 {
			b.Fatalf("%d notifications", len(p.Notifications))
		}
	}
}

// BenchmarkDispatch10kIdle: the same 10,000 alerts when nothing is due, as
// most calls are.
func BenchmarkDispatch10kIdle(b *testing.B) {
	tr := testTree(b)
	as := alerts10k()
	in := Input{Now: t0, Alerts: as, Integrations: integrations}
	p := Dispatch(tr, in)
	in.Groups, in.Now = merge(nil, p), t0.Add(time.Minute)
	in.Groups = merge(in.Groups, Dispatch(tr, in))
	in.Now = t0.Add(2 * time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if p := Dispatch(tr, in); len(p.Notifications) != 0 {
			b.Fatalf("%d notifications", len(p.Notifications))
		}
	}
}
