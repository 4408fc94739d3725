package chtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// URL returns the ClickHouse server that tests share, from
// $HOMESOC_TEST_CLICKHOUSE, or skips the test when it is not set.
// scripts/test starts one and sets it.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("HOMESOC_TEST_CLICKHOUSE")
	if u == "" {
		t.Skip("no ClickHouse configured: set HOMESOC_TEST_CLICKHOUSE=clickhouse://default@127.0.0.1:9000/default, as ./scripts/test does")
	}
	return u
}

// StartServer starts a ClickHouse server of the test's own in a temporary
// directory and stops it when the test ends. It skips the test when
// clickhouse-server is not installed.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin := requireClickHouse(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Dir: dir, Binary: bin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Log(err)
		}
		if t.Failed() {
			t.Logf("clickhouse-server in %s:%s", s.Dir(), s.logTail())
		}
	})
	return s
}

// StartCluster starts, in temporary directories, a ZooKeeper and shards
// ClickHouse servers that all know a cluster called name, one shard per
// server, and stops them when the test ends. ON CLUSTER queries and
// Distributed tables work on it. It skips the test when clickhouse-server
// or ZooKeeper is not installed. Starting takes about a second.
func StartCluster(t testing.TB, name string, shards int) []*Server {
	t.Helper()
	bin := requireClickHouse(t)
	requireZooKeeper(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := StartLocalCluster(ctx, ClusterOptions{Dir: dir, Name: name, Shards: shards, Binary: bin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Log(err)
		}
		if t.Failed() {
			for i, s := range c.Servers {
				t.Logf("clickhouse-server of shard %d in %s:%s", i+1, s.Dir(), s.logTail())
			}
			t.Logf("zookeeper in %s:\n%s", c.ZooKeeper.dir, tailFile(filepath.Join(c.ZooKeeper.dir, "zk.log"), 20))
		}
	})
	return c.Servers
}

// requireClickHouse returns the clickhouse-server binary or skips the test.
// A binary named by $HOMESOC_CLICKHOUSE_SERVER must exist: scripts/test
// sets it, and there a missing server is a failure, not a skip.
func requireClickHouse(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if _, err := exec.LookPath(bin); err != nil {
		if os.Getenv("HOMESOC_CLICKHOUSE_SERVER") != "" {
			t.Fatalf("HOMESOC_CLICKHOUSE_SERVER=%s: %v", bin, err)
		}
		t.Skipf("clickhouse-server not installed (%v): apt-get install clickhouse-server, or set HOMESOC_CLICKHOUSE_SERVER; ./scripts/test does both", err)
	}
	return bin
}

// requireZooKeeper skips the test unless java and ZooKeeper's jar are
// installed; as with the server, a jar named by
// $HOMESOC_ZOOKEEPER_CLASSPATH must exist.
func requireZooKeeper(t testing.TB) {
	t.Helper()
	var missing []string
	cp := ZooKeeperClasspath()
	if _, err := os.Stat(cp); err != nil {
		missing = append(missing, err.Error())
	}
	if _, err := exec.LookPath("java"); err != nil {
		missing = append(missing, err.Error())
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("HOMESOC_ZOOKEEPER_CLASSPATH") != "" {
		t.Fatalf("HOMESOC_ZOOKEEPER_CLASSPATH=%s: %s", cp, strings.Join(missing, "; "))
	}
	t.Skipf("ZooKeeper not installed (%s): a ClickHouse cluster needs it for ON CLUSTER; apt-get install zookeeper, as ./scripts/test does", strings.Join(missing, "; "))
}
