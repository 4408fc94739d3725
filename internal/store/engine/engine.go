// Package engine opens the store a --store URL names: the embedded DuckDB
// file of the data directory (the default), or a ClickHouse server.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	return OpenWith(ctx, url, dataDir, Options{})
}

// Options say how OpenWith opens a store.
type Options struct {
	// Wait is how long to wait for another process to release the embedded
	// store's file, which DuckDB lets one process open at a time; 0 fails at
	// once. The error is then a *duckdb.LockError.
	Wait time.Duration
	// MustExist fails with a *NoDataError, instead of creating the embedded
	// store, when the data directory holds none: a command that only reads
	// has nothing to read there, and should not leave an empty store behind.
	MustExist bool
	// MemoryLimit caps the embedded DuckDB's buffer pool ("256MB"); "" is
	// duckdb.Open's default.
	MemoryLimit string
}

// NoDataError is the error of OpenWith with MustExist when the data
// directory holds no embedded store.
type NoDataError struct {
	Dir  string // the data directory, or the ClickHouse URL (password redacted)
	File string // the database file it lacks; "" for ClickHouse
}

func (e *NoDataError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("no homesoc data in %s (the database does not exist)", e.Dir)
	}
	return fmt.Sprintf("no homesoc data in %s (%s does not exist)", e.Dir, e.File)
}

// lockRetry is the longest pause between two attempts to open a locked
// embedded store.
const lockRetry = 250 * time.Millisecond

// OpenWith opens the store url names as o says; dataDir holds the embedded
// store.
func OpenWith(ctx context.Context, url, dataDir string, o Options) (store.Store, error) {
	switch kind, err := kindOf(url); {
	case err != nil:
		return nil, err
	case kind == "clickhouse" && o.MustExist:
		st, err := clickhouse.OpenExisting(ctx, url)
		if errors.Is(err, clickhouse.ErrNoDatabase) {
			return nil, &NoDataError{Dir: Redacted(url)}
		}
		return st, err
	case kind == "clickhouse":
		return clickhouse.Open(ctx, url)
	}
	path := filepath.Join(dataDir, DuckDBFile)
	if o.MustExist {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, &NoDataError{Dir: dataDir, File: path}
		}
	} else if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	deadline := time.Now().Add(o.Wait)
	pause := 20 * time.Millisecond
	for {
		st, err := duckdb.OpenLimit(ctx, path, o.MemoryLimit)
		var locked *duckdb.LockError
		if err == nil || !errors.As(err, &locked) || !time.Now().Before(deadline) {
			return st, err
		}
		t := time.NewTimer(min(pause, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for %s, which another process holds: %w", dataDir, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, lockRetry)
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
