package clickhouse

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// WriteEndpointStates implements store.Store, with WriteNetwork's dedup:
// repeats within sts are dropped in Go, and the ids of the batch already
// stored in its time range are fetched (the batch's ids go along as an
// external table) and skipped, under the write lock.
func (s *Store) WriteEndpointStates(ctx context.Context, sts []event.EndpointState) (int, error) {
	if len(sts) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, lo, hi := store.DistinctStates(sts)
	lo, hi = storedTime(lo), storedTime(hi)
	ids := make([]uuid.UUID, len(rows))
	for j, i := range rows {
		ids[j] = uuid.UUID(sts[i].ID)
	}
	batch, err := externalTable("_batch", []string{"id UUID"}, ids)
	if err != nil {
		return 0, fmt.Errorf("find stored endpoint states: %w", err)
	}
	res, err := s.conn.Query(withTables(ctx, batch), `SELECT id FROM `+s.layout().stored("endpoint_states")+`
		WHERE time BETWEEN ? AND ? AND id `+s.in()+` _batch`, lo, hi)
	if err != nil {
		return 0, fmt.Errorf("find stored endpoint states: %w", err)
	}
	stored := map[uuid.UUID]struct{}{}
	for res.Next() {
		var id uuid.UUID
		if err := res.Scan(&id); err != nil {
			res.Close()
			return 0, fmt.Errorf("find stored endpoint states: %w", err)
		}
		stored[id] = struct{}{}
	}
	res.Close()
	if err := res.Err(); err != nil {
		return 0, fmt.Errorf("find stored endpoint states: %w", err)
	}
	fresh := rows[:0]
	for _, i := range rows {
		if _, ok := stored[uuid.UUID(sts[i].ID)]; !ok {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	if err := s.insertEndpointStates(ctx, sts, fresh); err != nil {
		return 0, fmt.Errorf("insert endpoint states: %w", err)
	}
	if err := s.recordIngest(ctx, store.EndpointSpans(sts, fresh)); err != nil {
		return len(fresh), err
	}
	return len(fresh), nil
}

// insertEndpointStates inserts sts[rows] into endpoint_states, column by
// column in the order of store.EndpointColumns.
func (s *Store) insertEndpointStates(ctx context.Context, sts []event.EndpointState, rows []int32) error {
	n := len(rows)
	ids, times := make([]uuid.UUID, n), make([]int64, n)
	// The columns after id and time, as store.EndpointRow gives them.
	cols := make([]any, 0, 15)
	strs := func() []string { return make([]string, n) }
	for j, i := range rows {
		st := &sts[i]
		ids[j], times[j] = uuid.UUID(st.ID), int64(dateTime(st.Time))
		for c, v := range store.EndpointRow(st) {
			if j == 0 {
				switch v.(type) {
				case int32:
					cols = append(cols, make([]int32, n))
				default:
					cols = append(cols, strs())
				}
			}
			switch v := v.(type) {
			case int32:
				cols[c].([]int32)[j] = v
			case string:
				cols[c].([]string)[j] = v
			}
		}
	}
	return s.insertColumns(ctx, s.layout().stored("endpoint_states"), store.EndpointColumns, append([]any{ids, times}, cols...)...)
}
