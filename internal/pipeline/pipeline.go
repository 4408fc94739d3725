// Package pipeline runs homesoc's ingest path: a source's lines are parsed
// into events, matched against threat intel, and written in batches, with
// every line accounted for as stored, duplicate, skipped or rejected.
package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/homesoc/homesoc/internal/assets"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/parse"
)

// Writer is the part of the store the pipeline writes to.
type Writer interface {
	WriteNetwork(ctx context.Context, evs []event.Network) (int, error)
	WriteEndpointStates(ctx context.Context, sts []event.EndpointState) (int, error)
	WriteVPNSessions(ctx context.Context, vs []event.VPNSession) (int, error)
	WriteHTTP(ctx context.Context, hs []event.HTTP) (int, error)
	WriteRejects(ctx context.Context, rs []event.Reject) error
	WriteSightings(ctx context.Context, ss []event.Sighting) (int, error)
	// UpsertAssets updates the asset inventory from EDR host records.
	UpsertAssets(ctx context.Context, us []assets.Update) (assets.Counts, error)
}

// Matcher finds the indicators an event touched.
type Matcher interface {
	// MatchEvent appends a sighting to dst for each indicator ev touches.
	MatchEvent(ev *event.Network, source string, dst []event.Sighting) []event.Sighting
}

// HTTPMatcher is a Matcher that also matches proxy requests; the pipeline
// matches the http_events records of a line when its Matcher is one.
type HTTPMatcher interface {
	// MatchHTTP appends a sighting to dst for each indicator h touches.
	MatchHTTP(h *event.HTTP, source string, dst []event.Sighting) []event.Sighting
}

// Source is one input stream.
type Source struct {
	Name    string // file path, or "-" for stdin: recorded with rejects
	R       io.Reader
	ModTime time.Time // places syslog stamps that carry no year
}

// Config says how to run the pipeline.
type Config struct {
	Format    string // a registered format name, or "auto"
	Year      int    // year of stamps that carry none; 0: from Source.ModTime
	Location  *time.Location
	BatchSize int              // events per write; 0 means DefaultBatchSize
	Matcher   Matcher          // nil: no matching at ingest
	Progress  func(n int64)    // called with bytes consumed since the last call
	Now       func() time.Time // stamps rejects; nil means time.Now
}

// DefaultBatchSize balances write throughput against memory.
const DefaultBatchSize = 100_000

// maxLine is the longest line kept whole; longer lines are rejected, with
// their first keptOfLongLine bytes.
const (
	maxLine        = 1 << 20
	keptOfLongLine = 4096
)

// Stats counts what happened to the input.
type Stats struct {
	Format     string  `json:"format,omitempty"`
	Read       int64   `json:"read"`       // lines read
	Stored     int64   `json:"stored"`     // new records stored, in every table
	Duplicates int64   `json:"duplicates"` // records already stored or repeated, in every table
	Skipped    int64   `json:"skipped"`    // well-formed lines with nothing to store
	Rejected   int64   `json:"rejected"`   // lines that could not be parsed
	Sightings  int64   `json:"sightings"`  // new indicator sightings
	Seconds    float64 `json:"elapsed_s"`
	// Tables breaks Stored and Duplicates down by the table written, for
	// the tables that got records (network_events, endpoint_states,
	// vpn_sessions, http_events).
	Tables map[string]TableStats `json:"tables"`
	// SkipReasons counts the skipped lines by why they carried nothing to
	// store, in the order first seen (at most MaxSkipReasons reasons; the
	// rest count as "other").
	SkipReasons []SkipReason `json:"skip_reasons"`
	// FirstRejects are the first MaxRejectSamples rejected lines, to show
	// the user; all of them are stored.
	FirstRejects []event.Reject `json:"first_rejects"`
}

// TableStats counts the records of one table.
type TableStats struct {
	Stored     int64 `json:"stored"`
	Duplicates int64 `json:"duplicates"`
}

// count adds stored and duplicate records of table to s.
func (s *Stats) count(table string, stored, duplicates int64) {
	if stored == 0 && duplicates == 0 {
		return
	}
	if s.Tables == nil {
		s.Tables = map[string]TableStats{}
	}
	t := s.Tables[table]
	t.Stored += stored
	t.Duplicates += duplicates
	s.Tables[table] = t
	s.Stored += stored
	s.Duplicates += duplicates
}

// MaxRejectSamples is how many rejected lines Stats keeps.
const MaxRejectSamples = 20

