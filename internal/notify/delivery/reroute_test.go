package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify/dispatch"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
	"github.com/homesoc/homesoc/internal/store"
)

// TestRerouteAfterCrash is a crash between the outbox write and the
// notification log's: the router enqueues a round's notifications but the
// group states are never saved, so the next run (a second later) routes the
// same state again. The outbox must store nothing new: the ids are
// deterministic. Then, with the log saved, the next change is new again.
func TestRerouteAfterCrash(t *testing.T) {
	ctx := context.Background()
	down := notifytest.RefusedURL(t) // never contacted: nothing is delivered here
	r := newRouter(t, down, down)
	st := openStore(t)
	seen := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	as := []alert.Alert{mkAlert("r1", "10.0.0.1", seen), mkAlert("r1", "10.0.0.2", seen), mkAlert("r2", "10.0.0.3", seen)}
	if _, err := st.UpsertAlerts(ctx, as); err != nil {
		t.Fatal(err)
	}

	in := r.input(t, st)
	p1 := dispatch.Dispatch(r.tree, in)
	if added, err := st.Enqueue(ctx, p1.Notifications); err != nil || added != 5 {
		t.Fatalf("first routing: %d enqueued, %v; want 5", added, err)
	}
	// Crash: p1.Groups never saved. The next run, a second later (the
	// router's clock has whole seconds):
	time.Sleep(1100 * time.Millisecond)
	in = r.input(t, st)
	if !in.Now.After(p1.Notifications[0].CreatedAt) {
		t.Fatalf("the second run's clock %s is not after the first's %s", in.Now, p1.Notifications[0].CreatedAt)
	}
	p2 := dispatch.Dispatch(r.tree, in)
	if len(p2.Notifications) != 5 {
		t.Fatalf("routing again: %d notifications, want the same 5", len(p2.Notifications))
	}
	for i := range p2.Notifications {
		if p2.Notifications[i].ID != p1.Notifications[i].ID {
			t.Errorf("notification %d: id %s routed again, was %s", i, p2.Notifications[i].ID, p1.Notifications[i].ID)
		}
	}
	if added, err := st.Enqueue(ctx, p2.Notifications); err != nil || added != 0 {
		t.Errorf("routing the same state again: %d enqueued, %v; want 0", added, err)
	}
	if err := st.SaveNotifyGroups(ctx, p2.Groups); err != nil {
		t.Fatal(err)
	}
	if added := r.route(t, st); added != 0 {
		t.Errorf("routing with the log saved: %d enqueued, want 0", added)
	}
	if n := len(outbox(t, st)); n != 5 {
		t.Errorf("outbox holds %d notifications, want 5", n)
	}

	// A change after the log is saved is a new message.
	if _, err := st.MoveAlerts(ctx, store.AlertFilter{IDs: []string{as[2].ID}},
		alert.Transition{State: alert.StatusAcknowledged, Author: "anna", At: time.Now().UTC(), By: alert.ByOperator}); err != nil {
		t.Fatal(err)
	}
	if added := r.route(t, st); added != 2 {
		t.Errorf("routing an acknowledgement: %d enqueued, want 2 (one per integration)", added)
	}
}
