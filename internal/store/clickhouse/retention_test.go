package clickhouse

import (
	"testing"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// TestRetentionConformance runs the retention suite.
func TestRetentionConformance(t *testing.T) {
	server := chtest.URL(t)
	storetest.RunRetention(t, func(t *testing.T) store.Store { return openTemp(t, server) })
}

// TestRetentionCluster runs it on a cluster of two shards: partitions
// dropped and rows deleted on every shard.
func TestRetentionCluster(t *testing.T) {
	chtest.URL(t) // a cluster is started only where ClickHouse tests run
	servers := chtest.StartCluster(t, "hs", 2)
	native := withParam(t, servers[0].URL(), "cluster", "hs")
	storetest.RunRetention(t, func(t *testing.T) store.Store { return openTemp(t, native) })
}
