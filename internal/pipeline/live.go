package pipeline

import (
	"cmp"
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

	"golang.org/x/sync/semaphore"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/parse"
	"github.com/homesoc/homesoc/internal/source"
)

// LiveConfig says how an Ingester runs.
type LiveConfig struct {
	// QueueBytes bounds what waits to be parsed, the records' lines and
	// recordOverhead bytes a record: a source that submits more blocks
	// (TCP) or has them refused (UDP). 0: 64 MiB.
	QueueBytes int64
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
	DefaultQueueBytes    = 64 << 20
	DefaultLiveBatch     = 50_000
	DefaultFlushInterval = 200 * time.Millisecond
	// recordOverhead is what a queued record costs beyond its line.
	recordOverhead = 256
	// maxSources bounds the per-sender state: past it, senders idle for
	// senderIdle are forgotten (all of them if none is), so spoofed UDP
	// senders cannot grow memory.
	maxSources = 10_000
	senderIdle = 10 * time.Minute
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

	room    *semaphore.Weighted // the queue's bytes (QueueBytes)
	qmu     sync.Mutex          // guards queue and closed
	queue   []submission
	closed  bool
	ready   chan struct{} // a token when queue gained a submission
	queued  atomic.Int64  // records in queue
	matcher atomic.Pointer[matcherBox]
	stopCtx context.Context // done once Close was called: no more records are taken
	stopNow context.CancelFunc
	stopped sync.Once
	done    chan struct{} // closed when Run has written everything

	mu    sync.Mutex
	stats LiveStats
}

type matcherBox struct{ m Matcher }

type submission struct {
	recs   []source.Record
	done   func(error)
	weight int64 // of room
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
	Queued       int   // records waiting to be parsed now
	QueueCap     int64 // QueueBytes
}

// SourceKey names a kind of source and a format.
type SourceKey struct{ Kind, Format string }

// SourceCounts counts the records of one SourceKey.
type SourceCounts struct {
	Read, Skipped, Rejected int64
}

// NewIngester returns an Ingester writing to w; Run starts it.
func NewIngester(w Writer, cfg LiveConfig) *Ingester {
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = DefaultQueueBytes
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
		room:  semaphore.NewWeighted(cfg.QueueBytes),
		ready: make(chan struct{}, 1),
		done:  make(chan struct{}),
		stats: LiveStats{Sources: map[SourceKey]*SourceCounts{}, Tables: map[string]TableStats{}, QueueCap: cfg.QueueBytes},
	}
	in.stopCtx, in.stopNow = context.WithCancel(context.Background())
	in.matcher.Store(&matcherBox{})
	return in
}

// SetMatcher makes m the matcher of every record parsed from now on (nil:
// none); a feed update swaps it while records flow.
func (in *Ingester) SetMatcher(m Matcher) { in.matcher.Store(&matcherBox{m}) }

// Matcher returns the current matcher, or nil.
func (in *Ingester) Matcher() Matcher { return in.matcher.Load().m }

// weight is what recs take of the queue's room.
func weight(recs []source.Record) int64 {
	w := int64(0)
	for i := range recs {
		w += int64(len(recs[i].Line)) + recordOverhead
	}
	return w
}

// Submit queues recs as source.Sink says: it waits for room while the
// queue is full; after ctx ended it still waits up to drainGrace, so a
// stopping listener hands on what it read. Room is taken for all of recs
// at once, first come first served, so that waiting submitters cannot
// share out the queue between them.
func (in *Ingester) Submit(ctx context.Context, recs []source.Record, done func(error)) error {
	for len(recs) > 1 && weight(recs) > in.cfg.QueueBytes { // more than the queue holds: in halves, done with the last
		half := len(recs) / 2
		if err := in.Submit(ctx, recs[:half], nil); err != nil {
			return err
		}
		recs = recs[half:]
	}
	w := min(weight(recs), in.cfg.QueueBytes)
	if !in.room.TryAcquire(w) {
		wait := ctx
		if ctx.Err() != nil {
			var cancel context.CancelFunc
			wait, cancel = context.WithTimeout(context.Background(), drainGrace)
			defer cancel()
		}
		wait, cancel := context.WithCancel(wait)
		defer cancel()
		defer context.AfterFunc(in.stopCtx, cancel)()
		if err := in.room.Acquire(wait, w); err != nil {
			if in.stopCtx.Err() != nil {
				return ErrClosed
			}
			return fmt.Errorf("pipeline: queue full: %w", cmp.Or(ctx.Err(), err))
		}
	}
	return in.enqueue(submission{recs, done, w})
}

// Offer queues recs only if there is room for all of them now.
func (in *Ingester) Offer(recs []source.Record) bool {
	w := weight(recs)
	if w > in.cfg.QueueBytes || !in.room.TryAcquire(w) {
		return false
	}
	return in.enqueue(submission{recs, nil, w}) == nil
}

