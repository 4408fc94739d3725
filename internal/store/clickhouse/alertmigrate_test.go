package clickhouse

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/identity"
)

// TestMigrateAlertIdentity upgrades a database made before the alerts'
// identity column: its alerts read back without identity, a newer finding
// brings one through the recreated view, and the migration run again (as
// after an interruption) keeps it.
func TestMigrateAlertIdentity(t *testing.T) {
	ctx := context.Background()
	server := chtest.URL(t)
	all := migrations
	at := migrationIndex(t, "identity")
	migrations = all[:at]
	s1, err := OpenTemp(ctx, server)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s1.Close() })
	if err := s1.conn.Exec(ctx, `INSERT INTO alert_versions (alert_id, rule_id, title, severity, group_json, first_seen,
		last_seen, count, events, detail, status, updated_at, version)
		SELECT 'a1', 'ioc-contact', 't', 'high', '{"host":"172.16.1.10"}', toDateTime('2026-01-10 10:00:00', 'UTC'),
		toDateTime('2026-01-10 10:05:00', 'UTC'), 1, 1, '{"host":"172.16.1.10"}', 'open', toDateTime('2026-01-10 11:00:00', 'UTC'), 1`); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, withDatabase(t, server, s1.Database()))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	as, err := s2.Alerts(ctx)
	if err != nil || len(as) != 1 || as[0].Identity != nil || as[0].Count != 1 {
		t.Fatalf("old alert: %+v, %v", as, err)
	}
	t0 := time.Date(2026, 1, 10, 10, 30, 0, 0, time.UTC)
	f := as[0]
	f.LastSeen, f.UpdatedAt = t0, t0
	f.Identity = &identity.Answer{Addr: netip.MustParseAddr("172.16.1.10"), From: t0, To: t0, Status: identity.Resolved,
		Candidates: []identity.Candidate{{Source: "vpn", User: "kimura", From: t0, To: t0, Evidence: "session"}}}
	check := func(when string) {
		t.Helper()
		as, err := s2.Alerts(ctx)
		if err != nil || len(as) != 1 || as[0].Identity == nil || as[0].Identity.Candidates[0].User != "kimura" || as[0].Count != 2 {
			t.Fatalf("%s: %+v, %v; want the alert counted twice, with kimura", when, as, err)
		}
	}
	if _, err := s2.UpsertAlerts(ctx, []alert.Alert{f}); err != nil {
		t.Fatal(err)
	}
	check("after a newer finding")
	rerun(t, s2, at) // and the later ones, which recreate the view too
	check("after the migration again")
}

// migrationIndex is the index of the migration that adds column name to
// alert_versions.
func migrationIndex(t *testing.T, name string) int {
	t.Helper()
	for i, m := range migrations {
		for _, c := range m.columns {
			if c.table == "alert_versions" && c.name == name {
				return i
			}
		}
	}
	t.Fatalf("no migration adds alert_versions.%s", name)
	return 0
}

// rerun runs the migrations from index from on again, as after an
// interruption.
func rerun(t *testing.T, s *Store, from int) {
	t.Helper()
	ctx := context.Background()
	l := s.layout()
	for _, m := range migrations[from:] {
		tables, after := l.statements(m)
		added, err := s.addColumns(ctx, l, m.columns)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range append(append(tables, added...), after...) {
			if err := s.conn.Exec(ctx, st); err != nil {
				t.Fatalf("%s: %v", st, err)
			}
		}
	}
}
