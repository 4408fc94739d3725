package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/store"
)

// DropBefore deletes the rows of network_events, endpoint_states,
// vpn_sessions, http_events, sightings and rejects older
// than t, a whole month at a time: it drops every monthly partition whose
// rows all lie before t, which is instant, and keeps the month t falls in.
// Indicators and alerts are state, not history, and are kept. It returns the
// partitions dropped, as "table/YYYYMM".
func (s *Store) DropBefore(ctx context.Context, t time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var dropped []string
	for _, table := range partitioned {
		d, _, err := s.dropMonths(ctx, table, t, false)
		dropped = append(dropped, d...)
		if err != nil {
			return dropped, err
		}
	}
	return dropped, nil
}

// monthBefore returns the first day of t's month, before which whole
// months can be dropped, and that limit as the last month (YYYYMM) to drop.
func monthBefore(t time.Time) (time.Time, int) {
	first := time.Date(t.UTC().Year(), t.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, -1, 0)
	return first, last.Year()*100 + int(last.Month())
}

// dropMonths drops (unless dryRun) the monthly partitions of table whose
// rows all lie before t, and returns them as "table/YYYYMM" with the rows
// they held. The caller holds s.mu.
func (s *Store) dropMonths(ctx context.Context, table string, t time.Time, dryRun bool) ([]string, int64, error) {
	_, limit := monthBefore(t)
	months, err := s.months(ctx, table)
	if err != nil {
		return nil, 0, fmt.Errorf("list partitions of %s: %w", table, err)
	}
	var rows uint64
	if err := s.conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM %s.%s WHERE toYYYYMM(time) <= %d", s.db, table, limit)).Scan(&rows); err != nil {
		return nil, 0, fmt.Errorf("count the rows of %s up to %d: %w", table, limit, err)
	}
	var dropped []string
	for _, m := range months {
		if m > limit {
			continue
		}
		if !dryRun {
			if err := s.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s.%s%s DROP PARTITION %d",
				s.db, s.layout().local(table), s.layout().onCluster(), m)); err != nil {
				return dropped, 0, fmt.Errorf("drop partition %d of %s: %w", m, table, err)
			}
		}
		dropped = append(dropped, fmt.Sprintf("%s/%d", table, m))
	}
	return dropped, int64(rows), nil
}

// months returns the months (YYYYMM) of table's partitions, on every shard.
func (s *Store) months(ctx context.Context, table string) ([]int, error) {
	q := `SELECT DISTINCT toUInt32(partition) FROM system.parts WHERE active AND database = ? AND table = ?`
	if s.cluster != "" {
		// The parts of the other shards are theirs to list.
		q = `SELECT DISTINCT toUInt32(partition) FROM cluster('` + s.cluster + `', system, parts)
			WHERE active AND database = ? AND table = ?`
	}
	rows, err := s.conn.Query(ctx, q, s.db, s.layout().local(table))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var months []int
	for rows.Next() {
		var m uint32
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		months = append(months, int(m))
	}
	slices.Sort(months)
	return months, rows.Err()
}

// expiredIDs are, for the tables that are not partitioned, the query of
// the ids of rows that expire, ? the cutoff, and the tables (as stored)
// and id columns whose rows of those ids are deleted.
var expiredIDs = map[string]struct {
	query   string
	targets [][2]string // table, id column
}{
	"alerts": {`SELECT alert_id FROM alerts WHERE status = 'resolved' AND last_seen < ? AND updated_at < ?`,
		[][2]string{{"alert_versions", "alert_id"}}},
	"notifications": {`SELECT id FROM notifications WHERE state IN ('delivered', 'dead') AND updated_at < ?`,
		[][2]string{{"notification_versions", "id"}}},
	// The newest scan of each address stays; ports and hosts go before
	// their scan, so that a scan listed is whole (as WriteScan writes).
	// GLOBAL: on a cluster the subqueries read Distributed tables, which
	// 18.16 runs once, where the query is, rather than on every shard.
	"scans": {`SELECT id FROM scans WHERE started < ? AND id GLOBAL NOT IN (
		SELECT argMax(scan_id, started) FROM (SELECT scan_id, addr FROM scan_hosts)
		GLOBAL ANY INNER JOIN (SELECT id AS scan_id, started FROM scans) USING scan_id GROUP BY addr)`,
		[][2]string{{"scan_ports", "scan_id"}, {"scan_hosts", "scan_id"}, {"scans", "id"}}},
}

