package cli

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/store/clickhouse"
)

// engineScripts are the user sessions that must give the same results on
// every engine: their expected output is what DuckDB gives.
var engineScripts = []string{"demo", "detect_old_log", "ingest", "intel_after_events", "rules", "intel_bad_bytes", "rejects_display", "whois", "alerts_identity", "silence"}

// TestScriptsClickHouse runs engineScripts with --store (through
// $HOMESOC_STORE) naming a new database on the shared ClickHouse server.
func TestScriptsClickHouse(t *testing.T) {
	runOnClickHouse(t, chtest.URL(t))
}

// TestScriptsClickHouseCluster runs engineScripts on two ClickHouse servers
// that are two shards of one cluster: the schema is created ON CLUSTER, events
// spread over the shards, and rules read them through Distributed tables.
func TestScriptsClickHouseCluster(t *testing.T) {
	servers := chtest.StartCluster(t, "homesoc", 2)
	runOnClickHouse(t, servers[0].URL()+"?cluster=homesoc")
}

// runOnClickHouse runs engineScripts, each with a database of its own on the
// server base names (keeping its query), dropped when the script ends.
func runOnClickHouse(t *testing.T, base string) {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	prefix := fmt.Sprintf("homesoc_script_%d_", time.Now().UnixNano())
	files := make([]string, 0, len(engineScripts))
	for _, name := range engineScripts {
		files = append(files, filepath.Join("testdata", "script", name+".txtar"))
	}
	testscript.Run(t, testscript.Params{
		Files: files,
		Cmds:  scriptCmds,
		Setup: func(env *testscript.Env) error {
			db := *u
			db.Path = "/" + prefix + fmt.Sprint(n.Add(1))
			env.Setenv("HOMESOC_STORE", db.String())
			env.Defer(func() {
				if err := clickhouse.DropDatabase(context.Background(), db.String()); err != nil {
					env.T().Log(err)
				}
			})
			return nil
		},
	})
}
