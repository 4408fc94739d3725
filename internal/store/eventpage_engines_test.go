package store_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/clickhouse"
	"github.com/homesoc/homesoc/internal/store/duckdb"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// TestEventPagesEngines: on each engine, pages of EventPageQueries list
// every event stored before the first page once, newest first, while
// events newer, older and of the cursor's own second are stored between
// pages, and list no event twice.
func TestEventPagesEngines(t *testing.T) {
	ctx := context.Background()
	t.Run("duckdb", func(t *testing.T) {
		st, err := duckdb.Open(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		walkPages(t, st)
	})
	t.Run("clickhouse", func(t *testing.T) {
		srv := chtest.StartServer(t)
		st, err := clickhouse.OpenTemp(ctx, srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		walkPages(t, st)
	})
}

// pageEvent is event i of a page test: 15 a second from T0 (of second
// sec when sec >= 0), all drops to port 1900.
func pageEvent(i, sec int) event.Network {
	if sec < 0 {
		sec = i / 15
	}
	raw := fmt.Sprintf("page event %d", i)
	return event.Network{ID: event.NewID("test", []byte(raw)), Time: storetest.T0.Add(time.Duration(sec) * time.Second),
		Kind: event.KindFirewall, Action: "drop", Protocol: "udp", SrcIP: netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}),
		SrcPort: 5000, DstIP: netip.MustParseAddr("192.168.1.1"), DstPort: 1900, Format: "test", Raw: raw}
}

func walkPages(t *testing.T, st store.Store) {
	ctx := context.Background()
	var evs []event.Network
	for i := range 150 {
		evs = append(evs, pageEvent(i, -1))
	}
	if _, err := st.WriteNetwork(ctx, evs); err != nil {
		t.Fatal(err)
	}
	f := store.EventFilter{Port: 1900, Action: "drop", Limit: 11}
	seen := map[string]int{}
	var cur *store.EventCursor
	var last time.Time
	for page := 0; ; page++ {
		q, cq, err := f.EventPageQueries(st.Dialect(), cur)
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if cnt, err := st.Query(ctx, cq); err != nil || len(cnt.Rows) != 1 || fmt.Sprint(cnt.Rows[0][0]) != fmt.Sprint(150+page*3) {
			t.Fatalf("count on page %d: %v %v", page, cnt, err)
		}
		ti, ii := slices.Index(res.Columns, "time"), slices.Index(res.Columns, "event_id")
		for _, row := range res.Rows {
			tm := row[ti].(time.Time)
			if !last.IsZero() && tm.After(last) {
				t.Fatalf("page %d: %s after %s", page, tm, last)
			}
			last = tm
			seen[fmt.Sprint(row[ii])]++
		}
		if len(res.Rows) < f.Limit {
			break
		}
		end := res.Rows[len(res.Rows)-1]
		cur = &store.EventCursor{Time: end[ti].(time.Time), EventID: fmt.Sprint(end[ii])}
		sec := int(cur.Time.Sub(storetest.T0) / time.Second)
		n := 1000 + 3*page
		if _, err := st.WriteNetwork(ctx, []event.Network{pageEvent(n, 100), pageEvent(n+1, sec), pageEvent(n+2, 0)}); err != nil {
			t.Fatal(err)
		}
		if page > 40 {
			t.Fatal("no end of pages")
		}
	}
	for _, e := range evs {
		if seen[e.ID.String()] != 1 {
			t.Errorf("event %s listed %d times", e.ID, seen[e.ID.String()])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s listed %d times", id, n)
		}
	}
}
