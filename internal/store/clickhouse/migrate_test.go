package clickhouse

import (
	"context"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// netColumnsMigration is the migration that adds network_events' columns of
// issue 8.
const netColumnsMigration = 3

// TestMigrateNetworkColumns upgrades a database made by migration 1 alone:
// its rows read the new network_events columns as zero values, new rows
// keep them (natively and over HTTP), the byte columns say they count
// IP-level bytes, and running that migration again adds nothing twice.
func TestMigrateNetworkColumns(t *testing.T) {
	ctx := context.Background()
	server := chtest.URL(t)
	all := migrations
	migrations = all[:1]
	s1, err := OpenTemp(ctx, server)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s1.Close() })
	if err := s1.conn.Exec(ctx, `INSERT INTO network_events (event_id, time, end_time, raw)
		SELECT generateUUIDv4(), toDateTime('2026-04-06 16:05:29', 'UTC'), toDateTime('2026-04-06 16:05:29', 'UTC'), 'v1 row'`); err != nil {
		t.Fatal(err)
	}
	u := withDatabase(t, server, s1.Database())
	s2, err := Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	const cols = `rule_name, icmp_type, icmp_code, src_mac, dst_mac, ip_id, tcp_window, packet_len, flow_uid, service`
	if got := queryRows(t, s2, `SELECT `+cols+` FROM network_events WHERE raw = 'v1 row'`); got != "[[ 0 0   0 0 0  ]]" {
		t.Errorf("old row: %s", got)
	}
	ev := storetest.ColumnsEvent(1)
	if _, err := s2.WriteNetwork(ctx, []event.Network{ev}); err != nil {
		t.Fatal(err)
	}
	if got := queryRows(t, s2, `SELECT `+cols+` FROM network_events WHERE raw = '`+ev.Raw+`'`); got != "[[WAN_IN-11 129 1 52:54:00:aa:bb:01 33:33:00:00:00:01 54321 65534 2147483649 CHhAvVGS1DHFjwGM1 ssl,http]]" {
		t.Errorf("new row: %s", got)
	}
	if got := queryRows(t, s2, `SELECT comment FROM system.columns WHERE database = currentDatabase()
		AND table = 'network_events' AND name = 'bytes_in'`); !strings.Contains(got, "IP-level bytes") {
		t.Errorf("bytes_in comment: %s", got)
	}
	// Interrupted after adding the columns, the migration runs again in full.
	stmts, err := s2.addColumns(ctx, s2.layout(), migrations[netColumnsMigration-1].columns)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		if strings.Contains(st, "ADD COLUMN") {
			t.Errorf("adds a column it has: %s", st)
		}
		if err := s2.conn.Exec(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
}
