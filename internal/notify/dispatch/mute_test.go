package dispatch

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/exposure"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/silence"
)

func mustSilence(t testing.TB, id string, from, to time.Duration, args ...string) silence.Silence {
	t.Helper()
	ms, err := silence.ParseMatchers(args)
	if err != nil {
		t.Fatal(err)
	}
	return silence.Silence{ID: id, Matchers: ms, Author: "anna", Comment: "maintenance", StartsAt: t0.Add(from), EndsAt: t0.Add(to)}
}

// TestSilenceStopsAndResumes: a silenced alert is not delivered until the
// silence expires; a pending silence mutes nothing yet.
func TestSilenceStopsAndResumes(t *testing.T) {
	a := mk("a", "r1", "high", alert.StatusOpen, 1, 0)
	ss := []silence.Silence{
		mustSilence(t, "s-pending", 2*time.Hour, 3*time.Hour, "rule=r1"),
		mustSilence(t, "s-active", 0, time.Hour, "host=a"),
	}
	in := func(time.Duration) Input { return Input{Silences: ss} }
	run(t, []step{
		// silenced from the start: no group, no timer
		{at: 0, alerts: []alert.Alert{a}, want: []string{}, noDue: true},
		{at: 30 * time.Minute, alerts: []alert.Alert{a}, want: []string{}, noDue: true},
		// s-active expired at 1h: a new group waits group_wait
		{at: time.Hour, alerts: []alert.Alert{a}, want: []string{}, nextDue: time.Hour + 30*time.Second, groups: 1},
		{at: time.Hour + 30*time.Second, alerts: []alert.Alert{a}, want: both(keyR1, "a new"), nextDue: 5*time.Hour + 30*time.Second, groups: 1},
		// s-pending starts at 2h: a's new evidence is not sent
		{at: 2 * time.Hour, alerts: []alert.Alert{mk("a", "r1", "high", alert.StatusOpen, 2, 2*time.Hour)}, want: []string{}, noDue: true},
		{at: 2*time.Hour + 30*time.Minute, alerts: []alert.Alert{mk("a", "r1", "high", alert.StatusOpen, 3, 2*time.Hour+time.Minute)}, want: []string{}, noDue: true},
		// it ends at 3h, and a changed meanwhile: sent at once (group_interval passed)
		{at: 3 * time.Hour, alerts: []alert.Alert{mk("a", "r1", "high", alert.StatusOpen, 3, 2*time.Hour+time.Minute)},
			want: both(keyR1, "a updated"), nextDue: 7 * time.Hour, groups: 1},
	}, in)

	tr := testTree(t)
	p := Dispatch(tr, Input{Now: t0.Add(2 * time.Hour), Alerts: []alert.Alert{a, mk("b", "r1", "high", alert.StatusOpen, 1, 0)},
		Silences: ss, Integrations: integrations})
	if p.Silenced != 2 || p.Inhibited != 0 || !slices.Equal(p.SilencedBy["a"], []string{"s-pending"}) ||
		!slices.Equal(p.SilencedBy["b"], []string{"s-pending"}) {
		t.Errorf("silenced %d inhibited %d by %v", p.Silenced, p.Inhibited, p.SilencedBy)
	}
}