// MaxSkipReasons is how many distinct reasons for skipping Stats counts.
const MaxSkipReasons = 20

// SkipReasonPlain is the reason of a parser's bare ErrSkip.
const SkipReasonPlain = "blank line, header or comment"

// SkipReason is how many lines were skipped for one reason.
type SkipReason struct {
	Reason string `json:"reason"`
	Lines  int64  `json:"lines"`
}

// skip counts n skipped lines under their reason.
func (s *Stats) skip(reason string, n int64) {
	s.Skipped += n
	i := slices.IndexFunc(s.SkipReasons, func(r SkipReason) bool { return r.Reason == reason })
	if i < 0 && len(s.SkipReasons) >= MaxSkipReasons {
		reason = "other"
		i = slices.IndexFunc(s.SkipReasons, func(r SkipReason) bool { return r.Reason == reason })
	}
	if i < 0 {
		s.SkipReasons = append(s.SkipReasons, SkipReason{Reason: reason})
		i = len(s.SkipReasons) - 1
	}
	s.SkipReasons[i].Lines += n
}

// Add accumulates o into s (Format and Seconds are the caller's).
func (s *Stats) Add(o Stats) {
	s.Read += o.Read
	for _, name := range slices.Sorted(maps.Keys(o.Tables)) {
		s.count(name, o.Tables[name].Stored, o.Tables[name].Duplicates)
	}
	for _, r := range o.SkipReasons {
		s.skip(r.Reason, r.Lines)
	}
	s.Rejected += o.Rejected
	s.Sightings += o.Sightings
	s.FirstRejects = AppendSamples(s.FirstRejects, o.FirstRejects...)
}

// AppendSamples appends to samples as many of rs as fit within
// MaxRejectSamples.
func AppendSamples(samples []event.Reject, rs ...event.Reject) []event.Reject {
	return append(samples, rs[:min(len(rs), MaxRejectSamples-len(samples))]...)
}

type batch struct {
	events    []event.Network
	extra     event.Extra // the records of lines for other tables
	rejects   []event.Reject
	sightings []event.Sighting
}

// extraTable writes one table of event.Extra.
type extraTable struct {
	name string
	add  func(dst, src *event.Extra, raw string) // appends src's records to dst, Raw defaulting to raw
	// needsRaw reports whether a record of src has no Raw: the line's text
	// is copied only then, as parsers that fill Raw copied it already.
	needsRaw func(src *event.Extra) bool
	write    func(ctx context.Context, w Writer, x *event.Extra) (stored, total int, err error)
	length   func(x *event.Extra) int
}

// newExtraTable makes the extraTable of the records of type T that
// records picks out of an Extra, whose Raw rawOf gives, and that write
// stores.
func newExtraTable[T any](name string, records func(*event.Extra) *[]T, rawOf func(*T) *string,
	write func(Writer, context.Context, []T) (int, error)) extraTable {
	return extraTable{
		name: name,
		add: func(dst, src *event.Extra, raw string) {
			for _, r := range *records(src) {
				if p := rawOf(&r); *p == "" {
					*p = raw
				}
				*records(dst) = append(*records(dst), r)
			}
		},
		write: func(ctx context.Context, w Writer, x *event.Extra) (int, int, error) {
			rs := *records(x)
			n, err := write(w, ctx, rs)
			return n, len(rs), err
		},
		length: func(x *event.Extra) int { return len(*records(x)) },
		needsRaw: func(x *event.Extra) bool {
			for i := range *records(x) {
				if *rawOf(&(*records(x))[i]) == "" {
					return true
				}
			}
			return false
		},
	}
}

// extraTables write the tables of event.Extra, each a slice of its records:
// a table that parsers fill through Extra is one entry here and one method
// of Writer.
var extraTables = []extraTable{
	newExtraTable("endpoint_states", func(x *event.Extra) *[]event.EndpointState { return &x.Endpoints },
		func(r *event.EndpointState) *string { return &r.Raw }, Writer.WriteEndpointStates),
	newExtraTable("vpn_sessions", func(x *event.Extra) *[]event.VPNSession { return &x.VPNSessions },
		func(r *event.VPNSession) *string { return &r.Raw }, Writer.WriteVPNSessions),
	newExtraTable("http_events", func(x *event.Extra) *[]event.HTTP { return &x.HTTP },
		func(r *event.HTTP) *string { return &r.Raw }, Writer.WriteHTTP),
}

