package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
	"github.com/homesoc/homesoc/internal/store"
)

// notifyTests are the conformance tests of the outbox and the notification
// log.
var notifyTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"NotifyEnqueueOrder", testNotifyEnqueueOrder},
	{"NotifyFilters", testNotifyFilters},
	{"NotifyUpdate", testNotifyUpdate},
	{"NotifyGroups", testNotifyGroups},
	{"NotifyGroupsMany", testNotifyGroupsMany},
}

// outboxNote is sample notification i of message msg for integration,
// created at T0 plus i seconds.
func outboxNote(msg, integration string, i int) notify.Notification {
	n := *notifytest.Notification(integration)
	n.Message.ID = msg
	n.ID = notify.NotificationID(msg, integration)
	n.Receiver = integration[:len(integration)-len("/webhook/0")]
	n.Seq = 0
	at := T0.Add(time.Duration(i) * time.Second)
	n.CreatedAt, n.UpdatedAt, n.NextAttempt, n.Deadline = at, at, at, at.Add(time.Hour)
	return n
}

// enqueue enqueues ns and fails unless it added want.
func enqueue(t *testing.T, s store.Store, want int, ns ...notify.Notification) {
	t.Helper()
	added, err := s.Enqueue(context.Background(), ns)
	if err != nil || added != want {
		t.Fatalf("Enqueue of %d = %d, %v; want %d added", len(ns), added, err, want)
	}
}

// outbox lists the notifications f selects.
func outbox(t *testing.T, s store.Store, f store.NotificationFilter) []notify.Notification {
	t.Helper()
	got, err := s.Notifications(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// messages are the message ids of ns, in order.
func messages(ns []notify.Notification) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.Message.ID)
	}
	return out
}

// testNotifyEnqueueOrder: notifications are numbered in enqueue order,
// across calls and integrations, read back as written, and stored once
// however often they are enqueued.
func testNotifyEnqueueOrder(t *testing.T, s store.Store) {
	a, b := "soc/webhook/0", "ops/webhook/0"
	first := []notify.Notification{outboxNote("m3", a, 1), outboxNote("m1", b, 2), outboxNote("m2", a, 3)}
	enqueue(t, s, 3, first...)
	enqueue(t, s, 1, outboxNote("m0", b, 4))
	// Again, with one new: the stored ones keep their number.
	enqueue(t, s, 1, outboxNote("m1", b, 2), outboxNote("m9", a, 5), outboxNote("m3", a, 1))
	got := outbox(t, s, store.NotificationFilter{})
	if want := []string{"m3", "m1", "m2", "m0", "m9"}; !slices.Equal(messages(got), want) {
		t.Fatalf("outbox by seq %v, want %v", messages(got), want)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq {
			t.Errorf("seq %d of %s after %d", got[i].Seq, got[i].Message.ID, got[i-1].Seq)
		}
	}
	if got[0].Seq <= 0 {
		t.Errorf("first seq %d, want above 0", got[0].Seq)
	}
	// Every field as enqueued, Seq as numbered.
	want := first[0]
	want.Seq = got[0].Seq
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got[0])
	if string(wj) != string(gj) {
		t.Errorf("stored\n%s\nwant\n%s", gj, wj)
	}
	if got[0].NextAttempt.Location() != time.UTC || !got[0].DeliveredAt.IsZero() {
		t.Errorf("next attempt %s, delivered %s: want UTC, zero", got[0].NextAttempt, got[0].DeliveredAt)
	}
	// Whole seconds, as the rest of the store.
	odd := outboxNote("odd", a, 7)
	odd.CreatedAt, odd.NextAttempt = T0.Add(1500*time.Millisecond), T0.Add(1999*time.Millisecond)
	enqueue(t, s, 1, odd)
	if g := outbox(t, s, store.NotificationFilter{IDs: []string{odd.ID}}); !g[0].CreatedAt.Equal(T0.Add(time.Second)) ||
		!g[0].NextAttempt.Equal(T0.Add(time.Second)) {
		t.Errorf("created %s, next attempt %s: want both %s", g[0].CreatedAt, g[0].NextAttempt, T0.Add(time.Second))
	}

	// Enqueue fills what is missing.
	before := store.Now()
	n := outboxNote("fresh", a, 0)
	n.State, n.CreatedAt, n.UpdatedAt, n.NextAttempt, n.Deadline, n.AlertIDs = "", time.Time{}, time.Time{}, time.Time{}, time.Time{}, nil
	enqueue(t, s, 1, n)
	g := outbox(t, s, store.NotificationFilter{IDs: []string{n.ID}})
	if len(g) != 1 || g[0].State != notify.StatePending || g[0].CreatedAt.Before(before) || !g[0].NextAttempt.Equal(g[0].CreatedAt) ||
		!g[0].Deadline.IsZero() || g[0].AlertIDs == nil || len(g[0].AlertIDs) != 0 {
		t.Errorf("filled %+v", g)
	}
	if _, err := s.Enqueue(context.Background(), []notify.Notification{{ID: "x"}}); err == nil ||
		err.Error() != `enqueue 1 notifications: enqueue notification "x" for "": no id or integration` &&
			err.Error() != `enqueue notification "x" for "": no id or integration` &&
			err.Error() != `enqueue notifications (0 stored, 1 left): enqueue notification "x" for "": no id or integration` {
		t.Errorf("Enqueue without integration: %v", err)
	}
}

