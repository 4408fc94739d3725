package alert

import (
	"reflect"
	"testing"
	"time"
)

func TestLifecycle(t *testing.T) {
	t0 := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	ack := t0.Add(time.Hour)
	a := Open(Alert{ID: "a1", RuleID: "r", FirstSeen: t0, LastSeen: t0, UpdatedAt: t0})
	if a.History == nil || len(a.History) != 0 {
		t.Fatalf("Open: history %#v, want []", a.History)
	}
	if ok, err := a.Move(Transition{State: StatusAcknowledged, Author: "anna", At: ack.Add(300 * time.Millisecond), Comment: "mine", By: ByOperator}); !ok || err != nil {
		t.Fatalf("ack: %v %v", ok, err)
	}
	if ok, err := a.Move(Transition{State: StatusAcknowledged, Author: "bob", At: ack, By: ByOperator}); ok || err != nil {
		t.Fatalf("second ack: %v %v, want false, nil", ok, err)
	}
	// New evidence leaves an acknowledged alert acknowledged.
	later := t0.Add(2 * time.Hour)
	if !a.Apply(Alert{FirstSeen: later, LastSeen: later, UpdatedAt: later}) || a.Status != StatusAcknowledged || a.Count != 2 || !a.LastSeen.Equal(later) {
		t.Fatalf("evidence on acknowledged: %+v", a)
	}
	// So does an exposure ticket's rescan that finds it still open.
	if a.Apply(Alert{FirstSeen: later, LastSeen: later, Status: StatusOpen, UpdatedAt: later}) || a.Status != StatusAcknowledged {
		t.Fatalf("rescan still open: %q", a.Status)
	}
	res := t0.Add(3 * time.Hour)
	if ok, _ := a.Move(Transition{State: StatusResolved, At: res, By: ByOperator}); !ok {
		t.Fatal("resolve: no change")
	}
	if _, err := a.Move(Transition{State: "closed"}); err == nil || err.Error() != `unknown alert state "closed" (want open, acknowledged or resolved)` {
		t.Fatalf("bad state: %v", err)
	}
	// The same evidence again does not reopen; newer evidence does, by detect.
	if a.Apply(Alert{FirstSeen: later, LastSeen: later, UpdatedAt: res}) || a.Status != StatusResolved {
		t.Fatalf("old evidence reopened: %q", a.Status)
	}
	newer := t0.Add(4 * time.Hour)
	if !a.Apply(Alert{FirstSeen: newer, LastSeen: newer, UpdatedAt: newer}) || a.Status != StatusOpen {
		t.Fatalf("new evidence on resolved: %q", a.Status)
	}
	// A rescan resolves and reopens, by rescan.
	a.Apply(Alert{FirstSeen: newer, LastSeen: newer, Status: StatusResolved, UpdatedAt: newer.Add(time.Hour)})
	a.Apply(Alert{FirstSeen: newer, LastSeen: newer, Status: StatusOpen, UpdatedAt: newer.Add(2 * time.Hour)})
	want := []Transition{
		{State: StatusAcknowledged, Author: "anna", At: ack, Comment: "mine", By: ByOperator},
		{State: StatusResolved, Author: DefaultAuthor, At: res, By: ByOperator},
		{State: StatusOpen, Author: DefaultAuthor, At: newer, Comment: "new evidence", By: ByDetect},
		{State: StatusResolved, Author: DefaultAuthor, At: newer.Add(time.Hour), Comment: "rescan found every port closed", By: ByRescan},
		{State: StatusOpen, Author: DefaultAuthor, At: newer.Add(2 * time.Hour), Comment: "rescan found ports open again", By: ByRescan},
	}
	if !reflect.DeepEqual(a.History, want) {
		t.Fatalf("history:\n got %+v\nwant %+v", a.History, want)
	}
	if !a.UpdatedAt.Equal(newer.Add(2 * time.Hour)) {
		t.Fatalf("updated_at %v", a.UpdatedAt)
	}
}

func TestStale(t *testing.T) {
	at := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		status string
		age    time.Duration
		after  time.Duration
		want   bool
	}{
		{StatusOpen, 25 * time.Hour, 24 * time.Hour, true},
		{StatusAcknowledged, 25 * time.Hour, 24 * time.Hour, true},
		{StatusOpen, 24 * time.Hour, 24 * time.Hour, false}, // exactly resolve_after: not older
		{StatusResolved, 25 * time.Hour, 24 * time.Hour, false},
		{StatusOpen, 25 * time.Hour, 0, false}, // no resolve_after
	} {
		a := Alert{Status: c.status, LastSeen: at.Add(-c.age)}
		if got := a.Stale(at, c.after); got != c.want {
			t.Errorf("%+v: Stale = %v", c, got)
		}
	}
}
