package store

import (
	"context"
	"fmt"
	"time"
)

// RetentionStore deletes rows older than their table's retention.
type RetentionStore interface {
	// ApplyRetention deletes, for each table of cutoffs (one of
	// RetentionTables), the rows that expire before its cutoff, as
	// RetentionTables says, and reports per table what it deleted, in
	// the order of RetentionTables; with dryRun it deletes nothing and
	// reports what it would delete. An engine may delete less than asked
	// (ClickHouse drops whole months: Before says up to when), never more.
	// It must not touch ingest spans or watermarks: deleting old rows
	// makes no rule run again, and rows not yet evaluated that are past
	// their retention are gone for the rules too. (Spans stay even when
	// their rows are gone: DuckDB numbers the next write from the highest
	// span, so deleting the newest spans would hand out numbers at or
	// below a rule's watermark, and the rule would miss that write.)
	ApplyRetention(ctx context.Context, cutoffs map[string]time.Time, dryRun bool) ([]RetentionResult, error)
}

// RetentionTables are the tables that may expire, and what expires of each:
//
//   - network_events, endpoint_states, vpn_sessions, http_events and
//     sightings: rows whose event time is before the cutoff;
//   - rejects: rows rejected before the cutoff;
//   - scans: scans started before the cutoff, with their hosts and ports,
//     except the newest scan of each address (the baseline of its next
//     diff);
//   - alerts: resolved alerts whose last finding and last change are both
//     before the cutoff; open and acknowledged ones never;
//   - notifications: delivered and dead notifications last updated before
//     the cutoff; pending ones never.
//
// Every other table is state (indicators, silences, assets, allowances, the
// notification log, VPN intervals rebuilt from sessions) and is kept.
var RetentionTables = []string{"network_events", "endpoint_states", "vpn_sessions", "http_events",
	"rejects", "sightings", "scans", "alerts", "notifications"}

// RetentionResult is what ApplyRetention did to one table.
type RetentionResult struct {
	Table  string    `json:"table"`
	Cutoff time.Time `json:"cutoff"` // rows before it were to expire
	// Before is the time before which rows were deleted: Cutoff, or on
	// ClickHouse's event tables the first day of Cutoff's month.
	Before time.Time `json:"before"`
	// Rows is how many rows were deleted (with dryRun: would be); a scan
	// counts as one row, its hosts and ports not counted.
	Rows int64 `json:"rows"`
	// Partitions are the monthly partitions dropped, as "table/YYYYMM"
	// (ClickHouse only).
	Partitions []string `json:"partitions,omitempty"`
}

// CheckRetentionTables returns an error naming the first table of cutoffs
// that may not expire.
func CheckRetentionTables(cutoffs map[string]time.Time) error {
	for t := range cutoffs {
		if !isRetentionTable(t) {
			return fmt.Errorf("retention: table %q cannot expire (only %v)", t, RetentionTables)
		}
	}
	return nil
}

func isRetentionTable(t string) bool {
	for _, r := range RetentionTables {
		if r == t {
			return true
		}
	}
	return false
}
