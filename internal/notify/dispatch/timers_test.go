package dispatch

import (
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify"
)

const keyR1 = `top route/soc/{rule="r1"}`

// step is one Dispatch call of a sequence: the alerts at Now, and what the
// plan must say.
type step struct {
	at      time.Duration
	alerts  []alert.Alert
	want    []string // summarize
	nextDue time.Duration
	noDue   bool // NextDue zero
	groups  int  // len(Plan.Groups)
}

// run feeds each step's plan's groups into the next step.
func run(t *testing.T, steps []step, silences func(at time.Duration) Input) {
	t.Helper()
	tr := testTree(t)
	var log []notify.GroupState
	for i, s := range steps {
		in := Input{}
		if silences != nil {
			in = silences(s.at)
		}
		in.Now, in.Alerts, in.Groups, in.Integrations = t0.Add(s.at), s.alerts, log, integrations
		p := Dispatch(tr, in)
		eqLines(t, "step "+s.at.String(), summarize(p), s.want)
		switch {
		case s.noDue && !p.NextDue.IsZero():
			t.Errorf("step %d (%s): NextDue %s, want none", i, s.at, p.NextDue)
		case !s.noDue && !p.NextDue.Equal(t0.Add(s.nextDue)):
			t.Errorf("step %d (%s): NextDue %s, want +%s", i, s.at, p.NextDue.Sub(t0), s.nextDue)
		}
		if len(p.Groups) != s.groups {
			t.Errorf("step %d (%s): %d groups saved, want %d", i, s.at, len(p.Groups), s.groups)
		}
		log = merge(log, p)
	}
}

func TestTimers(t *testing.T) {
	a1 := mk("a", "r1", "high", alert.StatusOpen, 1, -time.Minute)
	b1 := mk("b", "r1", "high", alert.StatusOpen, 1, -2*time.Minute)
	a2 := mk("a", "r1", "high", alert.StatusOpen, 2, 50*time.Second)
	bAck := with(b1, alert.StatusAcknowledged, 6*time.Minute)
	aRes := with(a2, alert.StatusResolved, 4*time.Hour+11*time.Minute)
	bRes := with(bAck, alert.StatusResolved, 4*time.Hour+11*time.Minute)
	aReopen := with(aRes, alert.StatusOpen, 9*time.Hour)
	run(t, []step{
		// a new group waits group_wait (30s) from when it is first seen
		{at: 0, alerts: []alert.Alert{a1}, want: []string{}, nextDue: 30 * time.Second, groups: 1},
		{at: 10 * time.Second, alerts: []alert.Alert{a1, b1}, want: []string{}, nextDue: 30 * time.Second},
		// due: both, latest last seen first
		{at: 30 * time.Second, alerts: []alert.Alert{a1, b1}, want: both(keyR1, "a new, b new"), nextDue: 30*time.Second + 4*time.Hour, groups: 1},
		// nothing changed: the repeat is 4h away
		{at: 40 * time.Second, alerts: []alert.Alert{a1, b1}, want: []string{}, nextDue: 30*time.Second + 4*time.Hour},
		// a changed: group_interval (5m) after the last message
		{at: time.Minute, alerts: []alert.Alert{a2, b1}, want: []string{}, nextDue: 5*time.Minute + 30*time.Second},
		{at: 5*time.Minute + 30*time.Second, alerts: []alert.Alert{a2, b1}, want: both(keyR1, "a updated, b unchanged"),
			nextDue: 4*time.Hour + 5*time.Minute + 30*time.Second, groups: 1},
		// an operator acknowledged b: sent at once, not after group_interval
		{at: 6 * time.Minute, alerts: []alert.Alert{a2, bAck}, want: both(keyR1, "a unchanged, b acknowledged"),
			nextDue: 4*time.Hour + 6*time.Minute, groups: 1},
		{at: 10*time.Minute + 30*time.Second, alerts: []alert.Alert{a2, bAck}, want: []string{}, nextDue: 4*time.Hour + 6*time.Minute},
		// the repeat: everything unchanged
		{at: 4*time.Hour + 6*time.Minute, alerts: []alert.Alert{a2, bAck}, want: both(keyR1, "a unchanged, b unchanged"),
			nextDue: 8*time.Hour + 6*time.Minute, groups: 1},
		// an operator resolves both: one resolved message at once
		{at: 4*time.Hour + 11*time.Minute, alerts: []alert.Alert{aRes, bRes}, want: []string{
			"soc/jsonl/0 " + keyR1 + " resolved: a resolved, b resolved",
			"soc/webhook/0 " + keyR1 + " resolved: a resolved, b resolved",
		}, noDue: true, groups: 1},
		// resolved and told: nothing more, no repeat
		{at: 8*time.Hour + 20*time.Minute, alerts: []alert.Alert{aRes, bRes}, want: []string{}, noDue: true},
		// an operator reopens a: sent at once
		{at: 9 * time.Hour, alerts: []alert.Alert{aReopen}, want: both(keyR1, "a reopened"),
			nextDue: 13 * time.Hour, groups: 1},
	}, nil)
}

