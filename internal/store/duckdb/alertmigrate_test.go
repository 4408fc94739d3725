package duckdb

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/identity"
)

// TestMigrateAlertIdentity upgrades a database made before the alerts'
// identity column: its alerts read back without identity, and a newer
// finding brings one.
func TestMigrateAlertIdentity(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	all := migrations
	migrations = all[:migrationIndex(t, "ADD COLUMN identity")]
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
	if err != nil || len(as) != 1 || as[0].Identity != nil {
		t.Fatalf("old alert: %+v, %v", as, err)
	}
	t0 := time.Date(2026, 1, 10, 10, 30, 0, 0, time.UTC)
	f := as[0]
	f.LastSeen, f.UpdatedAt = t0, t0
	f.Identity = &identity.Answer{Addr: netip.MustParseAddr("172.16.1.10"), From: t0, To: t0, Status: identity.Resolved,
		Candidates: []identity.Candidate{{Source: "vpn", User: "kimura", From: t0, To: t0, Evidence: "session"}}}
	if _, err := s.UpsertAlerts(ctx, []alert.Alert{f}); err != nil {
		t.Fatal(err)
	}
	as, err = s.Alerts(ctx)
	if err != nil || len(as) != 1 || as[0].Identity == nil || as[0].Identity.Candidates[0].User != "kimura" || as[0].Count != 2 {
		t.Fatalf("%+v, %v; want the alert counted twice, with kimura", as, err)
	}
}

// migrationIndex is the index of the migration that holds text.
func migrationIndex(t *testing.T, text string) int {
	t.Helper()
	for i, m := range migrations {
		if strings.Contains(m, text) {
			return i
		}
	}
	t.Fatalf("no migration holds %q", text)
	return 0
}
