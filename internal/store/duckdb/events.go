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

// maxJoinedStored is the most stored events in a batch's time range for
// which the INSERT itself excludes them, with a hash join that holds their
// ids (about 50 bytes each), beside the batch in flight, in the 64 MB buffer
// pool: 1M ran out of memory at 400,000 (TestWriteNetworkDenseHour). Above
// it a separate probe, which hashes the batch's ids instead, finds the stored
// duplicates first.
const maxJoinedStored = 1 << 17

// WriteNetwork implements store.Store. Events are inserted with one
// INSERT ... SELECT from a table function that serves them from Go memory to
// all of DuckDB's threads (see networkBatchFunc), each written once.
//
// Repeats within evs are dropped in Go, keeping the first. Stored duplicates
// are excluded by the INSERT itself, which skips the ids already stored in
// the batch's time range: event ids hash the record, which includes its time,
// so a stored duplicate always falls inside that range, and a range that holds
// no stored event (a first ingest) needs no exclusion. When the range holds too
// many stored events to join cheaply (a batch spanning much of the stored
// history), dropStored finds the duplicates first instead.
func (s *Store) WriteNetwork(ctx context.Context, evs []event.Network) (int, error) {
	return s.writeNetwork(ctx, evs, maxJoinedStored)
}

// writeNetwork is WriteNetwork with the most stored events in the batch's time
// range that the INSERT excludes itself.
func (s *Store) writeNetwork(ctx context.Context, evs []event.Network, maxJoined int64) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	b := &networkBatch{evs: evs}
	b.rows, b.lo, b.hi = event.Distinct(evs)

	var inRange int64
	if err := s.conn.QueryRowContext(ctx, `SELECT count(*) FROM network_events WHERE time BETWEEN ? AND ?`,
		b.lo, b.hi).Scan(&inRange); err != nil {
		return 0, fmt.Errorf("probe stored events: %w", err)
	}
	join := inRange <= maxJoined
	if !join {
		if err := s.dropStored(ctx, b); err != nil {
			return 0, err
		}
		if len(b.rows) == 0 {
			return 0, nil
		}
	}
	var n int64
	err := s.inWriteTx(ctx, func() error {
		var err error
		if n, err = s.insertNetwork(ctx, b, join && inRange > 0); err != nil {
			return fmt.Errorf("insert network events: %w", err)
		}
		if n > 0 {
			return s.recordIngest(context.WithoutCancel(ctx), store.NetworkSpans(b.evs, b.rows))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// dropStored removes from b.rows the events already stored with a time in
// [b.lo, b.hi]. DuckDB chooses which side of the join to hold in memory.
func (s *Store) dropStored(ctx context.Context, b *networkBatch) error {
	stored := make([]bool, len(b.evs))
	b.cols = 1<<colEventID | 1<<colRow
	err := func() error {
		rows, err := s.conn.QueryContext(withBatch(ctx, b), `SELECT batch_row FROM `+networkBatchFunc+`() AS b
			SEMI JOIN (SELECT event_id FROM network_events WHERE time BETWEEN ? AND ?) AS e USING (event_id)`, b.lo, b.hi)
		if err != nil {
			return err
		}
		defer rows.Close()
		var i int32
		for rows.Next() {
			if err := rows.Scan(&i); err != nil {
				return err
			}
			stored[i] = true
		}
		return rows.Err()
	}()
	if err != nil {
		return fmt.Errorf("find stored events: %w", err)
	}
	fresh := b.rows[:0]
	for _, i := range b.rows {
		if !stored[i] {
			fresh = append(fresh, i)
		}
	}
	b.rows = fresh
	return nil
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
			r = r.Stored() // VARCHARs take valid UTF-8 only
			if err := a.AppendRow(r.Time, r.Source, r.Line, r.Format, r.Reason, r.Raw, r.RawEncoding); err != nil {
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
	rows, err := s.db.QueryContext(ctx, `SELECT time, source, line, format, reason, raw, raw_encoding FROM rejects
		WHERE time >= ? ORDER BY time, source, line LIMIT ?`, since, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("read rejects: %w", err)
	}
	defer rows.Close()
	var out []event.Reject
	for rows.Next() {
		var r event.Reject
		if err := rows.Scan(&r.Time, &r.Source, &r.Line, &r.Format, &r.Reason, &r.Raw, &r.RawEncoding); err != nil {
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
