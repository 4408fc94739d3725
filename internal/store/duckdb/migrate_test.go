package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// TestMigrateNetworkColumns upgrades a database made by migration 1 alone:
// its rows read the new network_events columns as zero values, new rows
// keep them, and the byte columns say they count IP-level bytes.
func TestMigrateNetworkColumns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	all := migrations
	migrations = all[:1]
	s, err := Open(ctx, path)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.conn.ExecContext(ctx, `INSERT INTO network_events (event_id, time, end_time, raw)
		VALUES (uuid(), TIMESTAMP '2026-04-06 16:05:29', TIMESTAMP '2026-04-06 16:05:29', 'v1 row')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const cols = `rule_name, icmp_type, icmp_code, src_mac, dst_mac, ip_id, tcp_window, packet_len, flow_uid, service`
	if got := query(t, s, `SELECT `+cols+` FROM network_events WHERE raw = 'v1 row'`); got != "[[ 0 0   0 0 0  ]]" {
		t.Errorf("old row: %s", got)
	}
	ev := storetest.ColumnsEvent(1)
	if _, err := s.WriteNetwork(ctx, []event.Network{ev}); err != nil {
		t.Fatal(err)
	}
	if got := query(t, s, `SELECT `+cols+` FROM network_events WHERE raw = '`+ev.Raw+`'`); got != "[[WAN_IN-11 129 1 52:54:00:aa:bb:01 33:33:00:00:00:01 54321 65534 2147483649 CHhAvVGS1DHFjwGM1 ssl,http]]" {
		t.Errorf("new row: %s", got)
	}
	if got := query(t, s, `SELECT comment FROM duckdb_columns() WHERE table_name = 'network_events' AND column_name = 'bytes_in'`); !strings.Contains(got, "IP-level bytes") {
		t.Errorf("bytes_in comment: %s", got)
	}
}

func query(t *testing.T, s *Store, q string) string {
	t.Helper()
	res, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return fmt.Sprint(res.Rows)
}
