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
	migrations = all[:len(all)-1]
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
	l := s2.layout()
	tables, after := l.statements(migrations[len(migrations)-1])
	added, err := s2.addColumns(ctx, l, migrations[len(migrations)-1].columns)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range append(append(tables, added...), after...) {
		if err := s2.conn.Exec(ctx, st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	check("after the migration again")
}
