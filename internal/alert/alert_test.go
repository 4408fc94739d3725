package alert

import (
	"testing"
	"time"
)

func TestIdentity(t *testing.T) {
	by := []string{"host", "indicator"}
	a := Identity("ioc-contact", by, map[string]string{"host": "192.168.1.23", "indicator": "198.51.100.77", "events": "2"})
	for _, tc := range []struct {
		name   string
		rule   string
		values map[string]string
		same   bool
	}{
		{"other columns do not count", "ioc-contact", map[string]string{"host": "192.168.1.23", "indicator": "198.51.100.77", "events": "9"}, true},
		{"another host", "ioc-contact", map[string]string{"host": "192.168.1.24", "indicator": "198.51.100.77"}, false},
		{"another rule", "port-scan-burst", map[string]string{"host": "192.168.1.23", "indicator": "198.51.100.77"}, false},
		{"values cannot shift between columns", "ioc-contact", map[string]string{"host": "192.168.1.23\x00indicator=198", "indicator": ".51.100.77"}, false},
	} {
		if got := Identity(tc.rule, by, tc.values); (got == a) != tc.same {
			t.Errorf("%s: identity %s vs %s, want same=%v", tc.name, got, a, tc.same)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func TestApplySteps(t *testing.T) {
	t0 := time.Date(2026, 4, 6, 10, 0, 0, 0, time.UTC)
	at := func(m, s int) time.Time { return t0.Add(time.Duration(m)*time.Minute + time.Duration(s)*time.Second) }
	step := 5 * time.Minute
	for _, tc := range []struct {
		name    string
		stored  time.Time // last_seen of the stored alert
		ds      []time.Time
		step    time.Duration
		changed bool
		count   int64
	}{
		{"same evidence", at(2, 0), []time.Time{at(2, 0)}, step, false, 1},
		{"older evidence in the step of the first: first seen moves back", at(2, 0), []time.Time{at(1, 0)}, step, true, 1},
		{"older evidence in earlier steps counts once a step", at(12, 0), []time.Time{at(1, 0), at(3, 0), at(6, 0)}, step, true, 3},
		{"newer, same step: more of one window", at(2, 0), []time.Time{at(4, 59)}, step, true, 1},
		{"the step's last second is in it", at(2, 0), []time.Time{at(5, 0)}, step, true, 1},
		{"next step", at(2, 0), []time.Time{at(5, 1)}, step, true, 2},
		{"steps of a pass", at(2, 0), []time.Time{at(4, 0), at(7, 0), at(8, 0), at(12, 0)}, step, true, 3},
		{"no step: all newer evidence counts", at(2, 0), []time.Time{at(2, 1)}, 0, true, 2},
	} {
		a := Alert{LastSeen: tc.stored, FirstSeen: tc.stored, Count: 1}
		f := Alert{Detections: tc.ds, Step: tc.step, LastSeen: tc.ds[len(tc.ds)-1], FirstSeen: tc.ds[0], Events: 7}
		if changed := a.Apply(f); changed != tc.changed || a.Count != tc.count {
			t.Errorf("%s: changed %v, count %d; want %v, %d", tc.name, changed, a.Count, tc.changed, tc.count)
		}
		if !a.FirstSeen.Equal(minTime(tc.stored, f.FirstSeen)) {
			t.Errorf("%s: first seen %v, want the earlier of the alert's and the finding's", tc.name, a.FirstSeen)
		}
		if f.LastSeen.After(tc.stored) && (!a.LastSeen.Equal(f.LastSeen) || a.Events != 7) {
			t.Errorf("%s: last seen %v, events %d; want the finding's", tc.name, a.LastSeen, a.Events)
		}
		if !f.LastSeen.After(tc.stored) && !a.LastSeen.Equal(tc.stored) {
			t.Errorf("%s: last seen %v; older evidence must keep the alert's", tc.name, a.LastSeen)
		}
		if again := a.Apply(f); again {
			t.Errorf("%s: the same finding applied again changed the alert (count %d)", tc.name, a.Count)
		}
	}
	opened := Open(Alert{Detections: []time.Time{at(1, 0), at(4, 0), at(6, 0)}, Step: step, LastSeen: at(6, 0)})
	if opened.Count != 2 || opened.Status != "open" || opened.Detections != nil {
		t.Errorf("opened %+v: want count 2 (two steps), open", opened)
	}
}

func TestApplyStatus(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	a := Open(Alert{ID: "x", FirstSeen: t0, LastSeen: t0})
	if a.Status != StatusOpen {
		t.Fatalf("Open: status %q", a.Status)
	}
	// A finding without a status (every rule's) leaves the state alone.
	if a.Apply(Alert{FirstSeen: t0, LastSeen: t0}) || a.Status != StatusOpen {
		t.Fatalf("a finding without status changed the alert: %+v", a)
	}
	later := t0.Add(time.Hour)
	if !a.Apply(Alert{FirstSeen: later, LastSeen: later, Status: StatusResolved, UpdatedAt: later}) ||
		a.Status != StatusResolved || !a.UpdatedAt.Equal(later) {
		t.Fatalf("resolving finding: %+v", a)
	}
	// The same state again is no change, even for the same evidence.
	if a.Apply(Alert{FirstSeen: later, LastSeen: later, Status: StatusResolved}) {
		t.Fatal("resolving a resolved alert again reported a change")
	}
	if !a.Apply(Alert{FirstSeen: later, LastSeen: later, Status: StatusOpen}) || a.Status != StatusOpen {
		t.Fatalf("reopening finding: %+v", a)
	}
	if b := Open(Alert{Status: StatusResolved}); b.Status != StatusResolved {
		t.Fatalf("Open kept status %q, want the finding's", b.Status)
	}
}
