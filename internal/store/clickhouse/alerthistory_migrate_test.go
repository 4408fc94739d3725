package clickhouse

import (
	"context"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/store"
)

// TestMigrateAlertHistory upgrades a database made before the alerts'
// history column: its alerts read back open with an empty history through
// the recreated view, an acknowledgement is kept, and the migration run
// again (as after an interruption) keeps it.
func TestMigrateAlertHistory(t *testing.T) {
	ctx := context.Background()
	server := chtest.URL(t)
	all := migrations
	at := migrationIndex(t, "history")
	migrations = all[:at]
	s1, err := OpenTemp(ctx, server)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s1.Close() })
	if err := s1.conn.Exec(ctx, `INSERT INTO alert_versions (alert_id, rule_id, title, severity, group_json, first_seen,
		last_seen, count, events, detail, status, updated_at, identity, version)
		SELECT 'a1', 'ioc-contact', 't', 'high', '{"host":"172.16.1.10"}', toDateTime('2026-01-10 10:00:00', 'UTC'),
		toDateTime('2026-01-10 10:05:00', 'UTC'), 1, 1, '{"host":"172.16.1.10"}', 'open', toDateTime('2026-01-10 11:00:00', 'UTC'), '', 1`); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, withDatabase(t, server, s1.Database()))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	as, err := s2.Alerts(ctx)
	if err != nil || len(as) != 1 || as[0].Status != alert.StatusOpen || as[0].History == nil || len(as[0].History) != 0 {
		t.Fatalf("old alert: %+v, %v; want open with history []", as, err)
	}
	when := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	tr := alert.Transition{State: alert.StatusAcknowledged, Author: "anna", At: when, Comment: "mine", By: alert.ByOperator}
	if moved, err := s2.MoveAlerts(ctx, store.AlertFilter{IDs: []string{"a1"}}, tr); err != nil || len(moved) != 1 {
		t.Fatalf("ack: %+v, %v", moved, err)
	}
	check := func(step string) {
		t.Helper()
		as, err := s2.Alerts(ctx)
		if err != nil || len(as) != 1 || as[0].Status != alert.StatusAcknowledged || len(as[0].History) != 1 ||
			as[0].History[0] != tr || !as[0].UpdatedAt.Equal(when) || as[0].Count != 1 {
			t.Fatalf("%s: %+v, %v; want a1 acknowledged by anna", step, as, err)
		}
	}
	check("after the ack")
	rerun(t, s2, at)
	check("after the migration again")
}
