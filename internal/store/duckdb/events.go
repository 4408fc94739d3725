package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/event"
)

// WriteNetwork implements store.Store. Events are appended straight into
// network_events through DuckDB's Appender, each written once. Duplicates are
// found first: event ids hash the record, which includes its time, so a
// stored duplicate always falls inside the batch's time range; when that range
// holds no stored event (a first ingest) the probe is a cheap count, else the
// batch's ids are staged and anti-joined against that range only.
func (s *Store) WriteNetwork(ctx context.Context, evs []event.Network) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	fresh := make(map[event.ID]struct{}, len(evs))
	lo, hi := evs[0].Time, evs[0].Time
	for i := range evs {
		fresh[evs[i].ID] = struct{}{}
		lo, hi = minTime(lo, evs[i].Time), maxTime(hi, evs[i].Time)
	}
	if err := s.dropStored(ctx, fresh, lo, hi); err != nil {
		return 0, err
	}
	b := &networkBatch{evs: evs, rows: make([]int32, 0, len(fresh))}
	for i := range evs {
		if _, ok := fresh[evs[i].ID]; ok {
			delete(fresh, evs[i].ID) // a repeat later in the batch is a duplicate
			b.rows = append(b.rows, int32(i))
		}
	}
	n, err := s.insertNetwork(ctx, b)
	if err != nil {
		return 0, fmt.Errorf("insert network events: %w", err)
	}
	if n != int64(len(b.rows)) {
		return 0, fmt.Errorf("insert network events: %d of %d rows inserted", n, len(b.rows))
	}
	return int(n), nil
}

// dropStored removes from ids those already stored with a time in [lo, hi].
func (s *Store) dropStored(ctx context.Context, ids map[event.ID]struct{}, lo, hi time.Time) error {
	var inRange int64
	if err := s.conn.QueryRowContext(ctx, `SELECT count(*) FROM network_events WHERE time BETWEEN ? AND ?`, lo, hi).Scan(&inRange); err != nil {
		return fmt.Errorf("probe stored events: %w", err)
	}
	if inRange == 0 {
		return nil
	}
	if _, err := s.conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS stage_ids (event_id UUID); DELETE FROM stage_ids`); err != nil {
		return fmt.Errorf("prepare staging: %w", err)
	}
	err := s.appendRows(ctx, "temp", "stage_ids", func(a *duckdb.Appender) error {
		for id := range ids {
			if err := a.AppendRow(duckdb.UUID(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("stage event ids: %w", err)
	}
	rows, err := s.conn.QueryContext(ctx, `SELECT s.event_id FROM stage_ids AS s JOIN
		(SELECT event_id FROM network_events WHERE time BETWEEN ? AND ?) AS e ON e.event_id = s.event_id`, lo, hi)
	if err != nil {
		return fmt.Errorf("find stored events: %w", err)
	}
	defer rows.Close()
	var id duckdb.UUID
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("find stored events: %w", err)
		}
		delete(ids, event.ID(id))
	}
	return rows.Err()
}

// WriteRejects implements store.Store. A line rejected again (the same
// source, line number and text, as when a file is ingested twice) is kept
// once.
func (s *Store) WriteRejects(ctx context.Context, rs []event.Reject) error {
	if len(rs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stage(ctx, "stage_rejects", "rejects"); err != nil {
		return err
	}
	err := s.appendRows(ctx, "temp", "stage_rejects", func(a *duckdb.Appender) error {
		for _, r := range rs {
			if err := a.AppendRow(event.SecondsUTC(r.Time), r.Source, r.Line, r.Format, r.Reason, r.Raw); err != nil {
				return fmt.Errorf("append reject: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("stage rejects: %w", err)
	}
	if _, err := s.conn.ExecContext(ctx, `INSERT INTO rejects SELECT DISTINCT ON (n.source, n.line, n.raw) n.* FROM stage_rejects AS n
		WHERE NOT EXISTS (SELECT 1 FROM rejects AS x WHERE x.source = n.source AND x.line = n.line AND x.raw = n.raw)`); err != nil {
		return fmt.Errorf("insert rejects: %w", err)
	}
	return nil
}

// Rejects implements store.Store.
func (s *Store) Rejects(ctx context.Context, since time.Time, limit int) ([]event.Reject, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM rejects WHERE time >= ?`, since).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count rejects: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT time, source, line, format, reason, raw FROM rejects
		WHERE time >= ? ORDER BY time, source, line LIMIT ?`, since, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("read rejects: %w", err)
	}
	defer rows.Close()
	var out []event.Reject
	for rows.Next() {
		var r event.Reject
		if err := rows.Scan(&r.Time, &r.Source, &r.Line, &r.Format, &r.Reason, &r.Raw); err != nil {
			return nil, 0, fmt.Errorf("read rejects: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// appendRows runs fill with an Appender on table (in catalog, "" for the
// database itself) on the writers' connection, and flushes it.
func (s *Store) appendRows(ctx context.Context, catalog, table string, fill func(*duckdb.Appender) error) error {
	return s.conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppender(dc.(driver.Conn), catalog, "", table)
		if err != nil {
			return err
		}
		if err := fill(a); err != nil {
			a.Close()
			return err
		}
		return a.CloseWithCancel(ctx)
	})
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
