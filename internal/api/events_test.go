package api

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/store"
)

// TestEventsPages: pages of 40 over 250 events (25 a second, so pages
// end inside a second) list every event stored before the first page
// exactly once, newest first, while events newer, older and of the
// cursor's own second are stored between pages; none is listed twice.
func TestEventsPages(t *testing.T) {
	e := newEnv(t, nil)
	ingest := func(body string) {
		t.Helper()
		if r := e.do("POST", "/api/v1/ingest?format=netfilter", strings.NewReader(body)); r.status != 200 {
			t.Fatalf("ingest: %d %s", r.status, r.body)
		}
	}
	ingest(netfilterLines(250, 0, func(i int) int { return i / 25 }))
	before := eventIDs(t, e.st)
	seen := map[string]int{}
	next, pages, added := "", 0, 0
	var last time.Time
	for {
		var p eventsPage
		r := e.do("GET", "/api/v1/events?port=23&limit=40&cursor="+url.QueryEscape(next), nil)
		r.json(t, &p)
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", pages, r.status, r.body)
		}
		pages++
		for _, ev := range p.Events {
			id := ev["event_id"].(string)
			seen[id]++
			tm, err := time.Parse(time.RFC3339, ev["time"].(string))
			if err != nil || (!last.IsZero() && tm.After(last)) || ev["src_ip"] == nil || ev["raw"] == nil {
				t.Fatalf("page %d: event %v out of order or incomplete", pages, ev)
			}
			last = tm
		}
		if p.Total < 250 {
			t.Errorf("page %d: total %d", pages, p.Total)
		}
		if p.NextCursor == "" {
			break
		}
		next = p.NextCursor
		c, err := decodeCursor(next)
		if err != nil {
			t.Fatal(err)
		}
		// Between pages: events newer than all, older than all, and of
		// the cursor's own second.
		sec := int(c.Time.Sub(time.Date(2026, 4, 6, 16, 5, 0, 0, time.UTC)) / time.Second)
		ingest(netfilterLines(3, 100_000+added, func(int) int { return 30 }) +
			netfilterLines(3, 200_000+added, func(int) int { return sec }))
		ingest(strings.ReplaceAll(netfilterLines(3, 300_000+added, func(int) int { return 0 }), "T16:05:00", "T15:00:00"))
		added += 3
		if pages > 50 {
			t.Fatal("no end of pages")
		}
	}
	for id := range before {
		if seen[id] != 1 {
			t.Errorf("event %s listed %d times", id, seen[id])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s listed %d times", id, n)
		}
	}
	if pages < 7 || len(seen) < 250 {
		t.Errorf("%d pages, %d events", pages, len(seen))
	}
}

// eventIDs are the ids of every stored network event.
func eventIDs(t *testing.T, st store.Store) map[string]bool {
	t.Helper()
	res, err := st.Query(context.Background(), "SELECT CAST(event_id AS VARCHAR) FROM network_events")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range res.Rows {
		ids[fmt.Sprint(r[0])] = true
	}
	return ids
}

// TestEventsFilters: the filters as homesoc events takes them, with the
// CLI's JSON shape, and 400s that name the parameter.
func TestEventsFilters(t *testing.T) {
	e := newEnv(t, nil)
	body := netfilterLines(10, 0, func(i int) int { return i }) +
		"2026-04-06T16:06:00 router kernel: ACCEPT IN=eth0 OUT= MAC= SRC=192.0.2.1 DST=10.0.0.9 PROTO=UDP SPT=53 DPT=5353\n" +
		"2026-04-06T16:06:01 router kernel: DROP IN=eth0 OUT= MAC= SRC=192.0.2.1 DST='o''k' PROTO=UDP SPT=53 DPT=5353\n"
	if r := e.do("POST", "/api/v1/ingest?format=netfilter", strings.NewReader(body)); r.status != 200 {
		t.Fatalf("ingest: %d %s", r.status, r.body)
	}
	for q, want := range map[string]int{
		"": 11, "?src=10.0.0.3": 1, "?dst=10.0.0.9": 1, "?src=192.0.2.1&port=53": 1, "?action=drop": 10, "?action=DROP'--": 0,
		"?since=2026-04-06T16:05:05Z": 6, "?until=2026-04-06%2016:05:05": 5, "?since=2026-04-06T16:05:05Z&until=2026-04-06T16:05:07Z": 2,
		"?port=23&limit=3": 3, "?since=1h": 0,
	} {
		var p eventsPage
		r := e.do("GET", "/api/v1/events"+q, nil)
		r.json(t, &p)
		if r.status != 200 || len(p.Events) != want {
			t.Errorf("%s: %d, %d events, want %d", q, r.status, len(p.Events), want)
		}
		if q == "?port=23&limit=3" && (p.Total != 10 || p.NextCursor == "") {
			t.Errorf("%s: total %d, cursor %q", q, p.Total, p.NextCursor)
		}
		if q == "" && (p.NextCursor != "" || p.Total != 11) {
			t.Errorf("all: total %d, cursor %q", p.Total, p.NextCursor)
		}
	}
	for q, want := range map[string]string{
		"?limit=0":      `limit: "0": want 1 to 10000`,
		"?limit=10001":  `limit: "10001": want 1 to 10000`,
		"?port=65536":   `port: "65536" is not a port (1-65535)`,
		"?src=nope":     `src: "nope" is not an IP address`,
		"?since=later":  `since: "later" is neither`,
		"?cursor=e1.!!": "cursor: not a cursor this API gave",
		"?cursor=" + encodeCursor(store.EventCursor{Time: time.Unix(5, 0), EventID: "x' OR 1=1 --"}): "cursor: not a cursor",
	} {
		if r := e.do("GET", "/api/v1/events"+q, nil); r.status != 400 || !strings.HasPrefix(r.errText(t), want) {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

// FuzzCursor: decodeCursor never panics, and what it accepts encodes
// back to itself and makes a query.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(store.EventCursor{Time: time.Unix(1775491529, 0), EventID: "0b6f3c2e-6a51-4c0e-9d7a-2f4a1e8b9c10"}))
	f.Add("e1.")
	f.Add("e1.MTIzLHg")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1000 {
			return
		}
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		if got := encodeCursor(c); got != s {
			c2, err := decodeCursor(got)
			if err != nil || c2 != c {
				t.Fatalf("%q decodes to %+v, which encodes to %q", s, c, got)
			}
		}
		for _, d := range []string{"duckdb", "clickhouse"} {
			if _, _, err := (store.EventFilter{Limit: 1}).EventPageQueries(d, &c); err != nil {
				t.Fatalf("%q: %v", s, err)
			}
		}
	})
}
