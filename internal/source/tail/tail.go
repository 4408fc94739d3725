// Package tail follows log files for homesoc serve: it hands their complete
// lines to a source.Sink and keeps, per file, a checkpoint of where the
// stored lines end, so a restart or a log rotation loses and repeats
// nothing.
//
// Files are found by polling: every Poll the globs are matched again and
// each file is checked for growth, rotation and truncation. A file is known
// by its device and inode plus a fingerprint of its first bytes, not by its
// name, so a renamed file is finished to its end (logrotate's default) while
// the new file under the old name is read from its start; a file that
// shrinks below what was read, or whose first bytes change, was truncated in
// place (copytruncate) and is read again from 0. A file never seen before
// is read from its beginning, unless Config.FromEnd.
//
// A checkpoint moves only when the sink confirms the lines stored
// (done(nil)), in file order, though several batches are in flight at once.
// After a crash the lines not confirmed are read again, and the store's
// event ids make that harmless.
package tail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// Defaults of Config.
const (
	DefaultPoll       = 250 * time.Millisecond
	DefaultBatchLines = 2000
	DefaultInFlight   = 8
	DefaultStopWait   = 10 * time.Second
)

// maxLine and keptOfLongLine are the pipeline's rule for long lines: a line
// longer than maxLine bytes is handed on as a reject with its first
// keptOfLongLine bytes.
const (
	maxLine        = 1 << 20
	keptOfLongLine = 4096
)

// drainPolls is how many polls a file renamed away or deleted must stay
// unchanged before it is closed: a writer that still holds it may add a
// few lines after the rotation.
const drainPolls = 4

// Config says what a Tailer follows and how.
type Config struct {
	// Paths are file names and globs; globs are matched again at every
	// poll, so files that appear later are followed.
	Paths []string
	// Format is the lines' parser, or "" or "auto" to detect it per file.
	Format string
	// Checkpoints is the JSON file the checkpoints are kept in, e.g.
	// <data>/tail-checkpoints.json; "" keeps none (every start reads every
	// file from its start).
	Checkpoints string
	// FromEnd starts a file the checkpoints do not know at its end rather
	// than its start: for huge existing files whose past is not wanted.
	FromEnd bool
	// Poll is how often files are checked; 0 means DefaultPoll.
	Poll time.Duration
	// BatchLines is the most lines handed to Sink.Submit at once; 0
	// means DefaultBatchLines.
	BatchLines int
	// InFlight is the most batches handed on and not yet confirmed; 0
	// means DefaultInFlight.
	InFlight int
	// StopWait bounds how long Run waits, once its context ends, for the
	// sink to confirm what it was handed; 0 means DefaultStopWait.
	StopWait time.Duration
	// Logger gets rotations and errors; nil means slog.Default().
	Logger *slog.Logger
	// Now stamps Record.Received; nil means time.Now.
	Now func() time.Time
}

// Stats counts what a Tailer did.
type Stats struct {
	Lines     int64 // lines handed on
	Bytes     int64 // bytes read, line ends included
	Long      int64 // lines longer than 1 MiB, handed on as rejects
	FilesOpen int   // files being followed or finished
	Rotations int64 // renames, replacements, deletions and truncations seen
	Failed    int64 // batches the sink could not store (read again)
	InFlight  int   // batches handed on and not yet confirmed
	// LagBytes is what the followed files hold beyond their checkpoints:
	// bytes not yet read, or read and not yet confirmed stored.
	LagBytes int64
	// CheckpointSaved is when the checkpoint file was last written (zero:
	// not yet), CheckpointErr the last write's error.
	CheckpointSaved time.Time
	CheckpointErr   string
}

// Tailer follows files into a sink. Run it once.
type Tailer struct {
	cfg  Config
	sink source.Sink
	log  *slog.Logger

	slots    chan struct{} // one per batch in flight
	inflight sync.WaitGroup
	dirty    chan struct{} // a checkpoint moved

	lines, bytes, long, rotations, failed atomic.Int64

	// The pipeline's long line rule and the read size; tests make them
	// small.
	maxLine, kept, readSize int

	mu      sync.Mutex
	files   map[fileID]*file // the open files, each with its checkpoint
	loaded  map[fileID]checkpoint
	version int64 // bumped by every change of a checkpoint
	saved   int64 // the version last written
	savedAt time.Time
	saveErr string
	savedCh chan struct{} // closed and replaced at every write
}

