package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// WriteEndpointStates implements store.Store, through writeRecords.
func (s *Store) WriteEndpointStates(ctx context.Context, sts []event.EndpointState) (int, error) {
	if len(sts) == 0 {
		return 0, nil
	}
	rows, lo, hi := store.DistinctStates(sts)
	return s.writeRecords(ctx, "endpoint_states", store.EndpointColumns, "endpoint states", rows, lo, hi,
		func(i int32) (event.ID, time.Time, []any) { return sts[i].ID, sts[i].Time, store.EndpointRow(&sts[i]) },
		func(fresh []int32) []store.IngestSpan { return store.EndpointSpans(sts, fresh) })
}

// WriteVPNSessions implements store.Store, through writeRecords.
func (s *Store) WriteVPNSessions(ctx context.Context, vs []event.VPNSession) (int, error) {
	if len(vs) == 0 {
		return 0, nil
	}
	rows, lo, hi := store.Distinct(vs, store.VPNID, store.VPNTime)
	return s.writeRecords(ctx, "vpn_sessions", store.VPNColumns, "vpn sessions", rows, lo, hi,
		func(i int32) (event.ID, time.Time, []any) { return vs[i].ID, vs[i].Time, store.VPNRow(&vs[i]) },
		func(fresh []int32) []store.IngestSpan { return store.Spans("vpn_sessions", vs, fresh, store.VPNTime) })
}

// WriteHTTP implements store.Store, through writeRecords.
func (s *Store) WriteHTTP(ctx context.Context, hs []event.HTTP) (int, error) {
	if len(hs) == 0 {
		return 0, nil
	}
	rows, lo, hi := store.Distinct(hs, store.HTTPID, store.HTTPTime)
	return s.writeRecords(ctx, "http_events", store.HTTPColumns, "http events", rows, lo, hi,
		func(i int32) (event.ID, time.Time, []any) { return hs[i].ID, hs[i].Time, store.HTTPRow(&hs[i]) },
		func(fresh []int32) []store.IngestSpan { return store.Spans("http_events", hs, fresh, store.HTTPTime) })
}

// writeRecords stores the records rows of a batch (distinct ids, times
// within lo..hi) in table, whose columns are cols: id, time and those
// record gives. It has WriteNetwork's dedup: the ids of the batch already
// stored in its time range are fetched (the batch's ids go along as an
// external table) and skipped, under the write lock; then it records the
// spans of the rows it stored.
func (s *Store) writeRecords(ctx context.Context, table, cols, what string, rows []int32, lo, hi time.Time,
	record func(i int32) (event.ID, time.Time, []any), spans func(fresh []int32) []store.IngestSpan) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lo, hi = storedTime(lo), storedTime(hi)
	ids := make([]uuid.UUID, len(rows))
	for j, i := range rows {
		id, _, _ := record(i)
		ids[j] = uuid.UUID(id)
	}
	batch, err := externalTable("_batch", []string{"id UUID"}, ids)
	if err != nil {
		return 0, fmt.Errorf("find stored %s: %w", what, err)
	}
	res, err := s.conn.Query(withTables(ctx, batch), `SELECT id FROM `+s.layout().stored(table)+`
		WHERE time BETWEEN ? AND ? AND id `+s.in()+` _batch`, lo, hi)
	if err != nil {
		return 0, fmt.Errorf("find stored %s: %w", what, err)
	}
	stored := map[uuid.UUID]struct{}{}
	for res.Next() {
		var id uuid.UUID
		if err := res.Scan(&id); err != nil {
			res.Close()
			return 0, fmt.Errorf("find stored %s: %w", what, err)
		}
		stored[id] = struct{}{}
	}
	res.Close()
	if err := res.Err(); err != nil {
		return 0, fmt.Errorf("find stored %s: %w", what, err)
	}
	fresh := rows[:0]
	for j, i := range rows {
		if _, ok := stored[ids[j]]; !ok {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	if err := s.insertRecords(ctx, table, cols, fresh, record); err != nil {
		return 0, fmt.Errorf("insert %s: %w", what, err)
	}
	if err := s.recordIngest(ctx, spans(fresh)); err != nil {
		return len(fresh), err
	}
	return len(fresh), nil
}

// insertRecords inserts the records rows into table, column by column in
// the order of cols.
func (s *Store) insertRecords(ctx context.Context, table, cols string, rows []int32,
	record func(i int32) (event.ID, time.Time, []any)) error {
	n := len(rows)
	ids, times := make([]uuid.UUID, n), make([]int64, n)
	var vals []any // the columns after id and time, one slice each
	for j, i := range rows {
		id, at, row := record(i)
		ids[j], times[j] = uuid.UUID(id), int64(dateTime(at))
		for c, v := range row {
			if j == 0 {
				switch v.(type) {
				case int32:
					vals = append(vals, make([]int32, n))
				case int64:
					vals = append(vals, make([]int64, n))
				case float64:
					vals = append(vals, make([]float64, n))
				case string:
					vals = append(vals, make([]string, n))
				default:
					return fmt.Errorf("column %d: unexpected %T", c+3, v)
				}
			}
			switch v := v.(type) {
			case int32:
				vals[c].([]int32)[j] = v
			case int64:
				vals[c].([]int64)[j] = v
			case float64:
				vals[c].([]float64)[j] = v
			case string:
				vals[c].([]string)[j] = v
			}
		}
	}
	return s.insertColumns(ctx, s.layout().stored(table), cols, append([]any{ids, times}, vals...)...)
}
