package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/store"
)

func testUpsertAlerts(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := alert.Alert{ID: "a1", RuleID: "ioc-contact", Title: "t", Severity: "high",
		Group: map[string]string{"host": "192.168.1.2"}, FirstSeen: T0, LastSeen: T0.Add(time.Minute),
		Events: 3, Detail: map[string]string{"host": "192.168.1.2"}, UpdatedAt: T0.Add(time.Hour)}
	steps := []struct {
		firstSeen, lastSeen time.Time
		want                store.AlertCounts
		count               int64
		wantFirst           time.Time
	}{
		{T0, T0.Add(time.Minute), store.AlertCounts{Opened: 1}, 1, T0},
		{T0, T0.Add(time.Minute), store.AlertCounts{}, 1, T0},                                                      // same evidence again: no change
		{T0.Add(-time.Hour), T0, store.AlertCounts{Updated: 1}, 1, T0.Add(-time.Hour)},                             // older evidence reaching the first: first_seen moves back
		{T0.Add(time.Minute), T0.Add(time.Hour), store.AlertCounts{Updated: 1}, 2, T0.Add(-time.Hour)},             // newer: counted, first_seen stays
		{T0.Add(-time.Hour), T0.Add(2 * time.Hour), store.AlertCounts{Updated: 1}, 3, T0.Add(-time.Hour)},          // newer again
		{T0.Add(-3 * time.Hour), T0.Add(-2 * time.Hour), store.AlertCounts{Updated: 1}, 4, T0.Add(-3 * time.Hour)}, // wholly older: counted, first_seen moves back
		{T0.Add(-3 * time.Hour), T0.Add(-2 * time.Hour), store.AlertCounts{}, 4, T0.Add(-3 * time.Hour)},           // the same again: no change
	}
	for i, st := range steps {
		a.FirstSeen, a.LastSeen = st.firstSeen, st.lastSeen
		a.Events = int64(10 + i)
		c, err := s.UpsertAlerts(ctx, []alert.Alert{a})
		if err != nil || c != st.want {
			t.Fatalf("step %d: %+v, %v; want %+v", i, c, err, st.want)
		}
		as, err := s.Alerts(ctx)
		if err != nil || len(as) != 1 || as[0].Count != st.count || !as[0].FirstSeen.Equal(st.wantFirst) {
			t.Fatalf("step %d: alerts %+v, %v; want one with count %d, first seen %v", i, as, err, st.count, st.wantFirst)
		}
	}
	as, _ := s.Alerts(ctx)
	got := as[0]
	want := alert.Alert{ID: "a1", RuleID: "ioc-contact", Title: "t", Severity: "high",
		Group: map[string]string{"host": "192.168.1.2"}, FirstSeen: T0.Add(-3 * time.Hour), LastSeen: T0.Add(2 * time.Hour),
		Count: 4, Events: 14, Detail: map[string]string{"host": "192.168.1.2"}, Status: "open", UpdatedAt: T0.Add(time.Hour)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("alert\n got %+v\nwant %+v", got, want)
	}
	if c, err := s.UpsertAlerts(ctx, nil); err != nil || c != (store.AlertCounts{}) {
		t.Errorf("empty upsert: %+v, %v", c, err)
	}
}

// testAlertsOrder checks that alerts list the most recently seen first (ties
// by id), and that an alert repeated within one upsert is applied in order.
func testAlertsOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(id string, last time.Time) alert.Alert {
		return alert.Alert{ID: id, RuleID: "r", Title: "t", Severity: "low", Group: map[string]string{"source": id},
			FirstSeen: T0, LastSeen: last, Events: 1, Detail: map[string]string{"source": id, "n": "1"}, UpdatedAt: last}
	}
	c, err := s.UpsertAlerts(ctx, []alert.Alert{mk("a", T0.Add(time.Minute)), mk("c", T0.Add(time.Hour)),
		mk("b", T0), mk("b", T0.Add(time.Hour)), mk("b", T0.Add(time.Minute))})
	if err != nil || c != (store.AlertCounts{Opened: 3, Updated: 1}) {
		t.Fatalf("upsert: %+v, %v", c, err)
	}
	as, err := s.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range as {
		got = append(got, fmt.Sprintf("%s:%d:%s:%s", a.ID, a.Count, a.LastSeen.Format(time.RFC3339), a.Group["source"]))
	}
	want := []string{"b:2:2026-04-06T17:05:29Z:b", "c:1:2026-04-06T17:05:29Z:c", "a:1:2026-04-06T16:06:29Z:a"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
	if n := counts(t, s)["alerts"]; n != 3 {
		t.Errorf("%d alerts counted, want 3", n)
	}
}