// TestCriticalRoute: a critical alert goes to the pager route only (it
// continues, but no sibling after it matches, and a parent is where an alert
// stops only when no child took it), grouped and timed by that route.
func TestCriticalRoute(t *testing.T) {
	c := mk("c", "r2", "critical", alert.StatusOpen, 1, 0)
	c.Group["device_id"] = "dev-1"
	run(t, []step{
		{at: 0, alerts: []alert.Alert{c}, want: []string{}, nextDue: 10 * time.Second, groups: 1},
		{at: 10 * time.Second, alerts: []alert.Alert{c}, want: []string{
			`pager/pagerduty/0 route 1/pager/{device_id="dev-1"} firing: c new`,
		}, nextDue: 4*time.Hour + 10*time.Second, groups: 1},
	}, nil)
}

func TestChange(t *testing.T) {
	open := mk("a", "r1", "high", alert.StatusOpen, 2, 0)
	fpOpen := AlertFingerprint(open)
	if fpOpen != "open/2/2026-11-28T02:00:00Z" {
		t.Errorf("fingerprint %q", fpOpen)
	}
	older := mk("a", "r1", "high", alert.StatusOpen, 1, -time.Minute)
	ack := with(open, alert.StatusAcknowledged, 0)
	res := with(open, alert.StatusResolved, 0)
	tests := []struct {
		name   string
		a      alert.Alert
		prev   string
		inPrev bool
		want   string
	}{
		{"new", open, "", false, notify.ChangeNew},
		{"resolved never told firing: not sent", res, "", false, ""},
		{"unchanged", open, fpOpen, true, notify.ChangeNone},
		{"more evidence", open, AlertFingerprint(older), true, notify.ChangeUpdated},
		{"acknowledged", ack, fpOpen, true, notify.ChangeAcknowledged},
		{"acknowledged then reopened", open, AlertFingerprint(ack), true, notify.ChangeReopened},
		{"resolved", res, fpOpen, true, notify.ChangeResolved},
		{"resolved from acknowledged", res, AlertFingerprint(ack), true, notify.ChangeResolved},
		{"resolved and told: not sent", res, AlertFingerprint(res), true, ""},
		{"reopened", open, AlertFingerprint(res), true, notify.ChangeReopened},
		{"acknowledged a resolved one: reopened", ack, AlertFingerprint(res), true, notify.ChangeReopened},
	}
	for _, tc := range tests {
		if got := change(&tc.a, AlertFingerprint(tc.a), tc.prev, tc.inPrev); got != tc.want {
			t.Errorf("%s: change %q, want %q", tc.name, got, tc.want)
		}
	}
}

// both is a firing message of group key to soc's two integrations.
func both(key, alerts string) []string {
	return []string{
		"soc/jsonl/0 " + key + " firing: " + alerts,
		"soc/webhook/0 " + key + " firing: " + alerts,
	}
}