// enqueue queues sub, which holds its room already; after Close it gives
// the room back and refuses.
func (in *Ingester) enqueue(sub submission) error {
	in.qmu.Lock()
	if in.closed {
		in.qmu.Unlock()
		in.room.Release(sub.weight)
		return ErrClosed
	}
	if len(sub.recs) == 0 {
		in.qmu.Unlock()
		in.room.Release(sub.weight)
		if sub.done != nil {
			sub.done(nil)
		}
		return nil
	}
	in.queue = append(in.queue, sub)
	in.queued.Add(int64(len(sub.recs)))
	in.qmu.Unlock()
	select {
	case in.ready <- struct{}{}:
	default:
	}
	return nil
}

// take returns the queued submissions, oldest first, and empties the queue.
func (in *Ingester) take() []submission {
	in.qmu.Lock()
	defer in.qmu.Unlock()
	subs := in.queue
	in.queue = nil
	return subs
}

// requeue puts subs back at the front of the queue (ctx ended while they
// waited their turn: abandon reports them).
func (in *Ingester) requeue(subs []submission) {
	in.qmu.Lock()
	defer in.qmu.Unlock()
	in.queue = append(subs, in.queue...)
}

// release gives sub's room back once it is parsed.
func (in *Ingester) release(sub submission) {
	in.queued.Add(-int64(len(sub.recs)))
	in.room.Release(sub.weight)
}

// Close stops taking records; Run then writes what it holds and returns.
// Close waits for that until ctx ends.
func (in *Ingester) Close(ctx context.Context) error {
	in.stopped.Do(func() {
		in.qmu.Lock()
		in.closed = true
		in.qmu.Unlock()
		in.stopNow()
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
	s.Queued = int(in.queued.Load())
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
	kind    string
	f       parse.Format          // its format now: detected or named
	parsers map[string]lineParser // by format: a parser keeps what earlier lines said (headers, sessions)
	line    int64
	seen    time.Time // its last record's Received
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
		case <-in.ready:
			if !p.addAll(ctx, in.take()) {
				return
			}
		case <-p.flush:
			if !p.handOff(ctx) {
				return
			}
		case <-in.stopCtx.Done():
			// Parse what was queued before Close, then stop: Submit refuses
			// new records since.
			if p.addAll(ctx, in.take()) {
				p.handOff(ctx)
			}
			return
		case <-ctx.Done():
			return
		}
	}
}

// addAll parses subs in order; false when ctx ended (what is left of subs
// is then abandoned).
func (p *parser) addAll(ctx context.Context, subs []submission) bool {
	for i, sub := range subs {
		if !p.add(ctx, sub) {
			p.in.requeue(subs[i+1:])
			return false
		}
	}
	return true
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
	for _, sub := range p.in.take() {
		p.in.release(sub)
		if sub.done != nil {
			sub.done(err)
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
	defer in.release(sub)
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

// forget drops the senders idle for senderIdle before now, or all of them
// when none is.
func (p *parser) forget(now time.Time) {
	maps.DeleteFunc(p.senders, func(_ string, s *sender) bool { return now.Sub(s.seen) > senderIdle })
	if len(p.senders) >= maxSources {
		clear(p.senders)
	}
}

// addRecord parses one record into the batch.
func (p *parser) addRecord(r *source.Record, cfg Config) {
	s := p.senders[r.Source]
	if s == nil {
		if len(p.senders) >= maxSources {
			p.forget(r.Received)
		}
		s = &sender{kind: kindOf(r.Source), parsers: map[string]lineParser{}}
		p.senders[r.Source] = s
	}
	s.line++
	s.seen = r.Received
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
			rejectLine(st, &b.batch, reject(cfg, r.Source, s.line, "",
				"no format recognises the line: set the source's format (serve.syslog format, serve.files format)", r.Line))
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
// recognise, but another does, switches it to that one. A sender keeps one
// parser per format for its life, which follows the clock (parse.Options.Now).
func (in *Ingester) parserFor(s *sender, r *source.Record) (lineParser, string, bool) {
	want := r.Format
	if want == "auto" {
		want = ""
	}
	switch {
	case want != "" && s.f.Name != want:
		f, err := parse.Lookup(want)
		if err != nil {
			return lineParser{}, "", false
		}
		s.f = f
	case want == "" && (s.f.Name == "" || !s.f.Sniff(r.Line)):
		if d, err := parse.Detect([][]byte{r.Line}); err == nil {
			s.f = d
		} else if s.f.Name == "" {
			return lineParser{}, "", false
		}
	}
	lp, ok := s.parsers[s.f.Name]
	if !ok {
		p := s.f.New(parse.Options{ModTime: r.Received, Now: in.cfg.Now, Location: in.cfg.Location})
		xp, _ := p.(parse.ExtraParser)
		lp = lineParser{p, xp}
		s.parsers[s.f.Name] = lp
	}
	return lp, s.f.Name, true
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
