package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// TestEvalAt: evaluations batched into UNION ALL queries give what Eval
// gives at each time, in order, past a batch's size, with the built-in rules
// (one of them a JOIN). ClickHouse runs batches in production: the
// testscripts run detect on it.
func TestEvalAt(t *testing.T) {
	ctx := context.Background()
	s, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := DefaultTestNow
	var evs, sightings, states []map[string]any
	for i := range 300 {
		at := now.Add(-time.Duration(i) * 17 * time.Second)
		evs = append(evs, map[string]any{"time": at, "src_ip": fmt.Sprintf("192.0.2.%d", i%2), "dst_ip": "203.0.113.7",
			"dst_port": i % 40})
		sightings = append(sightings, map[string]any{"time": at, "indicator_id": "c2", "peer_ip": "192.168.1.2",
			"peer_is_src": 1, "event_id": fmt.Sprintf("00000000-0000-0000-0000-%012d", i)})
		// For the exposure rules: connections from the internet accepted by
		// the router and by an endpoint behind it, and its EDR states.
		kind := []string{"endpoint", "firewall"}[i%2]
		evs = append(evs, map[string]any{"time": at, "kind": kind, "action": "allow", "direction": "inbound",
			"src_ip": "8.8.8.8", "dst_ip": "192.168.1.20", "dst_port": 3389, "device_id": "aid-1", "sensor": "gw", "in_iface": "ppp0"})
		states = append(states, map[string]any{"time": at, "device_id": "aid-1", "kind": []string{"interface", "public_ip"}[i%2],
			"address": "81.2.69.142", "os": "Windows 11"})
	}
	// For the VPN rules: two sessions of one user from Tokyo and New York
	// at once, the pool address of the sightings, the EDR device above
	// on its home address, and a user's habit of starting at another hour.
	tokyo := map[string]any{"start_time": now.Add(-3 * time.Hour), "end_time": now.Add(time.Hour), "end_kind": "logged",
		"user_name": "u1", "remote_ip": "203.0.113.5", "remote_country": "JP", "remote_lat": 35.7, "remote_lon": 139.7, "remote_located": 1,
		"assigned_ip": "192.168.1.2", "device_id": "aid-1", "remote_scope": "global"}
	newYork := map[string]any{"start_time": now.Add(-90 * time.Minute), "end_time": now.Add(time.Hour), "end_kind": "logged",
		"user_name": "u1", "remote_ip": "81.2.69.142", "remote_country": "US", "remote_lat": 40.7, "remote_lon": -74, "remote_located": 1,
		"assigned_ip": "172.16.1.9", "device_id": "aid-1", "remote_scope": "global"}
	intervals := []map[string]any{tokyo, newYork}
	for d := range 11 {
		intervals = append(intervals, map[string]any{"start_time": now.Add(-time.Duration(d)*24*time.Hour - 150*time.Minute + 12*time.Hour),
			"end_time": now.Add(-time.Duration(d)*24*time.Hour + 12*time.Hour), "end_kind": "logged", "user_name": "u2", "remote_ip": "198.51.100.2"})
	}
	intervals[2]["start_time"] = now.Add(-150 * time.Minute) // u2's unusual start, today
	for table, rows := range map[string][]map[string]any{"network_events": evs, "sightings": sightings, "endpoint_states": states,
		"vpn_intervals": intervals, "indicators": {{"id": "c2", "value": "198.51.100.77", "feed": "feodo"}}} {
		if err := s.LoadRows(ctx, table, rows); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := LoadAll(Builtin())
	if err != nil {
		t.Fatal(err)
	}
	// A rule whose SQL ends in a line comment batches too.
	commented := *rs[0]
	commented.SQL = strings.TrimRight(commented.SQL, "\n;") + " -- the window"
	rs = append(rs, &commented)
	var times []time.Time
	const batch = 32
	for i := range 2*batch + 10 {
		times = append(times, now.Add(-time.Duration(i)*time.Minute))
	}
	for _, r := range rs {
		got, err := r.evalAt(ctx, s, times, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(times) {
			t.Fatalf("%s: %d results for %d times", r.ID, len(got), len(times))
		}
		nonEmpty := 0
		for i, at := range times {
			want, err := r.Eval(ctx, s, at)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got[i].Columns) != fmt.Sprint(want.Columns) || sortedRows(got[i]) != sortedRows(want) {
				t.Fatalf("%s at %v: batched %v %s\nalone %v %s", r.ID, at, got[i].Columns, sortedRows(got[i]), want.Columns, sortedRows(want))
			}
			if len(want.Rows) > 0 {
				nonEmpty++
			}
		}
		if nonEmpty == 0 {
			t.Errorf("%s: found nothing at any time; the test proves little", r.ID)
		}
	}
}

// sortedRows is rowsText with the rows sorted: UNION ALL keeps no order.
func sortedRows(res *store.Result) string {
	rows := make([]string, len(res.Rows))
	for i, row := range res.Rows {
		rows[i] = rowsText(&store.Result{Rows: [][]any{row}})
	}
	slices.Sort(rows)
	return strings.Join(rows, "")
}
