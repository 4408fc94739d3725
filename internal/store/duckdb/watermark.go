package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// recordIngest records the spans of a write under the next ingest sequence
// number, on s.conn inside the write's own transaction (see inWriteTx), so
// rows and their spans commit together: rows without their span would never
// be evaluated, as ingesting them again stores nothing. The caller holds
// s.mu, so numbers are handed out one at a time; one process writes a DuckDB
// file.
func (s *Store) recordIngest(ctx context.Context, spans []store.IngestSpan) error {
	if len(spans) == 0 {
		return nil
	}
	var seq int64
	if err := s.conn.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM ingest_spans`).Scan(&seq); err != nil {
		return fmt.Errorf("record ingest: %w", err)
	}
	now := store.Now()
	for _, sp := range spans {
		if _, err := s.conn.ExecContext(ctx, `INSERT INTO ingest_spans (seq, table_name, min_time, max_time, rows, added_at)
			VALUES (?, ?, ?, ?, ?, ?)`, seq, sp.Table, sp.Min, sp.Max, sp.Rows, now); err != nil {
			return fmt.Errorf("record ingest: %w", err)
		}
	}
	return nil
}

// inWriteTx runs fn, which writes on s.conn, in one transaction: it commits
// when fn succeeds, even if ctx was cancelled meanwhile (what fn wrote is
// kept whole, as an interrupted ingest reports), and rolls back otherwise.
func (s *Store) inWriteTx(ctx context.Context, fn func() error) error {
	if _, err := s.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	done := context.WithoutCancel(ctx)
	if err := fn(); err != nil {
		_, rbErr := s.conn.ExecContext(done, "ROLLBACK")
		return errors.Join(err, rbErr)
	}
	_, err := s.conn.ExecContext(done, "COMMIT")
	return err
}

// IngestedSince implements store.Store.
func (s *Store) IngestedSince(ctx context.Context, seq int64) ([]store.IngestSpan, error) {
	rows, err := s.db.QueryContext(ctx, store.IngestedSinceSQL, seq)
	if err != nil {
		return nil, fmt.Errorf("read ingest spans: %w", err)
	}
	defer rows.Close()
	return store.ScanIngestSpans(rows)
}

// Watermarks implements store.Store.
func (s *Store) Watermarks(ctx context.Context) (map[string]store.Watermark, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, seq, updated_at FROM watermarks`)
	if err != nil {
		return nil, fmt.Errorf("read watermarks: %w", err)
	}
	defer rows.Close()
	return store.ScanWatermarks(rows)
}

// SaveWatermark implements store.Store.
func (s *Store) SaveWatermark(ctx context.Context, w store.Watermark) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM watermarks WHERE name = ?`, w.Name); err != nil {
			return fmt.Errorf("save watermark %s: %w", w.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO watermarks (name, seq, updated_at) VALUES (?, ?, ?)`,
			w.Name, w.Seq, store.Now()); err != nil {
			return fmt.Errorf("save watermark %s: %w", w.Name, err)
		}
		return nil
	})
}

// IndicatorsChangedSince implements store.Store.
func (s *Store) IndicatorsChangedSince(ctx context.Context, after int64) ([]event.Indicator, int64, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+store.IndicatorColumns+`, load_seq FROM indicators
		WHERE active = 1 AND load_seq > ? ORDER BY id`, after)
	if err != nil {
		return nil, after, fmt.Errorf("read indicators: %w", err)
	}
	defer rows.Close()
	return store.ScanIndicatorsChanged(rows, after)
}

// nextLoadSeq returns the load number of a write of indicators: above any
// stored, and the clock in nanoseconds as ClickHouse's versions are. The
// caller holds s.mu.
func (s *Store) nextLoadSeq(ctx context.Context) (int64, error) {
	var last int64
	if err := s.conn.QueryRowContext(ctx, `SELECT coalesce(max(load_seq), 0) FROM indicators`).Scan(&last); err != nil {
		return 0, fmt.Errorf("number indicator load: %w", err)
	}
	return max(last+1, time.Now().UnixNano()), nil
}