// New returns a Tailer of cfg's files into sink, starting from the
// checkpoints cfg.Checkpoints holds. It fails on a bad glob or an
// unreadable checkpoint file.
func New(cfg Config, sink source.Sink) (*Tailer, error) {
	if len(cfg.Paths) == 0 {
		return nil, errors.New("tail: no paths")
	}
	for _, p := range cfg.Paths {
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("tail: path %q: %w", p, err)
		}
	}
	if cfg.Format == "" {
		cfg.Format = "auto"
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.BatchLines <= 0 {
		cfg.BatchLines = DefaultBatchLines
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = DefaultInFlight
	}
	if cfg.StopWait <= 0 {
		cfg.StopWait = DefaultStopWait
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Tailer{
		cfg:     cfg,
		sink:    sink,
		log:     cfg.Logger,
		slots:   make(chan struct{}, cfg.InFlight),
		dirty:   make(chan struct{}, 1),
		savedCh: make(chan struct{}),
		files:   map[fileID]*file{},
		loaded:  map[fileID]checkpoint{},

		maxLine:  maxLine,
		kept:     keptOfLongLine,
		readSize: readSize,
	}
	if cfg.Checkpoints != "" {
		cs, err := loadCheckpoints(cfg.Checkpoints)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			t.loaded[c.fileID] = c
		}
	}
	return t, nil
}

// Run follows the files until ctx ends. Then it stops reading (a partial
// last line stays unread), waits up to Config.StopWait for the sink to
// confirm what it was handed, saves the checkpoints and returns nil. It
// returns early only if the checkpoints cannot be saved at the start.
func (t *Tailer) Run(ctx context.Context) error {
	if t.cfg.Checkpoints != "" {
		// Fail now, not after hours of reading, if they cannot be saved.
		if err := t.save(); err != nil {
			return err
		}
	}
	saverDone := make(chan struct{})
	saverCtx, stopSaver := context.WithCancel(context.Background())
	go func() {
		defer close(saverDone)
		t.saver(saverCtx)
	}()

	first := true
	tick := time.NewTicker(t.cfg.Poll)
	defer tick.Stop()
	for ctx.Err() == nil {
		t.poll(ctx, first)
		first = false
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}

	wait := make(chan struct{})
	go func() { t.inflight.Wait(); close(wait) }()
	select {
	case <-wait:
	case <-time.After(t.cfg.StopWait):
		t.log.Warn("tail: stopping before the sink confirmed every batch; they are read again at the next start",
			"in_flight", len(t.slots))
	}
	stopSaver()
	<-saverDone
	if t.cfg.Checkpoints != "" {
		if err := t.save(); err != nil {
			t.log.Error("tail: saving checkpoints at stop", "err", err)
		}
	}
	t.mu.Lock()
	for _, f := range t.files {
		f.f.Close()
	}
	t.mu.Unlock()
	return nil
}

// Stats returns the counters so far. It is safe to call while Run runs.
func (t *Tailer) Stats() Stats {
	s := Stats{
		Lines:     t.lines.Load(),
		Bytes:     t.bytes.Load(),
		Long:      t.long.Load(),
		Rotations: t.rotations.Load(),
		Failed:    t.failed.Load(),
		InFlight:  len(t.slots),
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s.FilesOpen = len(t.files)
	for _, f := range t.files {
		if lag := f.size - f.committed; lag > 0 {
			s.LagBytes += lag
		}
	}
	s.CheckpointSaved, s.CheckpointErr = t.savedAt, t.saveErr
	return s
}

// saver writes the checkpoints whenever one moved, one write at a time:
// confirmations that come during a write are saved by the next.
func (t *Tailer) saver(ctx context.Context) {
	if t.cfg.Checkpoints == "" {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.dirty:
		}
		if err := t.save(); err != nil {
			t.log.Error("tail: saving checkpoints", "err", err)
		}
	}
}

