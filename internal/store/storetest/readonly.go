package storetest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// refusal is what ReadQuery's errors say when the sandbox refuses a
// statement, on any engine.
var refusal = regexp.MustCompile(`(?i)refused|read-?only|disabled|forbidden|not allowed|permission|single SELECT`)

// testReadQuery checks that ReadQuery answers SELECTs and refuses, with a
// clear error and no effect, every way out of the sandbox SQL offers on the
// store's engine: reading or writing files, the network, other databases,
// extensions, settings, and any write or schema change.
func testReadQuery(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.WriteNetwork(ctx, []event.Network{TestEvent(1), TestEvent(2), TestEvent(3)}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ReadQuery(ctx, "SELECT count(*) AS n, max(dst_port) AS port FROM network_events WHERE action = 'drop'")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Columns, " "); got != "n port" || len(res.Rows) != 1 || res.Rows[0][0] != int64(3) {
		t.Fatalf("count: columns %q rows %v, want n port [[3 1900]]", got, res.Rows)
	}
	if res, err := s.ReadQuery(ctx, "SELECT raw FROM network_events ORDER BY time LIMIT 1;"); err != nil ||
		len(res.Rows) != 1 || res.Rows[0][0] != "line 1" {
		t.Errorf("a trailing semicolon: %v, %v; want [[line 1]]", res, err)
	}
	if _, err := s.ReadQuery(ctx, "SELECT no_such_column FROM network_events"); err == nil {
		t.Error("a bad column: no error")
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	refused := []string{
		"INSERT INTO rejects (time, source, raw) SELECT time, 'x', raw FROM network_events",
		"DROP TABLE rejects",
		"SELECT 1; DROP TABLE rejects",
		"SELECT 1; SELECT 2",
	}
	switch s.Dialect() {
	case "duckdb":
		refused = append(refused,
			"SELECT * FROM read_csv('/etc/passwd')",
			"SELECT * FROM read_text('/etc/hostname')",
			"SELECT * FROM glob('/etc/*')",
			"COPY network_events TO '"+out+"'",
			"COPY (SELECT 1) TO '"+out+"'",
			"ATTACH '"+filepath.Join(dir, "other.duckdb")+"' AS other",
			"INSTALL httpfs",
			"LOAD httpfs",
			"SET enable_external_access = true",
			"PRAGMA enable_profiling",
			"CHECKPOINT",
			"DELETE FROM rejects",
			"UPDATE network_events SET action = 'allow'",
			"CREATE TABLE x (a INTEGER)",
			"CREATE TEMP TABLE x AS SELECT 1 AS a",
			"SELECT * FROM query('DROP TABLE rejects')",
			"SELECT * FROM checkpoint()",
			"SELECT * FROM enable_logging(level = 'trace', storage = 'stdout')",
			"SELECT count(*) FROM network_events WHERE 1 IN (SELECT 1 FROM truncate_duckdb_logs())",
			"SELECT * FROM duckdb_secrets()",
		)
	case "clickhouse":
		refused = append(refused,
			"SELECT * FROM file('/etc/passwd', 'TSV', 'line String')",
			"SELECT * FROM url('http://127.0.0.1:1/', 'TSV', 'line String')",
			"SELECT * FROM remote('127.0.0.1', system.one)",
			"SELECT * FROM numbers(3)",
			"SET readonly = 0",
			"ALTER TABLE rejects DELETE WHERE 1 = 1",
			"CREATE TABLE x (a Int32) ENGINE = Memory",
			"TRUNCATE TABLE rejects",
			"OPTIMIZE TABLE rejects",
			"KILL QUERY WHERE query_id = 'none' SYNC",
			"SHOW TABLES",
		)
	}
	if err := s.WriteRejects(ctx, []event.Reject{{Time: T0, Source: "f", Line: 1, Reason: "r", Raw: "junk"}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range refused {
		res, err := s.ReadQuery(ctx, q)
		switch {
		case err == nil:
			t.Errorf("%s: ran (%v), want it refused", q, res)
		case !refusal.MatchString(err.Error()):
			t.Errorf("%s: error %q does not say it was refused", q, err)
		}
	}
	if c := counts(t, s); c["network_events"] != 3 || c["rejects"] != 1 {
		t.Errorf("counts %v after the refused statements, want 3 events and 1 reject", c)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused COPY wrote %s", out)
	}
	if res, err := s.ReadQuery(ctx, "SELECT count(*) FROM network_events"); err != nil || res.Rows[0][0] != int64(3) {
		t.Errorf("after the refusals: %v, %v; want 3 events", res, err)
	}
	if s.Dialect() == "duckdb" { // table functions that only compute rows or read the catalog
		if res, err := s.ReadQuery(ctx, "SELECT count(*) FROM range(3) JOIN duckdb_tables() ON true WHERE table_name = 'rejects'"); err != nil || res.Rows[0][0] != int64(3) {
			t.Errorf("range() and duckdb_tables(): %v, %v; want 3", res, err)
		}
	}
	// Rules run through Query, which the refusals leave working.
	if got := query(t, s, "SELECT count(*) FROM rejects"); got != "[[1]]" {
		t.Errorf("Query after the refusals: %s", got)
	}
}
