package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// testEvents checks that Events selects by each field of the filter and
// their combinations, returns the most recent first with every column, and
// counts all it selects whatever the limit.
func testEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	var evs []event.Network
	for i := 1; i <= 6; i++ {
		ev := TestEvent(i)
		switch i {
		case 2:
			ev.Action, ev.DstPort = "allow", 443
		case 3:
			ev.SrcIP, ev.SrcPort = netip.MustParseAddr("2001:db8::7"), 443
		case 4:
			ev.DstIP = netip.MustParseAddr("192.168.1.1")
		case 5:
			ev.Action = "reject"
		}
		evs = append(evs, ev)
	}
	if _, err := s.WriteNetwork(ctx, evs); err != nil {
		t.Fatal(err)
	}
	at := func(i int) time.Time { return T0.Add(time.Duration(i) * time.Second) }
	for _, tc := range []struct {
		name  string
		f     store.EventFilter
		want  []int // event numbers, in the order returned
		total int64
	}{
		{"all", store.EventFilter{}, []int{6, 5, 4, 3, 2, 1}, 6},
		{"limit", store.EventFilter{Limit: 2}, []int{6, 5}, 6},
		{"since", store.EventFilter{Since: at(4)}, []int{6, 5, 4}, 3},
		{"until", store.EventFilter{Until: at(3)}, []int{2, 1}, 2},
		{"range", store.EventFilter{Since: at(2), Until: at(4)}, []int{3, 2}, 2},
		{"src", store.EventFilter{Src: netip.MustParseAddr("2001:db8::7")}, []int{3}, 1},
		{"src mapped", store.EventFilter{Src: netip.MustParseAddr("::ffff:198.51.100.7")}, []int{6, 5, 4, 2, 1}, 5},
		{"dst", store.EventFilter{Dst: netip.MustParseAddr("192.168.1.1")}, []int{4, 1}, 2},
		{"port either side", store.EventFilter{Port: 443}, []int{3, 2}, 2},
		{"action", store.EventFilter{Action: "DROP"}, []int{6, 4, 3, 1}, 4},
		{"all of them", store.EventFilter{Since: at(1), Until: at(6), Dst: netip.MustParseAddr("192.168.1.1"), Port: 1900, Action: "drop", Limit: 10}, []int{4, 1}, 2},
		{"none", store.EventFilter{Action: "nope"}, nil, 0},
	} {
		res, total, err := s.Events(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		raw := slices.Index(res.Columns, "raw")
		if raw < 0 || res.Columns[0] != "event_id" {
			t.Fatalf("%s: columns %v, want every column of network_events", tc.name, res.Columns)
		}
		var got []int
		for _, row := range res.Rows {
			var n int
			fmt.Sscanf(row[raw].(string), "line %d", &n)
			got = append(got, n)
		}
		if !slices.Equal(got, tc.want) || total != tc.total {
			t.Errorf("%s: events %v of %d, want %v of %d", tc.name, got, total, tc.want, tc.total)
		}
	}

	res, _, err := s.Events(ctx, store.EventFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	row := map[string]any{}
	for i, c := range res.Columns {
		row[c] = res.Rows[0][i]
	}
	ev := evs[5]
	if id, ok := row["event_id"].(string); !ok || id != ev.ID.String() {
		t.Errorf("event_id %#v, want the text %s", row["event_id"], ev.ID)
	}
	if tm, ok := row["time"].(time.Time); !ok || !tm.Equal(ev.Time) || tm.Location() != time.UTC {
		t.Errorf("time %#v, want %s in UTC", row["time"], ev.Time)
	}
	if got := fmt.Sprint(row["src_ip"], " ", row["dst_port"], " ", row["in_iface"]); got != "198.51.100.7 1900 ppp0" {
		t.Errorf("src_ip dst_port in_iface: %s", got)
	}
	if want := columnsOf(t, s, "network_events"); !slices.Equal(res.Columns, want) {
		t.Errorf("columns %v, want those of network_events %v", res.Columns, want)
	}
}

// columnsOf returns the columns of a table, as a SELECT * names them.
func columnsOf(t *testing.T, s store.Store, table string) []string {
	t.Helper()
	res, err := s.Query(context.Background(), "SELECT * FROM "+table+" LIMIT 0")
	if err != nil {
		t.Fatal(err)
	}
	return res.Columns
}

// testSchema checks that Schema describes every table rules and the
// store's methods read, with the columns those tables have.
func testSchema(t *testing.T, s store.Store) {
	ts, err := s.Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) < len(store.Tables) {
		t.Fatalf("schema has %d tables, want at least %v", len(ts), store.Tables)
	}
	for i, name := range store.Tables {
		tab := ts[i]
		if tab.Name != name || (tab.Kind != "table" && tab.Kind != "view") {
			t.Errorf("table %d: %s (%s), want %s, a table or view", i, tab.Name, tab.Kind, name)
			continue
		}
		var cols []string
		for _, c := range tab.Columns {
			if c.Type == "" {
				t.Errorf("%s.%s: no type", name, c.Name)
			}
			cols = append(cols, c.Name)
		}
		if want := columnsOf(t, s, name); !slices.Equal(cols, want) {
			t.Errorf("%s: columns %s, want %s", name, strings.Join(cols, " "), strings.Join(want, " "))
		}
	}
	for _, tab := range ts[len(store.Tables):] {
		if slices.Contains(store.Tables, tab.Name) || strings.HasSuffix(tab.Name, "_local") {
			t.Errorf("table %s listed twice, or a shard's local table", tab.Name)
		}
	}
}
