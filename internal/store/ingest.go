package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// Ingest tracking: every write that stores rows a rule reads (network events,
// sightings) also records the spans of event time it stored them in, under
// the next number of the store's ingest sequence. A consumer of the data (each
// rule, in detect) keeps a watermark: the last sequence number it has
// evaluated through. What it has not seen yet is then the spans after its
// watermark, whatever their event times: old logs ingested today, late
// sightings of a retro-hunt over last month's events.

// IngestSpan is a span of event time that one write stored rows in.
type IngestSpan struct {
	Seq     int64     `json:"seq"`      // the write's number in the store's ingest sequence
	Table   string    `json:"table"`    // the table written: network_events or sightings
	Min     time.Time `json:"min_time"` // the earliest event time in the span
	Max     time.Time `json:"max_time"` // the latest event time in the span
	Rows    int64     `json:"rows"`     // rows of the write with a time in the span (duplicates of stored rows included)
	AddedAt time.Time `json:"added_at"` // when the write was recorded
}

// Watermark is how far a consumer of the stored data has got: a rule,
// through the ingest sequence, or the retro-hunt, through the indicators'
// load numbers (see Store.IndicatorsChangedSince).
type Watermark struct {
	Name      string    `json:"name"`
	Seq       int64     `json:"seq"`
	UpdatedAt time.Time `json:"updated_at"`
}

// spanHour is the granularity of ingest spans: a write's event times are
// grouped into runs of consecutive hours that hold data, each one span with
// its exact first and last time. A write of old logs with gaps then costs
// the rules only the hours that have data, while a write of live data,
// seconds long, is one span.
const spanHour = int64(time.Hour / time.Second)

// SpanBuilder collects the event times of one write into ingest spans.
// The zero value is ready to use.
type SpanBuilder struct {
	hours map[int64]*IngestSpan
	last  *IngestSpan // the span of the last hour added, as times mostly come in order
	hour  int64
}

// Add adds an event time.
func (b *SpanBuilder) Add(t time.Time) {
	sec := t.Unix()
	h := sec / spanHour
	if sec < 0 && sec%spanHour != 0 {
		h--
	}
	sp := b.last
	if sp == nil || h != b.hour {
		if b.hours == nil {
			b.hours = make(map[int64]*IngestSpan)
		}
		if sp = b.hours[h]; sp == nil {
			sp = &IngestSpan{Min: t, Max: t}
			b.hours[h] = sp
		}
		b.last, b.hour = sp, h
	}
	if t.Before(sp.Min) {
		sp.Min = t
	}
	if t.After(sp.Max) {
		sp.Max = t
	}
	sp.Rows++
}

// Spans returns the spans of table collected so far, by time: consecutive
// hours merged, times at whole seconds in UTC. Seq and AddedAt are left for
// the store to fill in.
func (b *SpanBuilder) Spans(table string) []IngestSpan {
	hours := make([]int64, 0, len(b.hours))
	for h := range b.hours {
		hours = append(hours, h)
	}
	slices.Sort(hours)
	var out []IngestSpan
	for i, h := range hours {
		sp := *b.hours[h]
		sp.Min, sp.Max = sp.Min.UTC().Truncate(time.Second), sp.Max.UTC().Truncate(time.Second)
		if i > 0 && hours[i-1] == h-1 {
			last := &out[len(out)-1]
			last.Max, last.Rows = sp.Max, last.Rows+sp.Rows
			continue
		}
		sp.Table = table
		out = append(out, sp)
	}
	return out
}

// NetworkSpans returns the ingest spans of the network events evs[rows].
func NetworkSpans(evs []event.Network, rows []int32) []IngestSpan {
	var sb SpanBuilder
	for _, i := range rows {
		sb.Add(evs[i].Time)
	}
	return sb.Spans("network_events")
}

// IngestedSinceSQL is the query of Store.IngestedSince, the sequence number
// its one parameter: the same on every engine.
const IngestedSinceSQL = `SELECT seq, table_name, min_time, max_time, rows, added_at
		FROM ingest_spans WHERE seq > ? ORDER BY seq, min_time`

// Through returns the highest sequence number among spans, or seq when there
// are none: the watermark of a consumer that has evaluated spans.
func Through(seq int64, spans []IngestSpan) int64 {
	for _, sp := range spans {
		seq = max(seq, sp.Seq)
	}
	return seq
}

// ScanIndicatorsChanged reads rows of IndicatorColumns and a load number,
// as IndicatorsChangedSince returns them, and returns the highest load
// number among them, or after when there are none.
func ScanIndicatorsChanged(rows Rows, after int64) ([]event.Indicator, int64, error) {
	var out []event.Indicator
	latest := after
	for rows.Next() {
		var seq int64
		in, err := ScanIndicator(withSeq{rows, &seq})
		if err != nil {
			return nil, after, fmt.Errorf("read indicators: %w", err)
		}
		latest = max(latest, seq)
		out = append(out, in)
	}
	return out, latest, rows.Err()
}

// withSeq scans a row of IndicatorColumns plus a load number.
type withSeq struct {
	rows Rows
	seq  *int64
}

func (w withSeq) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.seq)...) }

// ScanIngestSpans reads rows of seq, table_name, min_time, max_time, rows,
// added_at.
func ScanIngestSpans(rows Rows) ([]IngestSpan, error) {
	var out []IngestSpan
	for rows.Next() {
		var sp IngestSpan
		if err := rows.Scan(&sp.Seq, &sp.Table, &sp.Min, &sp.Max, &sp.Rows, &sp.AddedAt); err != nil {
			return nil, fmt.Errorf("read ingest spans: %w", err)
		}
		sp.Min, sp.Max, sp.AddedAt = sp.Min.UTC(), sp.Max.UTC(), sp.AddedAt.UTC()
		out = append(out, sp)
	}
	return out, rows.Err()
}

// ScanWatermarks reads rows of name, seq, updated_at.
func ScanWatermarks(rows Rows) (map[string]Watermark, error) {
	out := map[string]Watermark{}
	for rows.Next() {
		var w Watermark
		if err := rows.Scan(&w.Name, &w.Seq, &w.UpdatedAt); err != nil {
			return nil, fmt.Errorf("read watermarks: %w", err)
		}
		w.UpdatedAt = w.UpdatedAt.UTC()
		out[w.Name] = w
	}
	return out, rows.Err()
}
