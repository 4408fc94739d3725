package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// WriteEndpointStates implements store.Store. EDR exports hold far fewer
// states than a firewall log holds events, so the batch goes through the
// Appender into a staging table, whose ids already stored in the batch's time
// range (ids hash the record, time included) are found first, so that the
// spans recorded are those of the rows actually stored.
func (s *Store) WriteEndpointStates(ctx context.Context, sts []event.EndpointState) (int, error) {
	if len(sts) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, lo, hi := store.DistinctStates(sts)
	if err := s.stage(ctx, "stage_endpoint_states", "endpoint_states"); err != nil {
		return 0, err
	}
	err := s.appendRows(ctx, "temp", "stage_endpoint_states", func(a *duckdb.Appender) error {
		for _, i := range rows {
			st := &sts[i]
			vals := []driver.Value{duckdb.UUID(st.ID), event.SecondsUTC(st.Time)}
			for _, v := range store.EndpointRow(st) {
				vals = append(vals, v)
			}
			if err := a.AppendRow(vals...); err != nil {
				return fmt.Errorf("append endpoint state: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stage endpoint states: %w", err)
	}
	const storedInRange = `SELECT id FROM endpoint_states WHERE time BETWEEN ? AND ?`
	stored, err := s.storedIDs(ctx, `SELECT id FROM stage_endpoint_states WHERE id IN (`+storedInRange+`)`, lo, hi)
	if err != nil {
		return 0, fmt.Errorf("find stored endpoint states: %w", err)
	}
	fresh := rows[:0]
	for _, i := range rows {
		if _, ok := stored[sts[i].ID]; !ok {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	err = s.inWriteTx(ctx, func() error {
		if _, err := s.conn.ExecContext(ctx, `INSERT INTO endpoint_states SELECT * FROM stage_endpoint_states
			WHERE id NOT IN (`+storedInRange+`)`, lo, hi); err != nil {
			return fmt.Errorf("insert endpoint states: %w", err)
		}
		return s.recordIngest(context.WithoutCancel(ctx), store.EndpointSpans(sts, fresh))
	})
	if err != nil {
		return 0, err
	}
	return len(fresh), nil
}

// storedIDs runs query, which selects one UUID column, and returns the ids.
func (s *Store) storedIDs(ctx context.Context, query string, args ...any) (map[event.ID]struct{}, error) {
	res, err := s.conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	out := map[event.ID]struct{}{}
	for res.Next() {
		var id duckdb.UUID
		if err := res.Scan(&id); err != nil {
			return nil, err
		}
		out[event.ID(id)] = struct{}{}
	}
	return out, res.Err()
}
