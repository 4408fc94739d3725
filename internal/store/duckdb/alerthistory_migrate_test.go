package duckdb

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/store"
)

// TestMigrateAlertHistory upgrades a database made before the alerts'
// history column: its alerts read back open with an empty history, and
// their lifecycle goes on from there.
func TestMigrateAlertHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	all := migrations
	migrations = all[:migrationIndex(t, "ADD COLUMN history")]
	s, err := Open(ctx, path)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.conn.ExecContext(ctx, `INSERT INTO alerts (alert_id, rule_id, first_seen, last_seen, updated_at, group_json, detail)
		VALUES ('a1', 'ioc-contact', TIMESTAMP '2026-01-10 10:00:00', TIMESTAMP '2026-01-10 10:05:00', TIMESTAMP '2026-01-10 11:00:00',
		'{"host":"172.16.1.10"}', '{"host":"172.16.1.10"}')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	as, err := s.Alerts(ctx)
	if err != nil || len(as) != 1 || as[0].Status != alert.StatusOpen || as[0].History == nil || len(as[0].History) != 0 {
		t.Fatalf("old alert: %+v, %v; want open with history []", as, err)
	}
	at := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	tr := alert.Transition{State: alert.StatusAcknowledged, Author: "anna", At: at, Comment: "mine", By: alert.ByOperator}
	if moved, err := s.MoveAlerts(ctx, store.AlertFilter{IDs: []string{"a1"}}, tr); err != nil || len(moved) != 1 {
		t.Fatalf("ack: %+v, %v", moved, err)
	}
	as, err = s.Alerts(ctx)
	if err != nil || len(as) != 1 || as[0].Status != alert.StatusAcknowledged || len(as[0].History) != 1 ||
		as[0].History[0] != tr || !as[0].UpdatedAt.Equal(at) || as[0].Count != 1 {
		t.Fatalf("%+v, %v; want a1 acknowledged by anna", as, err)
	}
}
