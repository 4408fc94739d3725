package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// WriteEndpointStates implements store.Store, through writeRecords.
func (s *Store) WriteEndpointStates(ctx context.Context, sts []event.EndpointState) (int, error) {
	if len(sts) == 0 {
		return 0, nil
	}
	rows, lo, hi := store.DistinctStates(sts)
	return s.writeRecords(ctx, "endpoint_states", "endpoint states", rows, lo, hi,
		func(i int32) (event.ID, time.Time, []any) { return sts[i].ID, sts[i].Time, store.EndpointRow(&sts[i]) },
		func(fresh []int32) []store.IngestSpan { return store.EndpointSpans(sts, fresh) })
}

// WriteVPNSessions implements store.Store, through writeRecords.
func (s *Store) WriteVPNSessions(ctx context.Context, vs []event.VPNSession) (int, error) {
	if len(vs) == 0 {
		return 0, nil
	}
	rows, lo, hi := store.Distinct(vs, store.VPNID, store.VPNTime)
	return s.writeRecords(ctx, "vpn_sessions", "vpn sessions", rows, lo, hi,
		func(i int32) (event.ID, time.Time, []any) { return vs[i].ID, vs[i].Time, store.VPNRow(&vs[i]) },
		func(fresh []int32) []store.IngestSpan { return store.Spans("vpn_sessions", vs, fresh, store.VPNTime) })
}

// WriteHTTP implements store.Store, through writeRecords.
func (s *Store) WriteHTTP(ctx context.Context, hs []event.HTTP) (int, error) {
	if len(hs) == 0 {
		return 0, nil
	}
	rows, lo, hi := store.Distinct(hs, store.HTTPID, store.HTTPTime)
	return s.writeRecords(ctx, "http_events", "http events", rows, lo, hi,
		func(i int32) (event.ID, time.Time, []any) { return hs[i].ID, hs[i].Time, store.HTTPRow(&hs[i]) },
		func(fresh []int32) []store.IngestSpan { return store.Spans("http_events", hs, fresh, store.HTTPTime) })
}

// writeRecords stores the records rows of a batch (distinct ids, times
// within lo..hi) in table, whose columns are id, time and those record
// gives, and records the spans of those it stores. EDR, VPN and proxy logs
// hold far fewer records than a firewall log holds events, so the batch
// goes through the Appender into a staging table, whose ids already stored
// in the batch's time range (ids hash the record, time included) are found
// first, so that the spans recorded are those of the rows actually stored.
func (s *Store) writeRecords(ctx context.Context, table, what string, rows []int32, lo, hi time.Time,
	record func(i int32) (event.ID, time.Time, []any), spans func(fresh []int32) []store.IngestSpan) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stage := "stage_" + table
	if err := s.stage(ctx, stage, table); err != nil {
		return 0, err
	}
	ids := make(map[int32]event.ID, len(rows))
	err := s.appendRows(ctx, "temp", stage, func(a *duckdb.Appender) error {
		for _, i := range rows {
			id, at, row := record(i)
			ids[i] = id
			vals := make([]driver.Value, 0, len(row)+2)
			vals = append(vals, duckdb.UUID(id), event.SecondsUTC(at))
			for _, v := range row {
				vals = append(vals, v)
			}
			if err := a.AppendRow(vals...); err != nil {
				return fmt.Errorf("append %s: %w", what, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stage %s: %w", what, err)
	}
	storedInRange := `SELECT id FROM ` + table + ` WHERE time BETWEEN ? AND ?`
	stored, err := s.storedIDs(ctx, `SELECT id FROM `+stage+` WHERE id IN (`+storedInRange+`)`, lo, hi)
	if err != nil {
		return 0, fmt.Errorf("find stored %s: %w", what, err)
	}
	fresh := rows[:0]
	for _, i := range rows {
		if _, ok := stored[ids[i]]; !ok {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	err = s.inWriteTx(ctx, func() error {
		if _, err := s.conn.ExecContext(ctx, `INSERT INTO `+table+` SELECT * FROM `+stage+`
			WHERE id NOT IN (`+storedInRange+`)`, lo, hi); err != nil {
			return fmt.Errorf("insert %s: %w", what, err)
		}
		return s.recordIngest(context.WithoutCancel(ctx), spans(fresh))
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
