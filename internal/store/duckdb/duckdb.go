// Package duckdb is homesoc's default store: an embedded DuckDB database in
// one file of the data directory.
package duckdb

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/store"
)

// memoryLimit caps DuckDB's buffer pool (by default 80% of the machine's
// memory): homesoc shares its host, and what exceeds it spills to disk. The
// pool is not all DuckDB allocates: with 64MB an ingest of 2M firewall lines
// peaked under 500 MB RSS, with 256MB at ~700 MB, and no faster. The two
// scope columns of issue 9 made a 100,000-event batch's duplicate check
// over a dense hour run out of 64MB now and then (TestWriteNetworkDenseHour),
// so the pool is 80MB: 96MB cost 50 MB more peak RSS, 80MB 20 MB
// (BENCHMARKS.md).
const memoryLimit = "80MB"

// Invalidated reports whether err says DuckDB invalidated the database (a
// fatal error, such as running out of memory while it checkpoints): every
// later statement fails until the database is opened again.
func Invalidated(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "database has been invalidated") || strings.Contains(s, "FATAL Error") ||
		strings.Contains(s, "Detach and reattach")
}

// rowGroupRows is the size of the row groups of homesoc's database file.
//
// DuckDB writes the rows of a transaction straight to the database file, on
// all its threads, only when the transaction holds at least a row group's
// worth of rows. A smaller transaction is copied into the table's row groups
// and then checkpointed (or logged) when it commits, on one thread, which
// makes it cost two to four times as much. With DuckDB's default row groups
// of 122,880 rows, a batch of 100,000 events is such a small transaction;
// with row groups of 16,384 rows, every batch large enough to matter writes
// directly. Smaller row groups also prune time-range scans more finely.
const rowGroupRows = 16384

// connector returns the DuckDB connector of a store on the database file at
// path, or in memory when path is empty.
//
// DuckDB takes the row group size only as an option of ATTACH (not as a
// setting, nor from the file), so a store on a file opens an in-memory DuckDB
// whose every connection attaches the file and uses it. Database-wide
// settings go in the DSN, once: without insertion order to keep, DuckDB
// inserts the rows of one statement on all its threads; what exceeds the
// memory limit spills to path.tmp, as for a database DuckDB opens itself.
// The rest are set by lockDown, once the first connection is made.
func connector(ctx context.Context, path, limit string) (*duckdb.Connector, error) {
	cfg := url.Values{"memory_limit": {cmp.Or(limit, memoryLimit)}, "preserve_insertion_order": {"false"}}
	init := ""
	if path != "" {
		cfg.Set("temp_directory", path+".tmp")
		init = fmt.Sprintf("ATTACH IF NOT EXISTS %s AS homesoc (ROW_GROUP_SIZE %d); USE homesoc", quote(path), rowGroupRows)
	}
	return duckdb.NewConnector("?"+cfg.Encode(), func(execer driver.ExecerContext) error {
		if init == "" {
			return nil
		}
		_, err := execer.ExecContext(ctx, init, nil)
		return err
	})
}

// quote is s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// lockDown applies the database-wide settings that the DSN cannot carry,
// then shuts SQL out of everything but the store's own files: external
// access off (no read_csv of other files, no COPY TO, ATTACH, INSTALL or
// LOAD), except for the database file and its WAL, and the configuration
// locked so that no statement turns it back on. Every statement on the store
// runs so, rules and ReadQuery included: homesoc itself needs no more.
// TimeZone is set GLOBAL, for the connections to come, which the lock keeps
// from setting anything; it needs the ICU extension, which the DSN cannot
// load.
func lockDown(ctx context.Context, conn *sql.Conn, path string) error {
	stmts := []string{"SET GLOBAL TimeZone = 'UTC'", "SET TimeZone = 'UTC'"}
	if path != "" {
		stmts = append(stmts, fmt.Sprintf("SET allowed_paths = [%s, %s]", quote(path), quote(path+".wal")))
	}
	stmts = append(stmts, "SET enable_external_access = false", "SET lock_configuration = true")
	for _, st := range stmts {
		if _, err := conn.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
	}
	return nil
}

// Store is a DuckDB-backed store.Store.
type Store struct {
	db *sql.DB
	// mu serialises writers: DuckDB allows one writer at a time per table
	// without conflicts, and the Appender owns its connection. Queries of
	// any size (rules, Query, ReadQuery) hold it for reading, so that they
	// never run beside a write: a query that fills DuckDB's buffer pool
	// makes a concurrent write fail to allocate, and where the write is
	// filling vectors from Go (networkBatchFunc, the Appender) DuckDB throws
	// through the Go frames, which aborts the process.
	mu   sync.RWMutex
	conn *sql.Conn // the writers' connection
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, or an in-memory
// database when path is empty, and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenLimit(ctx, path, "")
}

// OpenLimit is Open with DuckDB's buffer pool capped at memoryLimit (as
// DuckDB writes it, "256MB"; "" is the default, 80MB): a long-running
// service, which writes while its rules read, needs more than a command.
func OpenLimit(ctx context.Context, path, memoryLimit string) (*Store, error) {
	c, err := connector(ctx, path, memoryLimit)
	if err != nil {
		return nil, fmt.Errorf("open duckdb %q: %w", path, lockError(path, err))
	}
	db := sql.OpenDB(c)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open duckdb %q: %w", path, lockError(path, err))
	}
	s := &Store{db: db, conn: conn}
	if err := lockDown(ctx, conn, path); err != nil {
		s.Close()
		return nil, fmt.Errorf("open duckdb %q: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate duckdb %q: %w", path, err)
	}
	if err := s.registerNetworkBatchFunc(); err != nil {
		s.Close()
		return nil, fmt.Errorf("open duckdb %q: %w", path, err)
	}
	return s, nil
}

// LockError is the error of Open when another process holds the database
// file: DuckDB lets one process at a time open a file for writing.
type LockError struct {
	Path    string // the database file
	PID     int    // the process that holds it, 0 if DuckDB did not say
	Program string // the holder's executable, as DuckDB names it
	Err     error  // DuckDB's own error
}

func (e *LockError) Error() string { return e.Err.Error() }

func (e *LockError) Unwrap() error { return e.Err }

// lockHolder finds the holder in DuckDB's lock message: 'Could not set lock
// on file "F": Conflicting lock is held in /usr/bin/homesoc (PID 8248) by
// user ...'.
var lockHolder = regexp.MustCompile(`Conflicting lock is held in (.*?) \(PID (\d+)\)`)

// lockError returns err as a *LockError if it says another process holds
// the file at path, else err.
func lockError(path string, err error) error {
	msg := err.Error()
	if !strings.Contains(msg, "Could not set lock on file") {
		return err
	}
	le := &LockError{Path: path, Err: err}
	if m := lockHolder.FindStringSubmatch(msg); m != nil {
		le.Program = m[1]
		le.PID, _ = strconv.Atoi(m[2])
	}
	return le
}

// Dialect implements store.Store.
func (s *Store) Dialect() string { return "duckdb" }

// Close implements store.Store.
func (s *Store) Close() error {
	return errors.Join(s.conn.Close(), s.db.Close())
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)`); err != nil {
		return err
	}
	var have int
	if err := s.conn.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this homesoc (%d): upgrade homesoc", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, v)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// inTx runs fn in a transaction on the writers' connection.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// Counts implements store.Store.
func (s *Store) Counts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(store.Tables))
	for _, t := range store.Tables {
		var n int64
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}