// TestSilencedGroupKeepsState: a group whose alerts are all silenced after
// its message sends nothing (no "resolved"), keeps its state, and when the
// silence ends, an alert that did not change waits for the repeat.
func TestSilencedGroupKeepsState(t *testing.T) {
	a := mk("a", "r1", "high", alert.StatusOpen, 1, 0)
	aRes := with(a, alert.StatusResolved, 20*time.Minute)
	ss := []silence.Silence{mustSilence(t, "s1", 10*time.Minute, time.Hour, "rule=r1")}
	in := func(time.Duration) Input { return Input{Silences: ss} }
	run(t, []step{
		{at: 0, alerts: []alert.Alert{a}, want: []string{}, nextDue: 30 * time.Second, groups: 1},
		{at: 30 * time.Second, alerts: []alert.Alert{a}, want: both(keyR1, "a new"), nextDue: 4*time.Hour + 30*time.Second, groups: 1},
		// silenced, then resolved while silenced: nothing is sent
		{at: 20 * time.Minute, alerts: []alert.Alert{aRes}, want: []string{}, noDue: true},
		// unsilenced: the resolve the receivers never saw is sent at once
		{at: time.Hour, alerts: []alert.Alert{aRes}, want: []string{
			"soc/jsonl/0 " + keyR1 + " resolved: a resolved",
			"soc/webhook/0 " + keyR1 + " resolved: a resolved",
		}, noDue: true, groups: 1},
	}, in)
	run(t, []step{
		{at: 0, alerts: []alert.Alert{a}, want: []string{}, nextDue: 30 * time.Second, groups: 1},
		{at: 30 * time.Second, alerts: []alert.Alert{a}, want: both(keyR1, "a new"), nextDue: 4*time.Hour + 30*time.Second, groups: 1},
		{at: 20 * time.Minute, alerts: []alert.Alert{a}, want: []string{}, noDue: true},
		// unsilenced and unchanged: the receivers still hold it firing; the repeat comes as due
		{at: time.Hour, alerts: []alert.Alert{a}, want: []string{}, nextDue: 4*time.Hour + 30*time.Second},
		{at: 4*time.Hour + 30*time.Second, alerts: []alert.Alert{a}, want: both(keyR1, "a unchanged"), nextDue: 8*time.Hour + 30*time.Second, groups: 1},
	}, in)
}

// inbound is an inbound-from-internet alert as detection stores it: the
// rule's group_by [target, device_id], its columns in the detail, attributed
// to the EDR device.
func inbound(device, target string) alert.Alert {
	g := map[string]string{"target": target, "device_id": device}
	id := alert.Identity("inbound-from-internet", []string{"target", "device_id"}, g)
	return alert.Alert{ID: id, RuleID: "inbound-from-internet", Title: "An endpoint behind NAT accepted a connection from the internet",
		Severity: "high", Group: g, FirstSeen: t0.Add(-2 * time.Hour), LastSeen: t0.Add(-time.Hour), Count: 1, Events: 3, Status: alert.StatusOpen,
		Detail: map[string]string{"target": target, "device_id": device, "hostname": "laptop-1", "local_ip": "192.168.1.20", "os": "Windows 11",
			"log_type": "crowdstrike-fdr", "events": "3", "remote_ip": "8.8.4.4", "sources": "2", "dst_port": "445", "ports": "2"},
		Identity: &identity.Answer{Addr: netip.MustParseAddr("192.168.1.20"), Status: identity.Resolved,
			Candidates: []identity.Candidate{{Source: "edr", User: "anna", DeviceID: device, Hostname: "laptop-1"}}},
		History: []alert.Transition{}}
}

// ticket is the exposure ticket exposure run makes for the device.
func ticket(device, target, status string) alert.Alert {
	tk := exposure.Ticket{ID: alert.Identity(exposure.TicketRule, []string{"device_id", "target"}, map[string]string{"device_id": device, "target": target}),
		Status: status, GlobalIP: netip.MustParseAddr(target), LocalIP: "192.168.1.20", Hostname: "laptop-1", LogType: "crowdstrike-fdr",
		OS: "Windows 11", ScanTime: t0.Add(-30 * time.Minute), DeviceID: device, User: "anna", Rules: []string{"inbound-from-internet"},
		OpenPorts: []exposure.Finding{{Port: 8080, Proto: "tcp", State: "open", Service: "http"}}}
	return tk.Alert(t0.Add(-time.Hour))
}