// ApplyRetention implements store.Store. The event tables lose whole
// months (partitions dropped: instant, and nothing is rewritten), so rows
// between the first day of the cutoff's month and the cutoff stay until
// the next month's run. Alerts, notifications and scans, unpartitioned,
// lose their expired rows by ALTER TABLE ... DELETE mutations, which 18.16
// runs in the background; it waits for them to finish, so that what it
// reports deleted is gone.
func (s *Store) ApplyRetention(ctx context.Context, cutoffs map[string]time.Time, dryRun bool) ([]store.RetentionResult, error) {
	if err := store.CheckRetentionTables(cutoffs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []store.RetentionResult{}
	for _, table := range store.RetentionTables {
		cutoff, ok := cutoffs[table]
		if !ok {
			continue
		}
		cutoff = cutoff.UTC()
		r := store.RetentionResult{Table: table, Cutoff: cutoff, Before: cutoff}
		var err error
		if slices.Contains(partitioned, table) {
			r.Before, _ = monthBefore(cutoff)
			r.Partitions, r.Rows, err = s.dropMonths(ctx, table, cutoff, dryRun)
		} else {
			r.Rows, err = s.deleteExpired(ctx, table, cutoff, dryRun)
		}
		if err != nil {
			return out, fmt.Errorf("retention of %s before %s: %w", table, cutoff.Format(time.RFC3339), err)
		}
		out = append(out, r)
	}
	return out, nil
}

// deleteExpired deletes (unless dryRun) the expired rows of an
// unpartitioned table and returns how many there were.
func (s *Store) deleteExpired(ctx context.Context, table string, cutoff time.Time, dryRun bool) (int64, error) {
	e := expiredIDs[table]
	args := make([]any, strings.Count(e.query, "?"))
	for i := range args {
		args[i] = cutoff
	}
	rows, err := s.conn.Query(ctx, e.query, args...)
	if err != nil {
		return 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if dryRun || len(ids) == 0 {
		return int64(len(ids)), nil
	}
	// A mutation's condition is one expression: a few thousand ids each.
	for chunk := range slices.Chunk(ids, 5000) {
		list := make([]string, len(chunk))
		for i, id := range chunk {
			list[i] = chString(id)
		}
		for _, tg := range e.targets {
			if err := s.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s.%s%s DELETE WHERE %s IN (%s)",
				s.db, s.layout().local(tg[0]), s.layout().onCluster(), tg[1], strings.Join(list, ","))); err != nil {
				return 0, fmt.Errorf("delete from %s: %w", tg[0], err)
			}
		}
	}
	for _, tg := range e.targets {
		if err := s.waitMutations(ctx, tg[0]); err != nil {
			return 0, err
		}
	}
	return int64(len(ids)), nil
}

// waitMutations waits until table has no mutation left to run, on every
// shard.
func (s *Store) waitMutations(ctx context.Context, table string) error {
	q := `SELECT count() FROM system.mutations WHERE database = ? AND table = ? AND NOT is_done`
	if s.cluster != "" {
		q = `SELECT count() FROM cluster('` + s.cluster + `', system, mutations) WHERE database = ? AND table = ? AND NOT is_done`
	}
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		var n uint64
		if err := s.conn.QueryRow(ctx, q, s.db, s.layout().local(table)).Scan(&n); err != nil {
			return fmt.Errorf("wait for the deletes of %s: %w", table, err)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the deletes of %s: %w", table, context.Cause(ctx))
		case <-time.After(wait):
		}
	}
}

// chString is s as a ClickHouse string literal.
func chString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