// Run ingests one source. Parsing and writing run concurrently; a line that
// cannot be parsed is rejected and kept, and never stops the run. Run
// returns early only for a failing store or reader, or a cancelled ctx.
func Run(ctx context.Context, w Writer, src Source, cfg Config) (Stats, error) {
	start := time.Now()
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	br := bufio.NewReaderSize(src.R, 256<<10)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) && (cfg.Format == "" || cfg.Format == "auto") {
		return Stats{Seconds: time.Since(start).Seconds()}, nil // nothing to detect a format from
	}
	format, err := pickFormat(br, cfg.Format)
	if err != nil {
		return Stats{}, fmt.Errorf("%s: %w", src.Name, err)
	}
	p := format.New(parse.Options{Year: cfg.Year, ModTime: src.ModTime, Location: cfg.Location})
	xp, _ := p.(parse.ExtraParser) // nil for parsers of network events alone

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan *batch, 1)
	free := make(chan *batch, 2)
	for range 2 {
		free <- &batch{events: make([]event.Network, 0, cfg.BatchSize)}
	}
	written := make(chan writeResult, 1)
	go func() { written <- writeBatches(ctx, cancel, w, full, free) }()

	st := Stats{Format: format.Name}
	readErr := readLines(ctx, br, src, format.Name, lineParser{p, xp}, cfg, &st, full, free)
	close(full)
	wr := <-written
	// Only what was written counts as stored or duplicate: after a failed
	// or cancelled write the rest of the lines are neither.
	for _, name := range slices.Sorted(maps.Keys(wr.tables)) {
		st.count(name, wr.tables[name].Stored, wr.tables[name].Duplicates)
	}
	st.Sightings = wr.sightings
	st.Seconds = time.Since(start).Seconds()
	if wr.err != nil {
		return st, fmt.Errorf("%s: store: %w", src.Name, wr.err)
	}
	if readErr != nil {
		return st, fmt.Errorf("%s: %w", src.Name, readErr)
	}
	return st, nil
}

// readLines parses every line of br into batches handed to full.
func readLines(ctx context.Context, br *bufio.Reader, src Source, format string, p lineParser,
	cfg Config, st *Stats, full, free chan *batch) error {
	var b *batch
	take := func() error {
		select {
		case b = <-free:
			b.events, b.rejects, b.sightings = b.events[:0], b.rejects[:0], b.sightings[:0]
			b.extra.Reset()
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := take(); err != nil {
		return err
	}
	var pending int64
	for {
		line, err := readLine(br)
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			if cfg.Progress != nil {
				cfg.Progress(pending)
			}
			full <- b
			return err
		}
		st.Read++
		pending += int64(len(line)) + 1
		if cfg.Progress != nil && pending >= 1<<20 {
			cfg.Progress(pending)
			pending = 0
		}
		if err := parseLine(line, st.Read, src.Name, format, p, cfg, st, b); err != nil {
			return err
		}
		if len(b.events) == cap(b.events) || len(b.rejects) >= cfg.BatchSize || b.extra.Len() >= cfg.BatchSize {
			full <- b
			if err := take(); err != nil {
				return err
			}
		}
	}
}

// lineParser is a stream's parser, and the same as an ExtraParser if it is
// one.
type lineParser struct {
	parse.Parser
	extra parse.ExtraParser
}

// parseLine parses one line into b, counting it in st.
func parseLine(line []byte, n int64, name, format string, p lineParser, cfg Config, st *Stats, b *batch) error {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) > maxLine {
		rejectLine(st, b, reject(cfg, name, n, format,
			fmt.Sprintf("line longer than %d bytes: its first %d bytes kept", maxLine, keptOfLongLine),
			line[:keptOfLongLine]))
		return nil
	}
	// A reject keeps the line's own bytes: event.NewReject encodes them.
	orig := line
	if !utf8.Valid(line) { // stores keep text; junk keeps its shape
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	b.events = append(b.events, event.Network{})
	ev := &b.events[len(b.events)-1]
	switch err := p.Parse(line, ev); {
	case err == nil:
		ev.Raw = string(line)
		if cfg.Matcher != nil {
			b.sightings = cfg.Matcher.MatchEvent(ev, "ingest", b.sightings)
		}
		if p.extra != nil {
			addExtraRaw(b, p.extra.Extra(), ev.Raw, cfg.Matcher)
		}
	case p.extra != nil && errors.Is(err, parse.ErrExtraOnly):
		b.events = b.events[:len(b.events)-1]
		addExtra(b, p.extra.Extra(), line, cfg.Matcher)
	case errors.Is(err, parse.ErrSkip):
		b.events = b.events[:len(b.events)-1]
		reason := SkipReasonPlain
		if err != parse.ErrSkip {
			reason = strings.TrimSuffix(err.Error(), ": "+parse.ErrSkip.Error())
		}
		st.skip(reason, 1)
	default:
		b.events = b.events[:len(b.events)-1]
		rejectLine(st, b, reject(cfg, name, n, format, err.Error(), orig))
	}
	return nil
}

// addExtra appends the records of x for other tables to b, their Raw
// defaulting to line, and the sightings of its proxy requests when m
// matches those.
func addExtra(b *batch, x *event.Extra, line []byte, m Matcher) {
	if x == nil || x.Len() == 0 {
		return
	}
	raw := ""
	for _, t := range extraTables {
		if t.needsRaw(x) {
			raw = string(line)
			break
		}
	}
	addExtraRaw(b, x, raw, m)
}

// addExtraRaw is addExtra with the line's text at hand.
func addExtraRaw(b *batch, x *event.Extra, raw string, m Matcher) {
	if x == nil || x.Len() == 0 {
		return
	}
	for _, t := range extraTables {
		t.add(&b.extra, x, raw)
	}
	if hm, ok := m.(HTTPMatcher); ok {
		for i := range x.HTTP {
			b.sightings = hm.MatchHTTP(&x.HTTP[i], "ingest", b.sightings)
		}
	}
}

// rejectLine counts r in st, keeps it in b for the store, and as a sample
// while st has room for one.
func rejectLine(st *Stats, b *batch, r event.Reject) {
	st.Rejected++
	b.rejects = append(b.rejects, r)
	st.FirstRejects = AppendSamples(st.FirstRejects, r)
}

func reject(cfg Config, source string, line int64, format, reason string, raw []byte) event.Reject {
	return event.NewReject(cfg.Now(), source, line, format, reason, raw)
}

// readLine returns the next line, however long; a final line without a
// newline is returned with io.EOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = br.ReadSlice('\n')
		if len(long) <= maxLine {
			long = append(long, line...)
		}
	}
	return long, err
}

