// Package retention applies the config's retention section to a store:
// homesoc retention run on demand, homesoc serve daily. What expires of
// each table is store.RetentionTables' to say; how long it is kept is the
// config's (config.Retention).
package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/store"
)

// Result is what one run did, or with DryRun would do.
type Result struct {
	Now    time.Time `json:"now"` // the time the retention was measured from
	DryRun bool      `json:"dry_run"`
	// Tables are the tables that expire, in store.RetentionTables' order;
	// empty when the config keeps every table forever.
	Tables []Table `json:"tables"`
}

// Table is what a run did to one table.
type Table struct {
	store.RetentionResult
	Keep config.Duration `json:"keep_s"` // the table's retention
}

// Deleted is how many rows the run deleted (would delete) in all.
func (r Result) Deleted() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// Run deletes, as of now, the rows of st past their retention in cfg; with
// dryRun it deletes nothing and reports what it would delete. A config
// that keeps every table forever makes a Result with no tables, and
// touches nothing.
func Run(ctx context.Context, st store.RetentionStore, cfg config.Retention, now time.Time, dryRun bool) (Result, error) {
	now = now.UTC().Truncate(time.Second)
	res := Result{Now: now, DryRun: dryRun, Tables: []Table{}}
	periods := cfg.Periods()
	if len(periods) == 0 {
		return res, nil
	}
	done, err := st.ApplyRetention(ctx, cfg.Cutoffs(now), dryRun)
	for _, r := range done {
		res.Tables = append(res.Tables, Table{RetentionResult: r, Keep: config.Duration(periods[r.Table])})
	}
	if err != nil {
		return res, fmt.Errorf("retention: %w", err)
	}
	return res, nil
}
