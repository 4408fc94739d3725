package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
	"github.com/homesoc/homesoc/internal/store/engine"
)

// defaultWait is how long a command waits by default for another process
// to release the embedded store: long enough to ride out a short command
// (a "rejects" while an ingest starts), short enough to say why it is stuck.
const defaultWait = 5 * time.Second

// openStore opens the store --store names for a command that writes,
// creating it if needed.
func (e *env) openStore(ctx context.Context) (store.Store, error) {
	return e.open(ctx, false)
}

// withStore runs fn with the store open for writing, and closes it.
func (e *env) withStore(ctx context.Context, fn func(store.Store) error) error {
	return e.with(ctx, false, fn)
}

// readStore runs fn with the store open for a command that only reads, and
// closes it. An embedded store that does not exist yet is an error that says
// how to create one, not an empty store that answers "no alerts".
func (e *env) readStore(ctx context.Context, fn func(store.Store) error) error {
	return e.with(ctx, true, fn)
}

func (e *env) with(ctx context.Context, mustExist bool, fn func(store.Store) error) error {
	st, err := e.open(ctx, mustExist)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

func (e *env) open(ctx context.Context, mustExist bool) (store.Store, error) {
	if e.shared != nil {
		return sharedStore{e.shared.st, e.shared}, nil
	}
	st, err := engine.OpenWith(ctx, e.store, e.dataDir, engine.Options{Wait: e.wait, MustExist: mustExist, MemoryLimit: e.storeMemory})
	var none *engine.NoDataError
	var locked *duckdb.LockError
	switch {
	case errors.As(err, &none) && none.File == "":
		return nil, fmt.Errorf("%w: nothing to read yet.\n"+
			"Store some with \"homesoc --store URL ingest FILE\", or point --store or $HOMESOC_STORE at the database that holds it", err)
	case errors.As(err, &none):
		return nil, fmt.Errorf("%w: nothing to read yet.\n"+
			"Store some with \"homesoc --data %s ingest FILE\" (or try \"homesoc --data %[2]s demo\"), "+
			"or point --data or $HOMESOC_DATA at an existing data directory", err, e.dataDir)
	case errors.As(err, &locked):
		return nil, lockedError(e.dataDir, e.wait, locked)
	}
	return st, err
}

// lockedError explains that another process holds the embedded store, which
// process, and what to do.
func lockedError(dir string, waited time.Duration, le *duckdb.LockError) error {
	who := "another process"
	if le.PID > 0 {
		who = fmt.Sprintf("process %d (%s)", le.PID, commandLine(le.PID, le.Program))
	}
	return fmt.Errorf("data directory %s is in use by %s; gave up after waiting %s (--wait).\n"+
		"The embedded DuckDB store takes one process at a time: let that one finish, or stop it, and run this again. "+
		"For several writers at once, keep the data in ClickHouse (--store clickhouse://...), "+
		"or run \"homesoc serve\" on it: while it runs, the command line's commands run inside it.\n"+
		"(DuckDB: %v)", dir, who, waited, le.Err)
}

// commandLine is the command line of process pid, as /proc tells it, else
// program (what DuckDB names the holder).
func commandLine(pid int, program string) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if b = bytes.TrimRight(b, "\x00"); err != nil || len(b) == 0 {
		return program
	}
	const maxLen = 200
	cmd := string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
	if len(cmd) > maxLen {
		cmd = cmd[:maxLen] + "..."
	}
	return cmd
}
