// Package engine opens the store a --store URL names: the embedded DuckDB
// file of the data directory (the default), or a ClickHouse server.
package engine

import (
	"context"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/clickhouse"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// Usage describes the URLs Open takes, for flag help.
const Usage = `"duckdb" (the file homesoc.duckdb in the data directory) or ` +
	`"clickhouse://user:pass@host:9000/db[?cluster=NAME][&http_port=8123]"`

// DuckDBFile is the database file of the embedded store in a data directory.
const DuckDBFile = "homesoc.duckdb"

// Open opens the store url names, creating it if needed; dataDir holds the
// embedded store.
func Open(ctx context.Context, url, dataDir string) (store.Store, error) {
	switch kind, err := kindOf(url); {
	case err != nil:
		return nil, err
	case kind == "clickhouse":
		return clickhouse.Open(ctx, url)
	default:
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		return duckdb.Open(ctx, filepath.Join(dataDir, DuckDBFile))
	}
}

// OpenTemp opens a fresh, empty store on the engine url names, which Close
// removes: an in-memory DuckDB, or a new database on the ClickHouse server.
// Rule tests give every test case one.
func OpenTemp(ctx context.Context, url string) (store.Store, error) {
	switch kind, err := kindOf(url); {
	case err != nil:
		return nil, err
	case kind == "clickhouse":
		return clickhouse.OpenTemp(ctx, url)
	default:
		return duckdb.Open(ctx, "")
	}
}

// Redacted is url with any password replaced by "xxxxx", to print.
func Redacted(url string) string {
	u, err := neturl.Parse(url)
	if err != nil {
		return "(unparsable store URL)"
	}
	return u.Redacted()
}

// kindOf names the engine of url: "duckdb" or "clickhouse".
func kindOf(url string) (string, error) {
	switch {
	case url == "" || url == "duckdb":
		return "duckdb", nil
	case strings.HasPrefix(url, "clickhouse://"):
		return "clickhouse", nil
	}
	return "", fmt.Errorf("unknown --store %q: want %s", Redacted(url), Usage)
}
