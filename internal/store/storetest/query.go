package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// testQueryTypes checks the Go types Query gives what rules return, which
// rule tests compare in their text forms and alerts keep: counts int64,
// times time.Time in UTC, UUIDs as text, and the columns' own types.
func testQueryTypes(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.WriteNetwork(ctx, []event.Network{TestEvent(1), TestEvent(2), TestEvent(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteIndicators(ctx, []event.Indicator{indicator("feodo", "198.51.100.7")}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(ctx, `SELECT count(*) AS events, count(DISTINCT dst_ip) AS hosts, min(time) AS first_seen,
		max(dst_port) AS port, min(src_ip) AS source, max(bytes_out) AS bytes, min(duration_s) AS duration
		FROM network_events WHERE src_ip <> '' GROUP BY src_ip`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(res.Columns, " "), "events hosts first_seen port source bytes duration"; got != want {
		t.Errorf("columns %q, want %q", got, want)
	}
	if len(res.Rows) != 1 {
		t.Fatalf("rows %v, want one", res.Rows)
	}
	row := res.Rows[0]
	want := []any{int64(3), int64(3), TestEvent(1).Time, int32(1900), "198.51.100.7", int64(0), float64(0)}
	if got, want := fmt.Sprintf("%#v", row), fmt.Sprintf("%#v", want); got != want {
		t.Errorf("row\n got %s\nwant %s", got, want)
	}
	if tm, ok := row[2].(time.Time); !ok || tm.Location() != time.UTC {
		t.Errorf("time %#v, want a time.Time in UTC", row[2])
	}
	// UUIDs come as text; engines order them differently, so rules must not.
	res, err = s.Query(ctx, `SELECT event_id FROM network_events WHERE raw = 'line 2'`)
	if err != nil || fmt.Sprintf("%#v", res.Rows) != fmt.Sprintf("%#v", [][]any{{TestEvent(2).ID.String()}}) {
		t.Errorf("event id: %#v, %v; want the text %s", res, err, TestEvent(2).ID)
	}
	got := query(t, s, `SELECT active, confidence, first_seen FROM indicators`)
	if want := fmt.Sprintf("[[%d %d %s]]", uint8(1), int32(100), T0); got != want {
		t.Errorf("indicator row %s, want %s", got, want)
	}
	res, err = s.Query(ctx, `SELECT active FROM indicators`)
	if err != nil || fmt.Sprintf("%T", res.Rows[0][0]) != "uint8" {
		t.Errorf("active: %#v, %v; want a uint8", res, err)
	}
	if _, err := s.Query(ctx, `SELECT no_such_column FROM network_events`); err == nil {
		t.Error("a bad query returned no error")
	}
	res, err = s.Query(ctx, `SELECT src_ip FROM network_events WHERE src_ip = 'nowhere'`)
	if err != nil || len(res.Rows) != 0 || len(res.Columns) != 1 {
		t.Errorf("empty result: %#v, %v", res, err)
	}
}

// testQueryJoin runs the shape of query rules JOIN with (see ioc-contact):
// sightings with their indicators, on aliases, filtered and grouped.
func testQueryJoin(t *testing.T, s store.Store) {
	ctx := context.Background()
	e1, e2, e3 := TestEvent(1), TestEvent(2), TestEvent(3)
	e3.SrcIP = netip.MustParseAddr("203.0.113.10")
	if _, err := s.WriteNetwork(ctx, []event.Network{e1, e2, e3}); err != nil {
		t.Fatal(err)
	}
	a, b := indicator("feodo", "198.51.100.7"), indicator("feodo", "203.0.113.10")
	b.Active = false
	if _, err := s.WriteIndicators(ctx, []event.Indicator{a, b}); err != nil {
		t.Fatal(err)
	}
	ms := []store.AddrMatch{{Addr: e1.SrcIP, IndicatorID: a.ID}, {Addr: e3.SrcIP, IndicatorID: b.ID}}
	if n, err := s.SightingsFromMatches(ctx, ms, "retro-hunt"); err != nil || n != 3 {
		t.Fatalf("hunt: %d sightings, %v; want 3", n, err)
	}
	got := query(t, s, `SELECT i.value AS indicator, min(i.feed) AS feed, count(DISTINCT s.event_id) AS events,
			min(s.time) AS first_seen, max(s.time) AS last_seen
		FROM sightings AS s
		JOIN indicators AS i ON s.indicator_id = i.id
		WHERE i.active = 1 AND s.time >= `+timestamp(s, T0)+`
		GROUP BY i.value`)
	if want := fmt.Sprintf("[[198.51.100.7 feodo 2 %s %s]]", e1.Time, e2.Time); got != want {
		t.Errorf("joined\n got %s\nwant %s", got, want)
	}
}

// timestamp is a time literal in the store's dialect, as rule macros write
// it.
func timestamp(s store.Store, t time.Time) string {
	if s.Dialect() == "clickhouse" {
		return "toDateTime('" + t.Format(time.DateTime) + "', 'UTC')"
	}
	return "TIMESTAMP '" + t.Format(time.DateTime) + "'"
}

// testLoadRowsDefaults loads fixture rows as a rule test does, omitting
// columns: they take their defaults, network events and sightings get ids,
// events end when they start, indicators get their feed's id.
func testLoadRowsDefaults(t *testing.T, s store.Store) {
	ctx := context.Background()
	load := func(table string, rows ...map[string]any) {
		t.Helper()
		if err := s.LoadRows(ctx, table, rows); err != nil {
			t.Fatalf("load %s: %v", table, err)
		}
	}
	load("network_events",
		map[string]any{"time": T0, "src_ip": "192.0.2.1", "dst_port": 443, "action": "allow"},
		map[string]any{"time": T0, "src_ip": "192.0.2.1", "dst_port": 443, "action": "allow"}, // a second, equal event
		map[string]any{"time": T0.Add(time.Hour), "end_time": T0.Add(2 * time.Hour), "src_ip": "192.0.2.2"})
	got := query(t, s, `SELECT src_ip, dst_ip, dst_port, end_time, kind, bytes_out, duration_s, raw FROM network_events ORDER BY time, src_ip`)
	want := fmt.Sprintf("[[192.0.2.1  443 %[1]s  0 0 ] [192.0.2.1  443 %[1]s  0 0 ] [192.0.2.2  0 %[2]s  0 0 ]]", T0, T0.Add(2*time.Hour))
	if got != want {
		t.Errorf("network events\n got %s\nwant %s", got, want)
	}
	res, err := s.Query(ctx, `SELECT event_id FROM network_events`)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range res.Rows {
		if id, ok := r[0].(string); ok && len(id) == 36 && id != (event.ID{}).String() {
			ids[id] = true
		}
	}
	if len(ids) != 3 {
		t.Errorf("event ids %v; want three distinct ones", res.Rows)
	}

	load("indicators", map[string]any{"value": "203.0.113.10", "feed": "feodo", "threat": "QakBot"},
		map[string]any{"value": "203.0.113.11", "feed": "feodo", "active": 0, "confidence": 80, "first_seen": T0})
	ins, err := s.Indicators(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	epoch := time.Unix(0, 0).UTC()
	wantIns := []event.Indicator{
		{ID: event.IndicatorID("feodo", "ip", "203.0.113.10"), Type: "ip", Value: "203.0.113.10", Feed: "feodo",
			Threat: "QakBot", FirstSeen: epoch, LastSeen: epoch, Active: true, Fields: "{}"},
		{ID: event.IndicatorID("feodo", "ip", "203.0.113.11"), Type: "ip", Value: "203.0.113.11", Feed: "feodo",
			Confidence: 80, FirstSeen: T0, LastSeen: epoch, Fields: "{}"},
	}
	if wantIns[0].ID > wantIns[1].ID {
		wantIns[0], wantIns[1] = wantIns[1], wantIns[0]
	}
	if g, w := formatIndicators(ins), formatIndicators(wantIns); g != w {
		t.Errorf("indicators\n got %s\nwant %s", g, w)
	}

	load("sightings", map[string]any{"indicator_id": wantIns[0].ID, "time": T0, "peer_ip": "192.168.1.10", "peer_is_src": 1})
	got = query(t, s, `SELECT indicator_id, time, peer_ip, matched_ip, port, peer_is_src, source FROM sightings`)
	if want := fmt.Sprintf("[[%s %s 192.168.1.10  0 1 ]]", wantIns[0].ID, T0); got != want {
		t.Errorf("sightings\n got %s\nwant %s", got, want)
	}
	if got := query(t, s, `SELECT event_id FROM sightings`); len(got) != len("[[]]")+36 {
		t.Errorf("sighting event id %s", got)
	}

	load("alerts", map[string]any{"alert_id": "a1", "rule_id": "r", "first_seen": T0, "last_seen": T0, "updated_at": T0})
	as, err := s.Alerts(ctx)
	if err != nil || len(as) != 1 {
		t.Fatalf("alerts %v, %v", as, err)
	}
	if a := as[0]; a.Count != 1 || a.Status != "open" || len(a.Group) != 0 || len(a.Detail) != 0 || !a.LastSeen.Equal(T0) {
		t.Errorf("alert %+v; want count 1, status open, empty group and detail", a)
	}

	load("rejects", map[string]any{"time": T0, "raw": "garbage"})
	got = query(t, s, `SELECT time, source, line, format, reason, raw FROM rejects`)
	if want := fmt.Sprintf("[[%s  0   garbage]]", T0); got != want {
		t.Errorf("rejects\n got %s\nwant %s", got, want)
	}
	load("rejects") // no rows
}

func testLoadRowsUnknownTable(t *testing.T, s store.Store) {
	err := s.LoadRows(context.Background(), "flows", []map[string]any{{"x": 1}})
	if err == nil || err.Error() != `unknown table "flows" (one of `+strings.Join(store.Tables, ", ")+`)` {
		t.Fatalf("got %v", err)
	}
	if err := s.LoadRows(context.Background(), "network_events", []map[string]any{{"no_such_column": 1}}); err == nil {
		t.Fatal("loading an unknown column worked")
	}
}

func testCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := map[string]int64{}
	for _, tb := range store.Tables {
		want[tb] = 0
	}
	if got := counts(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("empty store: counts %v, want %v", got, want)
	}
	if _, err := s.WriteNetwork(ctx, []event.Network{TestEvent(1), TestEvent(2)}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteRejects(ctx, []event.Reject{{Time: T0, Source: "-", Line: 1, Raw: "x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteIndicators(ctx, []event.Indicator{indicator("a", "192.0.2.1"), indicator("b", "192.0.2.1"), indicator("c", "192.0.2.1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteSightings(ctx, []event.Sighting{{EventID: TestEvent(1).ID, IndicatorID: "x", Time: T0}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteEndpointStates(ctx, []event.EndpointState{EndpointState(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteVPNSessions(ctx, []event.VPNSession{VPNSession(1), VPNSession(2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteHTTP(ctx, []event.HTTP{HTTPEvent(1)}); err != nil {
		t.Fatal(err)
	}
	for tb, n := range map[string]int64{"network_events": 2, "endpoint_states": 1, "vpn_sessions": 2, "http_events": 1, "rejects": 1, "indicators": 3, "sightings": 1, "alerts": 0} {
		want[tb] = n
	}
	if got := counts(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
}
