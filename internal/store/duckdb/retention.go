package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/store"
)

// expiring is, per table of store.RetentionTables, the condition of its
// rows that expire, ? the cutoff (as often as it appears).
var expiring = map[string]string{
	"network_events":  `time < ?`,
	"endpoint_states": `time < ?`,
	"vpn_sessions":    `time < ?`,
	"http_events":     `time < ?`,
	"rejects":         `time < ?`,
	"sightings":       `time < ?`,
	"scans": `started < ? AND id NOT IN (
		SELECT arg_max(h.scan_id, s.started) FROM scan_hosts h JOIN scans s ON s.id = h.scan_id GROUP BY h.addr)`,
	"alerts":        `status = 'resolved' AND last_seen < ? AND updated_at < ?`,
	"notifications": `state IN ('delivered', 'dead') AND updated_at < ?`,
}

// ApplyRetention implements store.Store: in one transaction, it deletes the
// expired rows of each table (a scan's hosts and ports with it), then
// checkpoints, which rewrites the row groups the deletes thinned and lets
// the file reuse the blocks they freed. DuckDB does not shrink the file
// (VACUUM reclaims nothing); it grows again only once the freed blocks are
// used up.
func (s *Store) ApplyRetention(ctx context.Context, cutoffs map[string]time.Time, dryRun bool) ([]store.RetentionResult, error) {
	if err := store.CheckRetentionTables(cutoffs); err != nil {
		return nil, err
	}
	out := []store.RetentionResult{}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range store.RetentionTables {
			cutoff, ok := cutoffs[table]
			if !ok {
				continue
			}
			cutoff = cutoff.UTC()
			r := store.RetentionResult{Table: table, Cutoff: cutoff, Before: cutoff}
			n, err := expire(ctx, tx, table, cutoff, dryRun)
			if err != nil {
				return fmt.Errorf("retention of %s before %s: %w", table, cutoff.Format(time.RFC3339), err)
			}
			r.Rows = n
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !dryRun {
		if _, err := s.conn.ExecContext(ctx, `CHECKPOINT`); err != nil {
			return out, fmt.Errorf("retention: checkpoint: %w", err)
		}
	}
	return out, nil
}

// expire deletes (unless dryRun) the expired rows of table and returns how
// many there are.
func expire(ctx context.Context, tx *sql.Tx, table string, cutoff time.Time, dryRun bool) (int64, error) {
	cond := expiring[table]
	args := make([]any, 0, 2)
	for range countParams(cond) {
		args = append(args, cutoff)
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE `+cond, args...).Scan(&n); err != nil {
		return 0, err
	}
	if dryRun || n == 0 {
		return n, nil
	}
	if table == "scans" {
		// The ids first: the condition reads scan_hosts, which goes first.
		if _, err := tx.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE expired_scans AS SELECT id FROM scans WHERE `+cond, args...); err != nil {
			return 0, err
		}
		for _, q := range []string{
			`DELETE FROM scan_ports WHERE scan_id IN (SELECT id FROM expired_scans)`,
			`DELETE FROM scan_hosts WHERE scan_id IN (SELECT id FROM expired_scans)`,
			`DELETE FROM scans WHERE id IN (SELECT id FROM expired_scans)`,
			`DROP TABLE expired_scans`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return 0, err
			}
		}
		return n, nil
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+cond, args...)
	return n, err
}

// countParams returns how many ? placeholders q holds.
func countParams(q string) int {
	n := 0
	for i := range len(q) {
		if q[i] == '?' {
			n++
		}
	}
	return n
}
