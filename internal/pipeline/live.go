package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/parse"
	"github.com/homesoc/homesoc/internal/source"
)

// LiveConfig says how an Ingester runs.
type LiveConfig struct {
	// QueueRecords bounds the records waiting to be parsed: a source that
	// submits more blocks (TCP) or has them refused (UDP). 0: 200,000.
	QueueRecords int
	// BatchSize is the most records written at once. 0: 50,000 (DuckDB took
	// 1M lines at 220,000/s in batches of 50,000, 140,000/s in 20,000s).
	BatchSize int
	// FlushInterval is the longest a record waits for its batch to fill
	// before it is written anyway. 0: 200ms.
	FlushInterval time.Duration
	// Location places stamps that carry no zone; nil: UTC.
	Location *time.Location
	// OnWrite, when not nil, is called after each batch is stored, from
	// the writing goroutine (keep it short: signal, do not work).
	OnWrite func(Written)
	// Fatal reports whether a write's error is one no retry can mend (the
	// store is gone for good): Run then stops and returns it. nil: retry
	// every error.
	Fatal func(error) bool
	Log   *slog.Logger
	Now   func() time.Time // nil: time.Now
}

// Written is what one stored batch held.
type Written struct {
	Tables    map[string]TableStats // stored and duplicate records by table
	Sightings int64                 // new sightings
	Rejects   int
	At        time.Time
}

// Live defaults.
const (
	DefaultQueueRecords  = 200_000
	DefaultLiveBatch     = 50_000
	DefaultFlushInterval = 200 * time.Millisecond
	// parserAge is how long a source's parser is kept before a fresh one
	// replaces it: a parser places year-less stamps relative to when it
	// was made (at most a day after), so a service makes new ones.
	parserAge = time.Hour
	// maxSources bounds the per-sender state; past it the state is
	// dropped and rebuilt, so spoofed UDP senders cannot grow memory.
	maxSources = 10_000
	// drainGrace is how long a source's Submit still waits for room after
	// its context ended, while the Ingester runs: a listener that stops
	// hands on what it had read.
	drainGrace = 10 * time.Second
)

// ErrClosed is returned by Submit once the Ingester stopped taking records.
var ErrClosed = errors.New("pipeline: ingester stopped")

// Ingester is the live pipeline of homesoc serve, the source.Sink every
// listener feeds: it parses each record with its sender's format (named,
// or detected per sender), matches it against the current indicators and
// writes the records in batches, each at most FlushInterval after its first
// record arrived. A failed write is retried, never dropped.
type Ingester struct {
	w   Writer
	cfg LiveConfig

	queue   chan submission
	room    chan struct{} // one token per record of queue room
	matcher atomic.Pointer[matcherBox]
	stop    chan struct{} // closed by Close: no more records are taken
	stopped sync.Once
	closeMu sync.RWMutex
	closed  bool
	done    chan struct{} // closed when Run has written everything

	mu    sync.Mutex
	stats LiveStats
}

type matcherBox struct{ m Matcher }

type submission struct {
	recs []source.Record
	done func(error)
}

// LiveStats counts what an Ingester did since it started.
type LiveStats struct {
	// Sources holds per kind of source ("syslog+udp", "file", "http",
	// "netflow", ...) and format what was read, skipped and rejected.
	Sources map[SourceKey]*SourceCounts
	// Tables holds the stored and duplicate records by table.
	Tables      map[string]TableStats
	Sightings   int64
	Batches     int64
	WriteErrors int64
	// WriteSeconds is the time spent writing batches.
	WriteSeconds float64
	LastWrite    time.Time
	Queued       int // records waiting to be parsed now
	QueueCap     int
}

// SourceKey names a kind of source and a format.
type SourceKey struct{ Kind, Format string }

// SourceCounts counts the records of one SourceKey.
type SourceCounts struct {
	Read, Skipped, Rejected int64
}

