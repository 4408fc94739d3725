package clickhouse

import (
	"context"
	"testing"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// TestIngestSpansOfDataBefore: a database written before ingest tracking
// gets spans for what it holds, one per hour, so rules evaluate it.
func TestIngestSpansOfDataBefore(t *testing.T) {
	ctx := context.Background()
	server := chtest.URL(t)
	s1 := openTemp(t, server)
	if _, err := s1.WriteNetwork(ctx, []event.Network{storetest.TestEvent(1), storetest.TestEvent(2), storetest.TestEvent(7200)}); err != nil {
		t.Fatal(err)
	}
	// Back to the schema of migration 1, data kept.
	for _, q := range []string{"DROP TABLE ingest_spans", "DROP TABLE watermarks", "DROP TABLE schema_migrations"} {
		if err := s1.conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range s1.layout().createTable(migrationsTable) {
		if err := s1.conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s1.insertColumns(ctx, "schema_migrations", "version", []uint32{1}); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, withDatabase(t, server, s1.Database()))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	spans, err := s2.IngestedSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 || spans[0].Rows+spans[1].Rows != 3 || spans[0].Seq != 1 || spans[0].Table != "network_events" {
		t.Fatalf("spans %+v: want two of network_events, 3 rows, sequence number 1", spans)
	}
}
