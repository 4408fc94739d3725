package duckdb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// TestIngestSpansOfDataBefore: a database written before ingest tracking
// gets spans for what it holds, one per hour, so rules evaluate it.
func TestIngestSpansOfDataBefore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteNetwork(ctx, []event.Network{storetest.TestEvent(1), storetest.TestEvent(2), storetest.TestEvent(7200)}); err != nil {
		t.Fatal(err)
	}
	// Back to the schema before ingest tracking (migration 4), data kept.
	if _, err := s.conn.ExecContext(ctx, `DROP TABLE assets; DROP TABLE vpn_sessions; DROP TABLE http_events; DROP TABLE vpn_intervals;
		DROP TABLE scans; DROP TABLE scan_hosts; DROP TABLE scan_ports;
		DROP TABLE allowances; DROP TABLE silences; DROP TABLE notifications; DROP TABLE notify_groups; DROP TABLE upnp_listings; DROP TABLE upnp_mappings;
		DROP TABLE endpoint_states; ALTER TABLE network_events DROP COLUMN src_scope;
		ALTER TABLE network_events DROP COLUMN dst_scope; DROP TABLE ingest_spans; DROP TABLE watermarks; ALTER TABLE indicators DROP COLUMN load_seq; ALTER TABLE alerts DROP COLUMN identity; ALTER TABLE alerts DROP COLUMN history;
		DELETE FROM schema_migrations WHERE version >= 4`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	spans, err := s.IngestedSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 || spans[0].Rows+spans[1].Rows != 3 || spans[0].Seq != 1 || spans[0].Table != "network_events" {
		t.Fatalf("spans %+v: want two of network_events, 3 rows, sequence number 1", spans)
	}
}