// testNotifyFilters: each field of the filter narrows the selection, by
// seq, Limit taking the lowest.
func testNotifyFilters(t *testing.T, s store.Store) {
	a, b := "soc/webhook/0", "ops/webhook/0"
	ns := []notify.Notification{outboxNote("m1", a, 1), outboxNote("m2", b, 2), outboxNote("m3", a, 3), outboxNote("m4", b, 4)}
	ns[2].State = notify.StateDead
	ns[3].NextAttempt = T0.Add(time.Minute)
	enqueue(t, s, 4, ns...)
	all := outbox(t, s, store.NotificationFilter{})
	for _, tc := range []struct {
		name string
		f    store.NotificationFilter
		want []string
	}{
		{"all", store.NotificationFilter{}, []string{"m1", "m2", "m3", "m4"}},
		{"ids", store.NotificationFilter{IDs: []string{ns[3].ID, ns[0].ID, "nope"}}, []string{"m1", "m4"}},
		{"states", store.NotificationFilter{States: []string{notify.StatePending}}, []string{"m1", "m2", "m4"}},
		{"dead", store.NotificationFilter{States: []string{notify.StateDead, notify.StateDelivered}}, []string{"m3"}},
		{"integration", store.NotificationFilter{Integrations: []string{a}}, []string{"m1", "m3"}},
		{"receiver", store.NotificationFilter{Receivers: []string{"ops"}}, []string{"m2", "m4"}},
		{"limit", store.NotificationFilter{Limit: 2}, []string{"m1", "m2"}},
		{"after", store.NotificationFilter{AfterSeq: all[1].Seq, Limit: 1}, []string{"m3"}},
		{"both", store.NotificationFilter{Integrations: []string{b}, States: []string{notify.StatePending}, Receivers: []string{"soc"}}, []string{}},
	} {
		if got := messages(outbox(t, s, tc.f)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// testNotifyUpdate: the delivery state is saved, nothing else; an unknown
// id fails the whole update.
func testNotifyUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := "soc/webhook/0"
	enqueue(t, s, 3, outboxNote("m1", a, 1), outboxNote("m2", a, 2), outboxNote("m3", a, 3))
	was := outbox(t, s, store.NotificationFilter{})
	d, r := was[0], was[1]
	d.State, d.DeliveredAt, d.UpdatedAt, d.Attempts = notify.StateDelivered, T0.Add(1500*time.Millisecond), T0.Add(1500*time.Millisecond), 1
	r.Attempts, r.NextAttempt, r.LastError, r.UpdatedAt = 2, T0.Add(4*time.Second+250*time.Millisecond), "webhook soc/webhook/0: HTTP 500", T0.Add(time.Second)
	r.Deadline = T0.Add(2 * time.Hour)
	r.Receiver, r.Message.ID = "changed", "changed" // not delivery state: kept as stored
	if err := s.UpdateNotifications(ctx, []notify.Notification{d, r}); err != nil {
		t.Fatal(err)
	}
	got := outbox(t, s, store.NotificationFilter{})
	r.Receiver, r.Message.ID = was[1].Receiver, was[1].Message.ID
	d.DeliveredAt, d.UpdatedAt, r.NextAttempt = T0.Add(time.Second), T0.Add(time.Second), T0.Add(4*time.Second)
	for i, want := range []notify.Notification{d, r, was[2]} {
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got[i])
		if string(wj) != string(gj) {
			t.Errorf("after update %d:\n%s\nwant\n%s", i, gj, wj)
		}
	}
	dead := was[2]
	dead.State = notify.StateDead
	err := s.UpdateNotifications(ctx, []notify.Notification{dead, {ID: "unknown", State: notify.StateDead}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of an unknown id: %v, want ErrNotFound", err)
	}
	if g := outbox(t, s, store.NotificationFilter{IDs: []string{dead.ID}}); g[0].State != notify.StatePending {
		t.Errorf("a failed update changed %s to %s", dead.ID, g[0].State)
	}
	bad := was[2]
	bad.State = "lost"
	if err := s.UpdateNotifications(ctx, []notify.Notification{bad}); err == nil {
		t.Error("update to state lost: no error")
	}
	counts, err := s.NotificationCounts(ctx)
	if want := map[string]int64{notify.StateDelivered: 1, notify.StatePending: 2}; err != nil || !maps.Equal(counts, want) {
		t.Errorf("NotificationCounts: %v, %v; want %v", counts, err, want)
	}
}

// testNotifyGroups: group states round trip, a save replaces the group of
// its key.
func testNotifyGroups(t *testing.T, s store.Store) {
	ctx := context.Background()
	if gs, err := s.NotifyGroups(ctx); err != nil || gs == nil || len(gs) != 0 {
		t.Fatalf("empty log: %v, %v; want [] and no error", gs, err)
	}
	g1 := notify.GroupState{Key: `route 1/soc/{user="anna"}`, Receiver: "soc", Labels: map[string]string{"user": "anna"},
		CreatedAt: T0, SentAt: T0.Add(30 * time.Second), MessageID: "msg-1",
		Alerts: map[string]string{"a1": "f1", "a2": "f2"}}
	g0 := notify.GroupState{Key: `route 1/soc/{user="bob"}`, Receiver: "soc", Labels: map[string]string{}, CreatedAt: T0.Add(time.Second),
		Alerts: map[string]string{}}
	if err := s.SaveNotifyGroups(ctx, []notify.GroupState{g1, g0}); err != nil {
		t.Fatal(err)
	}
	g1.SentAt, g1.MessageID, g1.Alerts = T0.Add(5*time.Minute), "msg-2", map[string]string{"a2": "f3"}
	if err := s.SaveNotifyGroups(ctx, []notify.GroupState{g1}); err != nil {
		t.Fatal(err)
	}
	got, err := s.NotifyGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wj, _ := json.Marshal([]notify.GroupState{g1, g0})
	gj, _ := json.Marshal(got)
	if string(wj) != string(gj) {
		t.Errorf("groups\n%s\nwant\n%s", gj, wj)
	}
}

// ManyGroups are n group states of one receiver, keys "g/00000" on, each
// with one alert whose fingerprint is message, sent a minute after T0: a
// burst of groups as a detect of many alerts grouped by source makes.
func ManyGroups(n int, message string) []notify.GroupState {
	out := make([]notify.GroupState, n)
	for i := range out {
		k := fmt.Sprintf("g/%05d", i)
		out[i] = notify.GroupState{Key: k, Receiver: "soc", Labels: map[string]string{"source": k},
			CreatedAt: T0, SentAt: T0.Add(time.Minute), MessageID: message + "-" + k,
			Alerts: map[string]string{"alert-" + k: message}}
	}
	return out
}

// testNotifyGroupsMany: 2,000 groups saved at once (one detect's burst)
// round trip, and saving them again with half of them changed replaces
// each, none twice; a key given twice in one save keeps the last.
func testNotifyGroupsMany(t *testing.T, s store.Store) {
	ctx := context.Background()
	gs := ManyGroups(2000, "m1")
	if err := s.SaveNotifyGroups(ctx, gs); err != nil {
		t.Fatal(err)
	}
	again := ManyGroups(2000, "m2")[:1000]
	twice := again[999]
	twice.MessageID = "last"
	again = append(again, twice)
	if err := s.SaveNotifyGroups(ctx, again); err != nil {
		t.Fatal(err)
	}
	got, err := s.NotifyGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := append(again[:999:999], twice)
	want = append(want, gs[1000:]...)
	if len(got) != len(want) {
		t.Fatalf("%d groups, want %d", len(got), len(want))
	}
	for i := range want {
		wj, _ := json.Marshal(want[i])
		gj, _ := json.Marshal(got[i])
		if string(wj) != string(gj) {
			t.Fatalf("group %d\n%s\nwant\n%s", i, gj, wj)
		}
	}
}
