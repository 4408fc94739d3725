package duckdb

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "homesoc.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 4, 6, 16, 5, 29, 0, time.UTC)

func testEvent(i int) event.Network {
	raw := fmt.Sprintf("line %d", i)
	return event.Network{
		ID: event.NewID("test", []byte(raw)), Time: t0.Add(time.Duration(i) * time.Second),
		Kind: event.KindFirewall, Action: "drop", Direction: event.DirInbound, Protocol: "udp",
		SrcIP: netip.MustParseAddr("198.51.100.7"), SrcPort: 22852,
		DstIP: netip.AddrFrom4([4]byte{192, 168, 1, byte(i % 250)}), DstPort: 1900,
		TTL: 242, InIface: "ppp0", Sensor: "router", Format: "netfilter", Raw: raw,
	}
}

func TestWriteNetworkDedup(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	evs := []event.Network{testEvent(1), testEvent(2), testEvent(1), testEvent(3)}
	n, err := s.WriteNetwork(ctx, evs)
	if err != nil || n != 3 {
		t.Fatalf("first write: stored %d, %v; want 3 (one repeat within the batch)", n, err)
	}
	n, err = s.WriteNetwork(ctx, []event.Network{testEvent(3), testEvent(4)})
	if err != nil || n != 1 {
		t.Fatalf("second write: stored %d, %v; want 1", n, err)
	}
	res, err := s.Query(ctx, `SELECT event_id, time, end_time, src_ip, dst_ip, dst_port, raw FROM network_events WHERE raw = 'line 2'`)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(res.Rows)
	e := testEvent(2)
	want := fmt.Sprintf("[[%s %s %s 198.51.100.7 192.168.1.2 1900 line 2]]", e.ID, e.Time, e.Time)
	if got != want {
		t.Errorf("stored row\n got %s\nwant %s", got, want)
	}
}

func TestIndicatorsAndSightings(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.WriteNetwork(ctx, []event.Network{testEvent(1), testEvent(2)}); err != nil {
		t.Fatal(err)
	}
	ind := event.Indicator{ID: event.IndicatorID("feodo", "ip", "198.51.100.7"), Type: "ip", Value: "198.51.100.7",
		Feed: "feodo", Threat: "QakBot", Confidence: 100, FirstSeen: t0, LastSeen: t0, Active: true, Fields: `{"port":443}`}
	for i, want := range []store.IndicatorCounts{{Added: 1}, {Unchanged: 1}} {
		c, err := s.WriteIndicators(ctx, []event.Indicator{ind, ind})
		if err != nil || c != want {
			t.Fatalf("load %d: %+v, %v; want %+v", i+1, c, err, want)
		}
	}
	ind.LastSeen = t0.Add(time.Hour)
	if c, err := s.WriteIndicators(ctx, []event.Indicator{ind}); err != nil || c != (store.IndicatorCounts{Updated: 1}) {
		t.Fatalf("refresh: %+v, %v", c, err)
	}
	m := []store.AddrMatch{{Addr: netip.MustParseAddr(ind.Value), IndicatorID: ind.ID}}
	for i, want := range []int{2, 0} {
		n, err := s.SightingsFromMatches(ctx, m, "retro-hunt")
		if err != nil || n != want {
			t.Fatalf("hunt %d: %d sightings, %v; want %d", i+1, n, err, want)
		}
	}
	res, err := s.Query(ctx, `SELECT matched_ip, peer_ip, peer_port, port, protocol, source, action, peer_is_src FROM sightings ORDER BY peer_ip`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(res.Rows), "[[198.51.100.7 192.168.1.1 1900 22852 udp retro-hunt drop 0] [198.51.100.7 192.168.1.2 1900 22852 udp retro-hunt drop 0]]"; got != want {
		t.Errorf("sightings\n got %s\nwant %s", got, want)
	}
}

func TestUpsertAlerts(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	a := alert.Alert{ID: "a1", RuleID: "ioc-contact", Title: "t", Severity: "high",
		Group: map[string]string{"host": "192.168.1.2"}, FirstSeen: t0, LastSeen: t0.Add(time.Minute),
		Events: 3, Detail: map[string]string{"host": "192.168.1.2"}, UpdatedAt: t0.Add(time.Hour)}
	steps := []struct {
		lastSeen time.Time
		want     store.AlertCounts
		count    int64
	}{
		{t0.Add(time.Minute), store.AlertCounts{Opened: 1}, 1},
		{t0.Add(time.Minute), store.AlertCounts{}, 1}, // same evidence again: no change
		{t0.Add(time.Hour), store.AlertCounts{Updated: 1}, 2},
	}
	for i, st := range steps {
		a.LastSeen = st.lastSeen
		c, err := s.UpsertAlerts(ctx, []alert.Alert{a})
		if err != nil || c != st.want {
			t.Fatalf("step %d: %+v, %v; want %+v", i, c, err, st.want)
		}
		as, err := s.Alerts(ctx)
		if err != nil || len(as) != 1 || as[0].Count != st.count || !as[0].LastSeen.Equal(st.lastSeen) {
			t.Fatalf("step %d: alerts %+v, %v; want one with count %d", i, as, err, st.count)
		}
	}
}

func TestLoadRowsUnknownTable(t *testing.T) {
	s := open(t)
	err := s.LoadRows(context.Background(), "flows", []map[string]any{{"x": 1}})
	if err == nil || err.Error() != `unknown table "flows" (one of network_events, rejects, indicators, sightings, alerts)` {
		t.Fatalf("got %v", err)
	}
}

func TestReopenKeepsSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteNetwork(ctx, []event.Network{testEvent(1)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Counts(ctx)
	if err != nil || c["network_events"] != 1 {
		t.Fatalf("after reopen: %v, %v", c, err)
	}
}

func BenchmarkWriteNetwork(b *testing.B) {
	s := open(b)
	const batch = 100_000
	evs := make([]event.Network, batch)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range evs {
			evs[j] = testEvent(i*batch + j)
		}
		b.StartTimer()
		if _, err := s.WriteNetwork(context.Background(), evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}
