package store

import (
	"net/netip"
	"testing"
	"time"
)

// TestEventPageQueries: values become each engine's literals (a quote or
// backslash cannot end one), the cursor keys the page on (time,
// event_id), and an event id that is not a UUID is refused.
func TestEventPageQueries(t *testing.T) {
	f := EventFilter{Src: netip.MustParseAddr("192.0.2.1"), Port: 22, Action: `dr'op\`, Since: time.Date(2026, 4, 6, 16, 5, 29, 900, time.UTC), Limit: 100}
	c := &EventCursor{Time: time.Date(2026, 4, 6, 17, 0, 0, 0, time.UTC), EventID: "0b6f3c2e-6a51-4c0e-9d7a-2f4a1e8b9c10"}
	for _, tc := range []struct {
		dialect       string
		cursor        *EventCursor
		events, count string
	}{
		{"duckdb", c,
			`SELECT * FROM network_events WHERE time >= '2026-04-06 16:05:29' AND src_ip = '192.0.2.1' AND (src_port = 22 OR dst_port = 22) AND action = 'dr''op\' AND (time < '2026-04-06 17:00:00' OR (time = '2026-04-06 17:00:00' AND event_id < CAST('0b6f3c2e-6a51-4c0e-9d7a-2f4a1e8b9c10' AS UUID))) ORDER BY time DESC, event_id DESC LIMIT 100`,
			`SELECT count(*) AS n FROM network_events WHERE time >= '2026-04-06 16:05:29' AND src_ip = '192.0.2.1' AND (src_port = 22 OR dst_port = 22) AND action = 'dr''op\'`},
		{"clickhouse", c,
			`SELECT * FROM network_events WHERE time >= '2026-04-06 16:05:29' AND src_ip = '192.0.2.1' AND (src_port = 22 OR dst_port = 22) AND action = 'dr\'op\\' AND (time < '2026-04-06 17:00:00' OR (time = '2026-04-06 17:00:00' AND event_id < toUUID('0b6f3c2e-6a51-4c0e-9d7a-2f4a1e8b9c10'))) ORDER BY time DESC, event_id DESC LIMIT 100`,
			`SELECT count(*) AS n FROM network_events WHERE time >= '2026-04-06 16:05:29' AND src_ip = '192.0.2.1' AND (src_port = 22 OR dst_port = 22) AND action = 'dr\'op\\'`},
	} {
		ev, cnt, err := f.EventPageQueries(tc.dialect, tc.cursor)
		if err != nil || ev != tc.events || cnt != tc.count {
			t.Errorf("%s:\n got %s\nwant %s\n got %s\nwant %s\n%v", tc.dialect, ev, tc.events, cnt, tc.count, err)
		}
	}
	ev, _, err := (EventFilter{}).EventPageQueries("duckdb", &EventCursor{EventID: c.EventID})
	if want := `SELECT * FROM network_events WHERE (time < '1970-01-01 00:00:00' OR (time = '1970-01-01 00:00:00' AND event_id < CAST('0b6f3c2e-6a51-4c0e-9d7a-2f4a1e8b9c10' AS UUID))) ORDER BY time DESC, event_id DESC`; err != nil || ev != want {
		t.Errorf("no filter:\n got %s\nwant %s (%v)", ev, want, err)
	}
	for _, id := range []string{"", "x' OR 1=1 --", "0b6f3c2e-6a51-4c0e-9d7a-2f4a1e8b9c1'", "0b6f3c2e_6a51-4c0e-9d7a-2f4a1e8b9c10"} {
		if _, _, err := f.EventPageQueries("duckdb", &EventCursor{EventID: id}); err == nil {
			t.Errorf("event id %q accepted", id)
		}
	}
}