type writeResult struct {
	tables    map[string]TableStats
	sightings int64
	err       error
}

// count adds what a write of total records of table stored.
func (r *writeResult) count(table string, stored, total int) {
	if total == 0 {
		return
	}
	if r.tables == nil {
		r.tables = map[string]TableStats{}
	}
	t := r.tables[table]
	t.Stored += int64(stored)
	t.Duplicates += int64(total - stored)
	r.tables[table] = t
}

// writeBatches stores each batch from full and hands it back to free. The
// first failed write cancels the run, so the reader stops rather than parse
// input that will not be stored.
func writeBatches(ctx context.Context, cancel context.CancelFunc, w Writer, full <-chan *batch, free chan<- *batch) writeResult {
	var r writeResult
	for b := range full {
		if r.err == nil {
			if r.err = writeBatch(ctx, w, b, &r); r.err != nil {
				cancel()
			}
		}
		free <- b
	}
	return r
}

func writeBatch(ctx context.Context, w Writer, b *batch, r *writeResult) error {
	n, err := w.WriteNetwork(ctx, b.events)
	if err != nil {
		return err
	}
	r.count("network_events", n, len(b.events))
	for _, t := range extraTables {
		if t.length(&b.extra) == 0 {
			continue
		}
		n, total, err := t.write(ctx, w, &b.extra)
		if err != nil {
			return err
		}
		r.count(t.name, n, total)
	}
	// What EDRs say about devices keeps the inventory current (assets.FromStates).
	if us := assets.FromStates(b.extra.Endpoints); len(us) > 0 {
		if _, err := w.UpsertAssets(ctx, us); err != nil {
			return fmt.Errorf("update assets: %w", err)
		}
	}
	if err := w.WriteRejects(ctx, b.rejects); err != nil {
		return err
	}
	n, err = w.WriteSightings(ctx, b.sightings)
	r.sightings += int64(n)
	return err
}

// pickFormat returns the named format, or detects it from the first lines.
func pickFormat(br *bufio.Reader, name string) (parse.Format, error) {
	if name != "" && name != "auto" {
		return parse.Lookup(name)
	}
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return parse.Format{}, err
	}
	lines := bytes.Split(head, []byte("\n"))
	if len(lines) > 1 && len(head) == 64<<10 {
		lines = lines[:len(lines)-1] // the last one may be cut short
	}
	return parse.Detect(lines)
}
