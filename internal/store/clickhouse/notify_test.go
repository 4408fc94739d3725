package clickhouse

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
	"github.com/homesoc/homesoc/internal/store"
)

// TestEnqueueSeqAcrossProcesses: a second store handle on the same
// database whose versions are behind the table's (another process, or a
// clock stepped back by an hour) numbers its notifications above every
// stored one, and its update of one of the first's is not lost below the
// first version.
func TestEnqueueSeqAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	server := chtest.URL(t)
	ahead := openTemp(t, server)
	behind, err := Open(ctx, withDatabase(t, server, ahead.Database()))
	if err != nil {
		t.Fatal(err)
	}
	defer behind.Close()
	ahead.lastVersion = uint64(time.Now().Add(time.Hour).UnixNano())

	note := func(msg string) notify.Notification {
		n := *notifytest.Notification("soc/webhook/0")
		n.Message.ID = msg
		n.ID = notify.NotificationID(msg, n.Integration)
		n.Seq, n.State = 0, notify.StatePending
		return n
	}
	for _, step := range []struct {
		s   *Store
		msg string
	}{{ahead, "m1"}, {behind, "m2"}, {behind, "m3"}, {ahead, "m4"}} {
		if added, err := step.s.Enqueue(ctx, []notify.Notification{note(step.msg)}); err != nil || added != 1 {
			t.Fatalf("enqueue %s: %d, %v", step.msg, added, err)
		}
	}
	got, err := behind.Notifications(ctx, store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for i, n := range got {
		msgs = append(msgs, n.Message.ID)
		if i > 0 && n.Seq <= got[i-1].Seq {
			t.Errorf("seq %d of %s not above %d", n.Seq, n.Message.ID, got[i-1].Seq)
		}
	}
	if want := []string{"m1", "m2", "m3", "m4"}; !slices.Equal(msgs, want) {
		t.Fatalf("by seq %v, want %v", msgs, want)
	}

	// The handle behind delivers m1, written an hour ahead of its clock.
	d := got[0]
	d.State, d.DeliveredAt = notify.StateDelivered, time.Now()
	if err := behind.UpdateNotifications(ctx, []notify.Notification{d}); err != nil {
		t.Fatal(err)
	}
	if g, err := ahead.Notifications(ctx, store.NotificationFilter{IDs: []string{d.ID}}); err != nil || len(g) != 1 ||
		g[0].State != notify.StateDelivered {
		t.Errorf("after the update: %+v, %v", g, err)
	}
}