func TestInhibitDefault(t *testing.T) {
	tr := testTree(t)
	in1 := inbound("aid-1", "81.2.69.142")
	tests := []struct {
		name      string
		alerts    []alert.Alert
		inhibited int
		sent      []string // rules of the alerts in messages
	}{
		{"open ticket of the same device mutes the inbound alert", []alert.Alert{in1, ticket("aid-1", "81.2.69.142", alert.StatusOpen)}, 1, []string{"exposure"}},
		{"even when the ticket scanned another address", []alert.Alert{in1, ticket("aid-1", "81.2.69.100", alert.StatusOpen)}, 1, []string{"exposure"}},
		{"an acknowledged ticket still fires", []alert.Alert{in1, ticket("aid-1", "81.2.69.142", alert.StatusAcknowledged)}, 1, []string{"exposure"}},
		{"a resolved ticket mutes nothing", []alert.Alert{in1, ticket("aid-1", "81.2.69.142", alert.StatusResolved)}, 0, []string{"inbound-from-internet"}},
		{"another device's ticket mutes nothing", []alert.Alert{in1, ticket("aid-2", "81.2.69.142", alert.StatusOpen)}, 0, []string{"exposure", "inbound-from-internet"}},
		{"a ticket without a device mutes nothing", []alert.Alert{inbound("", "81.2.69.142"), ticket("", "81.2.69.142", alert.StatusOpen)}, 0, []string{"exposure", "inbound-from-internet"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Dispatch(tr, Input{Now: t0, Alerts: tc.alerts, Integrations: integrations,
				Groups: nil, Rules: nil})
			if p.Inhibited != tc.inhibited || p.Silenced != 0 {
				t.Errorf("inhibited %d silenced %d, want %d, 0", p.Inhibited, p.Silenced, tc.inhibited)
			}
			// group_wait passes: what is sent
			var log = merge(nil, p)
			p = Dispatch(tr, Input{Now: t0.Add(time.Minute), Alerts: tc.alerts, Integrations: integrations, Groups: log})
			var rules []string
			for _, n := range p.Notifications {
				if n.Integration != "soc/jsonl/0" {
					continue
				}
				for _, a := range n.Message.Alerts {
					rules = append(rules, a.Rule)
				}
			}
			slices.Sort(rules)
			if !slices.Equal(rules, tc.sent) {
				t.Errorf("sent %v, want %v", rules, tc.sent)
			}
		})
	}
}

func TestInhibitRules(t *testing.T) {
	ms := func(args ...string) silence.Matchers {
		m, err := silence.ParseMatchers(args)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	al := func(id, rule, status string, labels ...string) alert.Alert {
		a := alert.Alert{ID: id, RuleID: rule, Status: status, Severity: "high", Group: map[string]string{}}
		for i := 0; i+1 < len(labels); i += 2 {
			a.Group[labels[i]] = labels[i+1]
		}
		return a
	}
	// Alertmanager's classic: critical mutes warning of the same host.
	crit := InhibitRule{SourceMatchers: ms("severity=critical"), TargetMatchers: ms("severity=~critical|high"), Equal: []string{"host"}}
	as := []alert.Alert{
		al("c1", "x", alert.StatusOpen, "host", "h1"), // source and target
		al("w1", "y", alert.StatusOpen, "host", "h1"),
		al("w2", "y", alert.StatusOpen, "host", "h2"),
		al("w3", "y", alert.StatusOpen), // no host: equal to c3's missing host
		al("c3", "x", alert.StatusOpen),
		al("c4", "x", alert.StatusOpen, "host", "h1"), // two-sided: c1 does not mute c4 nor c4 c1
	}
	as[0].Severity, as[4].Severity, as[5].Severity = "critical", "critical", "critical"
	labels := make([]map[string]string, len(as))
	for i := range as {
		labels[i] = as[i].Labels()
	}
	got := inhibited([]InhibitRule{crit}, as, labels)
	want := []bool{false, true, false, true, false, false}
	if !slices.Equal(got, want) {
		t.Errorf("inhibited %v, want %v", got, want)
	}
	// A source alone never mutes itself; a resolved source mutes nothing.
	self := InhibitRule{SourceMatchers: ms("rule=x"), TargetMatchers: ms("rule=x"), Equal: []string{"host"}}
	if got := inhibited([]InhibitRule{self}, as[:1], labels[:1]); got[0] {
		t.Error("an alert inhibited itself")
	}
	as[0].Status = alert.StatusResolved
	if got := inhibited([]InhibitRule{crit}, as[:2], labels[:2]); got[1] {
		t.Error("a resolved source inhibited")
	}
	// Input.Inhibit empty (not nil): no rules at all.
	tr := testTree(t)
	p := Dispatch(tr, Input{Now: t0, Alerts: []alert.Alert{inbound("aid-1", "81.2.69.142"), ticket("aid-1", "81.2.69.142", alert.StatusOpen)},
		Inhibit: []InhibitRule{}})
	if p.Inhibited != 0 {
		t.Errorf("no rules, inhibited %d", p.Inhibited)
	}
}
