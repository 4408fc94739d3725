package clickhouse

import (
	"context"
	"fmt"
	"testing"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// TestCluster runs the store on a cluster of two shards: the schema made ON
// CLUSTER, reads through Distributed tables, events spread over the shards
// by id, duplicates merged on the shard that holds them, retention on every
// shard, the built-in rules' tests; with network events inserted over the
// native protocol and over HTTP.
func TestCluster(t *testing.T) {
	chtest.URL(t) // a cluster is started only where ClickHouse tests run
	servers := chtest.StartCluster(t, "hs", 2)
	native := withParam(t, servers[0].URL(), "cluster", "hs")
	http := withParam(t, httpURL(t, servers[0]), "cluster", "hs")
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t, native) })
	})
	t.Run("BuiltinRules", func(t *testing.T) { testBuiltinRules(t, native) })
	t.Run("DropBefore", func(t *testing.T) { testDropBefore(t, native) })
	// Over HTTP only network events take another path; each test costs a
	// second or two of ON CLUSTER DDL, so these are the ones that write them.
	for _, tc := range []struct{ name, url string }{{"native", native}, {"http", http}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("MergesLeaveNoDuplicates", func(t *testing.T) { testMerges(t, tc.url) })
			t.Run("Shards", func(t *testing.T) { testShards(t, tc.url, servers) })
		})
	}
}

// testShards checks that events spread over the shards, and that every node
// reads them all.
func testShards(t *testing.T, server string, servers []*chtest.Server) {
	ctx := context.Background()
	s := openTemp(t, server)
	const n = 1000
	evs := make([]event.Network, n)
	for i := range evs {
		evs[i] = storetest.NetfilterEvent(i)
	}
	if stored, err := s.WriteNetwork(ctx, evs); err != nil || stored != n {
		t.Fatalf("stored %d, %v", stored, err)
	}
	total := 0
	for i, srv := range servers {
		got, err := srv.Query(ctx, "SELECT count() FROM "+s.Database()+".network_events_local")
		if err != nil {
			t.Fatal(err)
		}
		var local int
		fmt.Sscan(got, &local)
		if local < n/4 {
			t.Errorf("shard %d holds %d of %d events", i+1, local, n)
		}
		total += local
		got, err = srv.Query(ctx, "SELECT count() FROM "+s.Database()+".network_events")
		if err != nil {
			t.Fatal(err)
		}
		if got != fmt.Sprintln(n) {
			t.Errorf("node %d reads %s events, want %d", i+1, got, n)
		}
	}
	if total != n {
		t.Errorf("shards hold %d events in all, want %d", total, n)
	}
	if stored, err := s.WriteNetwork(ctx, evs); err != nil || stored != 0 {
		t.Fatalf("write again: stored %d, %v; want 0", stored, err)
	}
}
