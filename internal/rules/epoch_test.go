package rules

import (
	"testing"
	"time"
)

func TestRenderEpoch(t *testing.T) {
	r := &Rule{ID: "r", Path: "r.sql", SQLLine: 1, Window: time.Hour,
		SQL: `SELECT {{epoch s.start_time}} - {{epoch "e.end_time"}} AS gap_s FROM t WHERE time <= {{now}}`}
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	want := map[string]string{
		"duckdb":     `SELECT CAST(epoch(s.start_time) AS BIGINT) - CAST(epoch(e.end_time) AS BIGINT) AS gap_s FROM t WHERE time <= TIMESTAMP '2026-01-10 12:00:00'`,
		"clickhouse": `SELECT toInt64(toUnixTimestamp(s.start_time)) - toInt64(toUnixTimestamp(e.end_time)) AS gap_s FROM t WHERE time <= toDateTime('2026-01-10 12:00:00', 'UTC')`,
	}
	for d, w := range want {
		got, err := r.Render(d, now)
		if err != nil || got != w {
			t.Errorf("Render(%s) = %v\n%s\nwant\n%s", d, err, got, w)
		}
	}
	r.SQL = `SELECT {{epoch}} AS x FROM t WHERE time <= {{now}}`
	if _, err := r.Render("duckdb", now); err == nil || err.Error() != `r.sql:1: rule "r": {{epoch}}: wrong number of args for epoch: want 1 got 0` {
		t.Errorf("Render({{epoch}}) error = %v", err)
	}
}