// NewIngester returns an Ingester writing to w; Run starts it.
func NewIngester(w Writer, cfg LiveConfig) *Ingester {
	if cfg.QueueRecords <= 0 {
		cfg.QueueRecords = DefaultQueueRecords
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultLiveBatch
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	in := &Ingester{w: w, cfg: cfg,
		queue: make(chan submission, cfg.QueueRecords),
		room:  make(chan struct{}, cfg.QueueRecords),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		stats: LiveStats{Sources: map[SourceKey]*SourceCounts{}, Tables: map[string]TableStats{}, QueueCap: cfg.QueueRecords},
	}
	in.matcher.Store(&matcherBox{})
	return in
}

// SetMatcher makes m the matcher of every record parsed from now on (nil:
// none); a feed update swaps it while records flow.
func (in *Ingester) SetMatcher(m Matcher) { in.matcher.Store(&matcherBox{m}) }

// Matcher returns the current matcher, or nil.
func (in *Ingester) Matcher() Matcher { return in.matcher.Load().m }

// Submit queues recs as source.Sink says: it waits for room while the
// queue is full; after ctx ended it still waits up to drainGrace, so a
// stopping listener hands on what it read.
func (in *Ingester) Submit(ctx context.Context, recs []source.Record, done func(error)) error {
	for len(recs) > in.cfg.QueueRecords { // more than the queue holds: in parts, done with the last
		if err := in.Submit(ctx, recs[:in.cfg.QueueRecords], nil); err != nil {
			return err
		}
		recs = recs[in.cfg.QueueRecords:]
	}
	var grace <-chan time.Time
	for n := 0; n < len(recs); {
		select {
		case in.room <- struct{}{}:
			n++
			continue
		default:
		}
		ctxDone := ctx.Done()
		if ctx.Err() != nil {
			if grace == nil {
				t := time.NewTimer(drainGrace)
				defer t.Stop()
				grace = t.C
			}
			ctxDone = nil
		}
		select {
		case in.room <- struct{}{}:
			n++
		case <-ctxDone:
		case <-grace:
			in.release(n)
			return fmt.Errorf("pipeline: queue full: %w", ctx.Err())
		case <-in.stop:
			in.release(n)
			return ErrClosed
		}
	}
	return in.enqueue(recs, done)
}

// Offer queues recs only if there is room for all of them now.
func (in *Ingester) Offer(recs []source.Record) bool {
	for n := range recs {
		select {
		case in.room <- struct{}{}:
		default:
			in.release(n)
			return false
		}
	}
	return in.enqueue(recs, nil) == nil
}

// enqueue queues recs, which hold room already. The queue has a slot for
// every record of room, so the send never blocks; the lock makes Close's
// "no more" exact: what was queued before it is parsed.
func (in *Ingester) enqueue(recs []source.Record, done func(error)) error {
	in.closeMu.RLock()
	defer in.closeMu.RUnlock()
	if in.closed {
		in.release(len(recs))
		return ErrClosed
	}
	if len(recs) == 0 {
		if done != nil {
			done(nil)
		}
		return nil
	}
	in.queue <- submission{recs, done}
	return nil
}

func (in *Ingester) release(n int) {
	for range n {
		<-in.room
	}
}

// Close stops taking records; Run then writes what it holds and returns.
// Close waits for that until ctx ends.
func (in *Ingester) Close(ctx context.Context) error {
	in.stopped.Do(func() {
		in.closeMu.Lock()
		in.closed = true
		in.closeMu.Unlock()
		close(in.stop)
	})
	select {
	case <-in.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pipeline: records still unwritten: %w", ctx.Err())
	}
}

// Stats returns a copy of the counters.
func (in *Ingester) Stats() LiveStats {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.stats
	s.Sources = make(map[SourceKey]*SourceCounts, len(in.stats.Sources))
	for k, v := range in.stats.Sources {
		c := *v
		s.Sources[k] = &c
	}
	s.Tables = maps.Clone(in.stats.Tables)
	s.Queued = len(in.room)
	return s
}

// Run parses and writes until Close has been called and everything taken
// is written, or ctx ends (then what is unwritten is reported to the
// sources' done callbacks as ctx's error).
func (in *Ingester) Run(ctx context.Context) error {
	defer close(in.done)
	full := make(chan *liveBatch, 1)
	free := make(chan *liveBatch, 2)
	for range 2 {
		free <- &liveBatch{batch: batch{events: make([]event.Network, 0, in.cfg.BatchSize)}}
	}
	written := make(chan error, 1)
	go func() { written <- in.writeLoop(ctx, full, free) }()
	in.parseLoop(ctx, full, free)
	close(full)
	return <-written
}

// liveBatch is a batch with the callbacks of the submissions that end in it.
type liveBatch struct {
	batch
	dones []func(error)
	stats map[SourceKey]*SourceCounts
}

func (b *liveBatch) reset() {
	b.events, b.rejects, b.sightings = b.events[:0], b.rejects[:0], b.sightings[:0]
	b.extra.Reset()
	b.dones = b.dones[:0]
	clear(b.stats)
}

func (b *liveBatch) len() int { return len(b.events) + len(b.rejects) + b.extra.Len() }

// sender is what the Ingester keeps about one Source.
type sender struct {
	kind string
	f    parse.Format // detected or named
	p    lineParser
	made time.Time
	line int64
}

// parser is the state of Run's parsing goroutine.
type parser struct {
	in      *Ingester
	full    chan<- *liveBatch
	free    <-chan *liveBatch
	senders map[string]*sender
	b       *liveBatch // the batch being filled; nil between batches
	st      Stats      // one record's counts, reused
	flush   <-chan time.Time
	timer   *time.Timer
}

func (in *Ingester) parseLoop(ctx context.Context, full chan<- *liveBatch, free <-chan *liveBatch) {
	p := &parser{in: in, full: full, free: free, senders: map[string]*sender{}, timer: time.NewTimer(time.Hour)}
	p.timer.Stop()
	defer p.abandon(ctx)
	for {
		select {
		case sub := <-in.queue:
			if !p.add(ctx, sub) {
				return
			}
		case <-p.flush:
			if !p.handOff(ctx) {
				return
			}
		case <-in.stop:
			// Parse what was queued before Close, then stop: Submit refuses
			// new records since.
			for {
				select {
				case sub := <-in.queue:
					if !p.add(ctx, sub) {
						return
					}
					continue
				default:
				}
				break
			}
			p.handOff(ctx)
			return
		case <-ctx.Done():
			return
		}
	}
}

// abandon reports what Run stopped before writing (ctx ended) to its
// sources' done callbacks.
func (p *parser) abandon(ctx context.Context) {
	err := ctx.Err()
	if err == nil {
		return
	}
	if p.b != nil {
		for _, d := range p.b.dones {
			d(err)
		}
	}
	for {
		select {
		case sub := <-p.in.queue:
			p.in.release(len(sub.recs))
			if sub.done != nil {
				sub.done(err)
			}
		default:
			return
		}
	}
}

// handOff passes the batch being filled to the writer.
func (p *parser) handOff(ctx context.Context) bool {
	if p.b == nil || p.b.len() == 0 && len(p.b.dones) == 0 {
		return true
	}
	select {
	case p.full <- p.b:
		p.b, p.flush = nil, nil
		return true
	case <-ctx.Done():
		return false
	}
}

// take makes sure there is a batch to fill, starting its flush timer.
func (p *parser) take(ctx context.Context) bool {
	if p.b != nil {
		return true
	}
	select {
	case p.b = <-p.free:
		p.b.reset()
		p.timer.Reset(p.in.cfg.FlushInterval)
		p.flush = p.timer.C
		return true
	case <-ctx.Done():
		return false
	}
}

// add parses sub's records into batches, handing full ones off.
func (p *parser) add(ctx context.Context, sub submission) bool {
	in := p.in
	defer in.release(len(sub.recs))
	cfg := Config{Matcher: in.matcher.Load().m, Now: in.cfg.Now, Location: in.cfg.Location}
	for i := range sub.recs {
		if !p.take(ctx) {
			if sub.done != nil {
				sub.done(ctx.Err())
			}
			return false
		}
		p.addRecord(&sub.recs[i], cfg)
		if p.b.len() >= in.cfg.BatchSize && !p.handOff(ctx) {
			if sub.done != nil {
				sub.done(ctx.Err())
			}
			return false
		}
	}
	if sub.done != nil {
		if !p.take(ctx) {
			sub.done(ctx.Err())
			return false
		}
		p.b.dones = append(p.b.dones, sub.done)
	}
	return true
}

// addRecord parses one record into the batch.
func (p *parser) addRecord(r *source.Record, cfg Config) {
	s := p.senders[r.Source]
	if s == nil {
		if len(p.senders) >= maxSources {
			clear(p.senders)
		}
		s = &sender{kind: kindOf(r.Source)}
		p.senders[r.Source] = s
	}
	s.line++
	b, st := p.b, &p.st
	st.Skipped, st.Rejected, st.SkipReasons, st.FirstRejects = 0, 0, st.SkipReasons[:0], st.FirstRejects[:0]
	format := r.Format
	switch {
	case r.Reject != "":
		rejectLine(st, &b.batch, reject(cfg, r.Source, s.line, format, r.Reject, r.Line))
	case r.Event != nil:
		b.events = append(b.events, *r.Event)
		ev := &b.events[len(b.events)-1]
		if ev.Raw == "" {
			ev.Raw = string(r.Line)
		}
		if cfg.Matcher != nil {
			b.sightings = cfg.Matcher.MatchEvent(ev, "ingest", b.sightings)
		}
	default:
		lp, name, ok := p.in.parserFor(s, r)
		format = name
		if !ok {
			st.skip("no format recognises the line; set the source's format", 1)
			break
		}
		_ = parseLine(r.Line, s.line, r.Source, name, lp, cfg, st, &b.batch)
	}
	if format == "" || format == "auto" {
		format = "unknown"
	}
	if b.stats == nil {
		b.stats = map[SourceKey]*SourceCounts{}
	}
	k := SourceKey{s.kind, format}
	c := b.stats[k]
	if c == nil {
		c = &SourceCounts{}
		b.stats[k] = c
	}
	c.Read++
	c.Skipped += st.Skipped
	c.Rejected += st.Rejected
}

// parserFor returns the parser of r: its Format's, else its sender's,
// detected from the first line that shows one. A sender may log in several
// formats (a relay, a router's several daemons): a line its format does not
// recognise, but another does, switches it to that one.
func (in *Ingester) parserFor(s *sender, r *source.Record) (lineParser, string, bool) {
	want := r.Format
	if want == "auto" {
		want = ""
	}
	var f parse.Format
	switch {
	case want != "" && s.f.Name != want:
		var err error
		if f, err = parse.Lookup(want); err != nil {
			return lineParser{}, "", false
		}
	case want == "" && (s.f.Name == "" || !s.f.Sniff(r.Line)):
		d, err := parse.Detect([][]byte{r.Line})
		switch {
		case err == nil && d.Name != s.f.Name:
			f = d
		case s.f.Name == "":
			return lineParser{}, "", false
		}
	}
	now := in.cfg.Now()
	if f.Name == "" && now.Sub(s.made) > parserAge {
		f = s.f
	}
	if f.Name != "" {
		p := f.New(parse.Options{ModTime: r.Received, Location: in.cfg.Location})
		xp, _ := p.(parse.ExtraParser)
		s.f, s.p, s.made = f, lineParser{p, xp}, now
	}
	return s.p, s.f.Name, true
}

// kindOf names the kind of a record's Source: its scheme, else "file".
func kindOf(src string) string {
	if i := strings.Index(src, "://"); i > 0 {
		return src[:i]
	}
	return "file"
}

// writeLoop stores each batch, retrying a failed write with back-off until
// it succeeds or ctx ends, then calls the batch's done callbacks.
func (in *Ingester) writeLoop(ctx context.Context, full <-chan *liveBatch, free chan<- *liveBatch) error {
	var failed error
	for b := range full {
		if failed == nil {
			failed = in.writeRetrying(ctx, b)
		}
		if len(b.dones) > 0 {
			// A source may take its time to confirm (a tailer saves its
			// checkpoint): never on the writer's time.
			go func(ds []func(error), err error) {
				for _, d := range ds {
					d(err)
				}
			}(slices.Clone(b.dones), failed)
		}
		in.count(b)
		free <- b
	}
	return failed
}

func (in *Ingester) writeRetrying(ctx context.Context, b *liveBatch) error {
	wait := 100 * time.Millisecond
	for {
		start := time.Now()
		var r writeResult
		err := writeBatch(ctx, in.w, &b.batch, &r)
		in.mu.Lock()
		in.stats.WriteSeconds += time.Since(start).Seconds()
		if err != nil {
			in.stats.WriteErrors++
		}
		in.mu.Unlock()
		if err == nil {
			in.written(r, len(b.rejects))
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if in.cfg.Fatal != nil && in.cfg.Fatal(err) {
			return err
		}
		in.cfg.Log.Warn("store write failed; retrying", "records", b.len(), "retry_in", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// written records a stored batch and tells OnWrite.
func (in *Ingester) written(r writeResult, rejects int) {
	at := in.cfg.Now()
	in.mu.Lock()
	for name, t := range r.tables {
		s := in.stats.Tables[name]
		s.Stored += t.Stored
		s.Duplicates += t.Duplicates
		in.stats.Tables[name] = s
	}
	in.stats.Sightings += r.sightings
	in.stats.Batches++
	in.stats.LastWrite = at
	in.mu.Unlock()
	if in.cfg.OnWrite != nil {
		in.cfg.OnWrite(Written{Tables: r.tables, Sightings: r.sightings, Rejects: rejects, At: at})
	}
}

// count adds a batch's per-source counts, once it is written (or failed).
func (in *Ingester) count(b *liveBatch) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for k, n := range b.stats {
		in.addCounts(k, *n)
	}
}

// addCounts adds n to k's counts; in.mu is held.
func (in *Ingester) addCounts(k SourceKey, n SourceCounts) {
	c := in.stats.Sources[k]
	if c == nil {
		c = &SourceCounts{}
		in.stats.Sources[k] = c
	}
	c.Read += n.Read
	c.Skipped += n.Skipped
	c.Rejected += n.Rejected
}

// Ingest runs one stream (an HTTP push, a file) through the pipeline with
// the current matcher, writing as Run does, and tells OnWrite what it
// stored.
func (in *Ingester) Ingest(ctx context.Context, name, format string, r io.Reader) (Stats, error) {
	now := in.cfg.Now()
	st, err := Run(ctx, in.w, Source{Name: name, R: r, ModTime: now},
		Config{Format: format, Location: in.cfg.Location, Matcher: in.matcher.Load().m, Now: in.cfg.Now})
	in.mu.Lock()
	in.addCounts(SourceKey{kindOf(name), st.Format}, SourceCounts{Read: st.Read, Skipped: st.Skipped, Rejected: st.Rejected})
	in.mu.Unlock()
	if st.Stored > 0 || st.Sightings > 0 {
		in.written(writeResult{tables: st.Tables, sightings: st.Sightings}, int(st.Rejected))
	}
	return st, err
}
