package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// recordIngest records the spans of a write, after its rows are stored,
// under the next ingest sequence number: the writer's clock in nanoseconds,
// as versions are (nextVersion), so processes writing at once number their
// writes in the order they finish. The caller holds s.mu.
//
// It runs to the end when ctx is cancelled after the rows were written
// (Ctrl-C during an ingest): rows without their span would never be
// evaluated, as ingesting them again stores nothing. Only a crash between
// the two inserts loses the span.
func (s *Store) recordIngest(ctx context.Context, spans []store.IngestSpan) error {
	if len(spans) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	seq := int64(s.nextVersion(0))
	now := store.Now().Unix()
	n := len(spans)
	seqs, tables := make([]int64, n), make([]string, n)
	mins, maxs, rows, added := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, sp := range spans {
		seqs[i], tables[i] = seq, sp.Table
		mins[i], maxs[i], rows[i], added[i] = storedTime(sp.Min).Unix(), storedTime(sp.Max).Unix(), sp.Rows, now
	}
	if err := s.insertColumns(ctx, "ingest_spans", "seq, table_name, min_time, max_time, rows, added_at",
		seqs, tables, mins, maxs, rows, added); err != nil {
		return fmt.Errorf("record ingest: %w", err)
	}
	return nil
}

// IngestedSince implements store.Store.
func (s *Store) IngestedSince(ctx context.Context, seq int64) ([]store.IngestSpan, error) {
	rows, err := s.conn.Query(ctx, store.IngestedSinceSQL, seq)
	if err != nil {
		return nil, fmt.Errorf("read ingest spans: %w", err)
	}
	defer rows.Close()
	return store.ScanIngestSpans(rows)
}

// Watermarks implements store.Store.
func (s *Store) Watermarks(ctx context.Context) (map[string]store.Watermark, error) {
	rows, err := s.conn.Query(ctx, `SELECT name, seq, updated_at FROM watermarks FINAL`)
	if err != nil {
		return nil, fmt.Errorf("read watermarks: %w", err)
	}
	defer rows.Close()
	return store.ScanWatermarks(rows)
}

// SaveWatermark implements store.Store: a new version of its row.
func (s *Store) SaveWatermark(ctx context.Context, w store.Watermark) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.insertColumns(ctx, "watermarks", "name, seq, updated_at, version",
		[]string{w.Name}, []int64{w.Seq}, []int64{store.Now().Unix()},
		[]uint64{s.nextVersion(0)}); err != nil {
		return fmt.Errorf("save watermark %s: %w", w.Name, err)
	}
	return nil
}

// IndicatorsChangedSince implements store.Store: an indicator's load number
// is the version of its latest row.
func (s *Store) IndicatorsChangedSince(ctx context.Context, after int64) ([]event.Indicator, int64, error) {
	// The versions table, whose FINAL keeps each id's latest version.
	q := "SELECT " + store.IndicatorColumns + ", toInt64(version) FROM indicator_versions FINAL WHERE active = 1"
	var args []any
	if after >= 0 {
		q, args = q+" AND version > ?", []any{uint64(after)}
	}
	rows, err := s.conn.Query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, after, fmt.Errorf("read indicators: %w", err)
	}
	defer rows.Close()
	return store.ScanIndicatorsChanged(rows, after)
}

// sightingSpans returns the ingest spans of sightings rows.
func sightingSpans(rows []sighting, keep func(*sighting) bool) []store.IngestSpan {
	var sb store.SpanBuilder
	for i := range rows {
		if keep(&rows[i]) {
			sb.Add(time.Unix(rows[i].time, 0))
		}
	}
	return sb.Spans("sightings")
}
