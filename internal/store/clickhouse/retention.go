package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// DropBefore deletes the rows of network_events, endpoint_states,
// vpn_sessions, http_events, sightings and rejects older
// than t, a whole month at a time: it drops every monthly partition whose
// rows all lie before t, which is instant, and keeps the month t falls in.
// Indicators and alerts are state, not history, and are kept. It returns the
// partitions dropped, as "table/YYYYMM".
func (s *Store) DropBefore(ctx context.Context, t time.Time) ([]string, error) {
	// The last month that ends by t: the one before t's.
	last := time.Date(t.UTC().Year(), t.UTC().Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	limit := last.Year()*100 + int(last.Month())
	s.mu.Lock()
	defer s.mu.Unlock()
	var dropped []string
	for _, table := range partitioned {
		months, err := s.months(ctx, table)
		if err != nil {
			return dropped, fmt.Errorf("list partitions of %s: %w", table, err)
		}
		for _, m := range months {
			if m > limit {
				continue
			}
			if err := s.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s.%s%s DROP PARTITION %d",
				s.db, s.layout().local(table), s.layout().onCluster(), m)); err != nil {
				return dropped, fmt.Errorf("drop partition %d of %s: %w", m, table, err)
			}
			dropped = append(dropped, fmt.Sprintf("%s/%d", table, m))
		}
	}
	return dropped, nil
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