// save writes the checkpoints if they changed since the last write.
func (t *Tailer) save() error {
	t.mu.Lock()
	v := t.version
	if v == t.saved && !t.savedAt.IsZero() {
		t.mu.Unlock()
		return nil
	}
	cs := make([]checkpoint, 0, len(t.files)+len(t.loaded))
	for _, f := range t.files {
		cs = append(cs, checkpoint{Path: f.path, fileID: f.id, head: f.head, Offset: f.committed})
	}
	// Before the first poll claimed them, loaded checkpoints are kept as
	// they are.
	for _, c := range t.loaded {
		cs = append(cs, c)
	}
	t.mu.Unlock()
	sortCheckpoints(cs)
	err := saveCheckpoints(t.cfg.Checkpoints, cs)
	t.mu.Lock()
	defer t.mu.Unlock()
	close(t.savedCh)
	t.savedCh = make(chan struct{})
	if err != nil {
		t.saveErr = err.Error()
		return err
	}
	t.saved, t.savedAt, t.saveErr = max(t.saved, v), t.cfg.Now(), ""
	return nil
}

// moved records that a checkpoint changed; t.mu is held.
func (t *Tailer) moved() {
	t.version++
	select {
	case t.dirty <- struct{}{}:
	default:
	}
}

// submit hands recs, which end at offset end of f, to the sink, once a
// slot is free. The checkpoint moves to end in done, after every earlier
// batch of f is confirmed too.
func (t *Tailer) submit(ctx context.Context, f *file, recs []source.Record, end int64) error {
	select {
	case t.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	t.mu.Lock()
	m := &mark{end: end, gen: f.rgen}
	if m.gen == f.gen { // else a failure made f read again: m will not count
		f.pending = append(f.pending, m)
	}
	t.mu.Unlock()
	t.inflight.Add(1)
	var once sync.Once
	release := func() { <-t.slots; t.inflight.Done() }
	done := func(err error) {
		once.Do(func() {
			v := t.confirm(f, m, err)
			release()
			t.waitSaved(v)
		})
	}
	if err := t.sink.Submit(ctx, recs, done); err != nil {
		// Nothing was queued: the batch stays unconfirmed.
		once.Do(release)
		return err
	}
	return nil
}

// confirm settles batch m of f: stored (err nil), its checkpoint moves over
// every confirmed batch at the front; not stored, f is read again from its
// checkpoint. It returns the checkpoints' version that holds the move, 0
// if none.
func (t *Tailer) confirm(f *file, m *mark, err error) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m.gen != f.gen {
		return 0 // f was truncated or read again since m was handed on
	}
	if err != nil {
		t.failed.Add(1)
		t.log.Warn("tail: the sink could not store lines; reading them again", "path", f.path, "offset", f.committed, "err", err)
		f.gen++
		f.pending = nil
		f.rewind = true
		return 0
	}
	m.ok = true
	n := 0
	for n < len(f.pending) && f.pending[n].ok {
		f.committed = f.pending[n].end
		n++
	}
	if n == 0 {
		return 0
	}
	f.pending = f.pending[n:]
	t.moved()
	return t.version
}

// maxSaveWait bounds how long a confirmation waits for its checkpoint to
// be written.
const maxSaveWait = time.Second

// waitSaved returns once the checkpoints' version v is on disk (so a kill
// right after a confirmation repeats nothing it confirmed), a write failed,
// or maxSaveWait passed. Concurrent confirmations share one write.
func (t *Tailer) waitSaved(v int64) {
	if v == 0 || t.cfg.Checkpoints == "" {
		return
	}
	timer := time.NewTimer(maxSaveWait)
	defer timer.Stop()
	for {
		t.mu.Lock()
		ok, ch := t.saved >= v || t.saveErr != "", t.savedCh
		t.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			return
		}
	}
}

// mark is a batch in flight.
type mark struct {
	end int64
	gen int
	ok  bool
}
