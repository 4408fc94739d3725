package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// formatSpans renders ingest spans without their sequence numbers.
func formatSpans(spans []store.IngestSpan) string {
	var b strings.Builder
	for _, sp := range spans {
		fmt.Fprintf(&b, "%s %s..%s %d; ", sp.Table, sp.Min.Format(time.RFC3339), sp.Max.Format(time.RFC3339), sp.Rows)
	}
	return b.String()
}

// ingestedSince returns the spans after seq, failing the test on an error.
func ingestedSince(t *testing.T, s store.Store, seq int64) []store.IngestSpan {
	t.Helper()
	spans, err := s.IngestedSince(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	return spans
}

// testIngestSpans: every write that stores rows records the spans of event
// time it stored them in, a run of hours with data each, under a sequence
// number above every earlier one; a write that stores nothing new records
// nothing.
func testIngestSpans(t *testing.T, s store.Store) {
	ctx := context.Background()
	if got := ingestedSince(t, s, 0); len(got) != 0 {
		t.Fatalf("empty store: spans %v", got)
	}
	// Events of a day-old log: ten seconds, then one more five hours later,
	// and one the hour after it.
	var evs []event.Network
	for i := range 10 {
		evs = append(evs, TestEvent(i))
	}
	late, later := TestEvent(5*3600), TestEvent(6*3600)
	evs = append(evs, late, later)
	if _, err := s.WriteNetwork(ctx, evs); err != nil {
		t.Fatal(err)
	}
	first := ingestedSince(t, s, 0)
	want := fmt.Sprintf("network_events %s..%s 10; network_events %s..%s 2; ", T0.Format(time.RFC3339),
		T0.Add(9*time.Second).Format(time.RFC3339), late.Time.Format(time.RFC3339), later.Time.Format(time.RFC3339))
	if got := formatSpans(first); got != want {
		t.Fatalf("first write: spans\n got %s\nwant %s", got, want)
	}
	if first[0].Seq <= 0 || first[1].Seq != first[0].Seq || first[0].AddedAt.IsZero() {
		t.Fatalf("first write: spans %+v: want one positive sequence number and a time added", first)
	}
	seq := first[0].Seq

	// The same events again store nothing and record nothing.
	if _, err := s.WriteNetwork(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if got := ingestedSince(t, s, seq); len(got) != 0 {
		t.Fatalf("re-ingest recorded spans %v", got)
	}

	// A sighting of an old event, as the retro-hunt finds it, is recorded at
	// the event's time, after the events.
	c2 := netip.MustParseAddr("198.51.100.7")
	if n, err := s.SightingsFromMatches(ctx, []store.AddrMatch{{Addr: c2, IndicatorID: "c2"}}, "retro-hunt"); err != nil || n != 12 {
		t.Fatalf("hunt: %d sightings, %v; want 12", n, err)
	}
	hunt := ingestedSince(t, s, seq)
	want = fmt.Sprintf("sightings %s..%s 10; sightings %s..%s 2; ", T0.Format(time.RFC3339),
		T0.Add(9*time.Second).Format(time.RFC3339), late.Time.Format(time.RFC3339), later.Time.Format(time.RFC3339))
	if got := formatSpans(hunt); got != want {
		t.Fatalf("retro-hunt: spans\n got %s\nwant %s", got, want)
	}
	if hunt[0].Seq <= seq {
		t.Fatalf("retro-hunt: sequence number %d not after %d", hunt[0].Seq, seq)
	}
	seq = store.Through(seq, hunt)

	// Sightings written at ingest are recorded too, only the new ones.
	ev := TestEvent(20)
	x := event.Sighting{EventID: ev.ID, IndicatorID: "c2", Time: ev.Time, MatchedIP: c2, Source: "ingest"}
	old := event.Sighting{EventID: evs[0].ID, IndicatorID: "c2", Time: evs[0].Time, MatchedIP: c2, Source: "ingest"}
	if n, err := s.WriteSightings(ctx, []event.Sighting{x, old}); err != nil || n != 1 {
		t.Fatalf("write sightings: %d, %v; want 1", n, err)
	}
	want = fmt.Sprintf("sightings %[1]s..%[1]s 1; ", ev.Time.Format(time.RFC3339))
	if got := formatSpans(ingestedSince(t, s, seq)); got != want {
		t.Fatalf("ingest sightings: spans\n got %s\nwant %s", got, want)
	}
	if got := formatSpans(ingestedSince(t, s, 0)); !strings.HasPrefix(got, formatSpans(first)) {
		t.Errorf("all spans, in sequence order: %s", got)
	}
}

// testWatermarks: a watermark saved is read back; saving one of the same name
// replaces it.
func testWatermarks(t *testing.T, s store.Store) {
	ctx := context.Background()
	if got, err := s.Watermarks(ctx); err != nil || len(got) != 0 {
		t.Fatalf("empty store: %v, %v", got, err)
	}
	for _, w := range []store.Watermark{{Name: "rule/a", Seq: 7}, {Name: "hunt", Seq: 1 << 62}, {Name: "rule/a", Seq: 9}} {
		if err := s.SaveWatermark(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Watermarks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, h := got["rule/a"], got["hunt"]
	if len(got) != 2 || a.Seq != 9 || h.Seq != 1<<62 || a.UpdatedAt.IsZero() {
		t.Errorf("watermarks %+v: want rule/a at 9, hunt at 1<<62", got)
	}
}

// testIndicatorsChangedSince: the indicators added or changed by loads
// after a load number, the highest number among them; re-activation counts
// as a change, and a load right after a hunt, in the same second, is new.
func testIndicatorsChangedSince(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b, off := indicator("feodo", "198.51.100.7"), indicator("feodo", "203.0.113.10"), indicator("feodo", "203.0.113.11")
	off.Active = false
	if _, err := s.WriteIndicators(ctx, []event.Indicator{a, b, off}); err != nil {
		t.Fatal(err)
	}
	all, first, err := s.IndicatorsChangedSince(ctx, -1)
	if err != nil || formatIndicators(all) != formatIndicators([]event.Indicator{b, a}) || first <= 0 { // by id
		t.Fatalf("all: %v, %v, %v; want the two active ones and their load number", all, first, err)
	}
	none, again, err := s.IndicatorsChangedSince(ctx, first)
	if err != nil || len(none) != 0 || again != first {
		t.Fatalf("since the last load: %v, %v, %v; want none", none, again, err)
	}
	off.Active = true
	c := indicator("feodo", "203.0.113.12")
	if _, err := s.WriteIndicators(ctx, []event.Indicator{a, b, off}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteIndicators(ctx, []event.Indicator{c}); err != nil {
		t.Fatal(err)
	}
	back, later, err := s.IndicatorsChangedSince(ctx, first)
	if err != nil || formatIndicators(back) != formatIndicators([]event.Indicator{off, c}) || later <= first {
		t.Fatalf("re-activated and added: %v, %v, %v; want %v and %v numbered after %v", back, later, err, off, c, first)
	}
	if last, _, err := s.IndicatorsChangedSince(ctx, later-1); err != nil || formatIndicators(last) != formatIndicators([]event.Indicator{c}) {
		t.Fatalf("the last load: %v, %v; want %v", last, err, c)
	}
}

// testUpsertManyAlerts: a detection pass over much history may bring
// thousands of findings at once; they open, then update, in one call each.
func testUpsertManyAlerts(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 3000
	as := make([]alert.Alert, n)
	for i := range as {
		g := map[string]string{"host": fmt.Sprintf("10.0.%d.%d", i/250, i%250)}
		as[i] = alert.Alert{ID: alert.Identity("r", []string{"host"}, g), RuleID: "r", Title: "t", Severity: "low",
			Group: g, FirstSeen: T0, LastSeen: T0.Add(time.Minute), Events: 1, Detail: g, UpdatedAt: T0}
	}
	if c, err := s.UpsertAlerts(ctx, as); err != nil || c.Opened != n {
		t.Fatalf("open: %+v, %v", c, err)
	}
	for i := range as {
		as[i].LastSeen = T0.Add(time.Hour)
	}
	if c, err := s.UpsertAlerts(ctx, as); err != nil || c.Updated != n {
		t.Fatalf("update: %+v, %v", c, err)
	}
	got, err := s.Alerts(ctx)
	if err != nil || len(got) != n || got[0].Count != 2 {
		t.Fatalf("%d alerts, %v; want %d with count 2", len(got), err, n)
	}
}
