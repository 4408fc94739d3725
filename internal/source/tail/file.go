package tail

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// readSize is how much of a file one read takes.
const readSize = 256 << 10

// longReason is the reject reason of a line longer than maxLine, the
// pipeline's own words.
var longReason = fmt.Sprintf("line longer than %d bytes: its first %d bytes kept", maxLine, keptOfLongLine)

// file is an open file. The poll loop alone reads and writes the reader's
// fields; the fields under "t.mu" are shared with the sink's confirmations
// and Stats.
type file struct {
	path string // Record.Source: the name it was found under
	f    *os.File
	id   fileID

	// The reader's.
	readOff  int64  // the next byte to read
	partial  []byte // the line being read, ending at readOff
	longLen  int64  // >0: a too long line being read (partial keeps its first bytes)
	rgen     int    // the generation the reader hands batches on in
	draining bool   // renamed away or deleted: finished, then closed
	idle     int    // polls without new bytes

	// Under t.mu.
	head      head
	size      int64
	committed int64   // the checkpoint
	gen       int     // bumped when the confirmations in flight stop counting
	pending   []*mark // the batches in flight, in file order
	rewind    bool    // a batch failed: read again from committed
}

// poll matches the paths, opens the files that appeared, notices the ones
// that went and reads what every file gained.
func (t *Tailer) poll(ctx context.Context, first bool) {
	seen := t.match()
	for id, path := range seen {
		t.mu.Lock()
		f := t.files[id]
		t.mu.Unlock()
		if f != nil {
			f.draining = false
			continue
		}
		t.open(path, path, first)
	}
	if first {
		t.findRotated()
	}
	t.mu.Lock()
	files := make([]*file, 0, len(t.files))
	for _, f := range t.files {
		files = append(files, f)
	}
	t.mu.Unlock()
	slices.SortFunc(files, func(a, b *file) int { return strings.Compare(a.path, b.path) })
	for _, f := range files {
		if _, ok := seen[f.id]; !ok && !f.draining {
			f.draining = true
			t.rotations.Add(1)
			t.log.Info("tail: file renamed away or deleted; finishing it", "path", f.path)
		}
		if err := t.read(ctx, f); err != nil {
			if ctx.Err() != nil {
				return
			}
			t.log.Warn("tail: reading", "path", f.path, "err", err)
		}
		if f.draining && f.idle >= drainPolls {
			t.finish(ctx, f)
		}
	}
}

// match returns the regular files the paths name now, by identity.
func (t *Tailer) match() map[fileID]string {
	seen := map[fileID]string{}
	for _, p := range t.cfg.Paths {
		names := []string{p}
		if hasMeta(p) {
			names, _ = filepath.Glob(p) // patterns were checked by New
		}
		for _, name := range names {
			fi, err := os.Stat(name)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			id := identity(fi)
			if _, dup := seen[id]; !dup {
				seen[id] = name
			}
		}
	}
	return seen
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// open starts following the file at path under the name src, from its
// checkpoint if it has one, else from its start (or its end, at the first
// poll with Config.FromEnd).
func (t *Tailer) open(path, src string, first bool) *file {
	fh, err := os.Open(path)
	if err != nil {
		t.log.Warn("tail: cannot open", "path", path, "err", err)
		return nil
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		t.log.Warn("tail: cannot stat", "path", path, "err", err)
		return nil
	}
	id := identity(fi)
	b, err := readHead(fh, headLen)
	if err != nil {
		fh.Close()
		t.log.Warn("tail: cannot read", "path", path, "err", err)
		return nil
	}
	f := &file{path: src, f: fh, id: id, head: headOf(b), size: fi.Size()}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.files[id] != nil { // it moved between the match and the open
		fh.Close()
		return nil
	}
	if c, ok := t.loaded[id]; ok {
		delete(t.loaded, id)
		same, err := c.head.matches(fh)
		switch {
		case err != nil || !same:
			t.log.Info("tail: the checkpoint's inode now holds another file; reading it from its start", "path", path)
		case c.Offset > fi.Size():
			t.log.Info("tail: file shorter than its checkpoint (truncated); reading it from its start", "path", path)
		default:
			f.readOff = c.Offset
		}
	} else if first && t.cfg.FromEnd {
		f.readOff = lastLineEnd(fh, fi.Size())
	}
	f.committed = f.readOff
	t.files[id] = f
	t.moved()
	return f
}

// lastLineEnd returns where the last complete line of a file of size bytes
// ends, looking back at most readSize bytes (then size).
func lastLineEnd(fh *os.File, size int64) int64 {
	n := min(size, readSize)
	b := make([]byte, n)
	if _, err := fh.ReadAt(b, size-n); err != nil && err != io.EOF {
		return size
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return size - n + int64(i) + 1
	}
	if n == size {
		return 0
	}
	return size
}

// findRotated looks, at the first poll, for the files the checkpoints know
// that no path names any more: a file rotated while serve was down is found
// beside its old name (x.log.1) and finished. Checkpoints of files not found
// are dropped.
func (t *Tailer) findRotated() {
	t.mu.Lock()
	left := make([]checkpoint, 0, len(t.loaded))
	for _, c := range t.loaded {
		left = append(left, c)
	}
	t.mu.Unlock()
	dirs := map[string][]os.DirEntry{}
	for _, c := range left {
		dir := filepath.Dir(c.Path)
		es, ok := dirs[dir]
		if !ok {
			es, _ = os.ReadDir(dir)
			dirs[dir] = es
		}
		for _, e := range es {
			fi, err := e.Info()
			if err != nil || !fi.Mode().IsRegular() || identity(fi) != c.fileID {
				continue
			}
			if f := t.open(filepath.Join(dir, e.Name()), c.Path, false); f != nil {
				f.draining = true
				t.log.Info("tail: finishing a file rotated while stopped", "path", c.Path, "now", e.Name())
			}
			break
		}
	}
	t.mu.Lock()
	if len(t.loaded) > 0 {
		clear(t.loaded)
		t.moved()
	}
	t.mu.Unlock()
}

// read hands on the complete lines f gained since the last poll.
func (t *Tailer) read(ctx context.Context, f *file) error {
	fi, err := f.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	t.mu.Lock()
	f.size = size
	if f.rewind {
		f.rewind = false
		f.rgen = f.gen
		f.readOff, f.partial, f.longLen = f.committed, f.partial[:0], 0
	}
	t.mu.Unlock()
	if err := t.checkTruncated(f, size); err != nil {
		return err
	}
	if size <= f.readOff {
		f.idle++
		return nil
	}
	f.idle = 0
	b := t.newBatch()
	var end int64 = -1 // where the last line of b ends
	buf := make([]byte, min(int64(t.readSize), size-f.readOff))
	for f.readOff < size {
		n, err := f.f.ReadAt(buf[:min(int64(len(buf)), size-f.readOff)], f.readOff)
		if n == 0 {
			if err == nil || err == io.EOF {
				break // shrank since the stat: the next poll sees it
			}
			return err
		}
		t.bytes.Add(int64(n))
		data := buf[:n]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				f.keepPartial(data, t.maxLine, t.kept)
				f.readOff += int64(len(data))
				break
			}
			f.readOff += int64(i) + 1
			t.add(f, b, data[:i])
			end = f.readOff
			data = data[i+1:]
			if len(b.recs) >= t.cfg.BatchLines {
				if err := t.submit(ctx, f, b.recs, end); err != nil {
					return err
				}
				b = t.newBatch()
			}
		}
	}
	if len(b.recs) > 0 {
		return t.submit(ctx, f, b.recs, end)
	}
	return nil
}

// checkTruncated starts f again from 0 if it shrank below what was read or
// its first bytes changed: copytruncate, or a writer that rewrote it.
func (t *Tailer) checkTruncated(f *file, size int64) error {
	t.mu.Lock()
	h := f.head
	t.mu.Unlock()
	same, err := h.matches(f.f)
	if err != nil {
		return err
	}
	if size >= f.readOff && same {
		if h.Len < headLen && size > int64(h.Len) {
			b, err := readHead(f.f, headLen)
			if err != nil {
				return err
			}
			t.mu.Lock()
			f.head = headOf(b)
			t.mu.Unlock()
		}
		return nil
	}
	t.rotations.Add(1)
	t.log.Info("tail: file truncated; reading it from its start", "path", f.path, "size", size, "read", f.readOff)
	b, err := readHead(f.f, headLen)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	f.gen++
	f.rgen = f.gen
	f.pending = nil
	f.rewind = false
	f.head = headOf(b)
	f.committed, f.readOff, f.partial, f.longLen = 0, 0, f.partial[:0], 0
	t.moved()
	return nil
}

// keepPartial keeps data, the start of a line whose end is not read yet;
// of a line longer than maxLine only the first keptOfLongLine bytes.
func (f *file) keepPartial(data []byte, maxLine, keptOfLongLine int) {
	if f.longLen > 0 {
		f.longLen += int64(len(data))
		return
	}
	total := int64(len(f.partial)) + int64(len(data))
	if total <= int64(maxLine)+1 { // +1: a "\r" before the "\n" is no part of the line
		f.partial = append(f.partial, data...)
		return
	}
	if len(f.partial) < keptOfLongLine {
		f.partial = append(f.partial, data[:min(len(data), keptOfLongLine-len(f.partial))]...)
	}
	f.partial = f.partial[:keptOfLongLine]
	f.longLen = total
}

// batch is the records of one Submit; their lines share one buffer.
type batch struct {
	recs []source.Record
	buf  []byte
	now  time.Time
}

func (t *Tailer) newBatch() *batch {
	return &batch{recs: make([]source.Record, 0, min(t.cfg.BatchLines, 1024)), buf: make([]byte, 0, 64<<10), now: t.cfg.Now()}
}

// add appends to b the line that ends with seg (partial holds its start).
func (t *Tailer) add(f *file, b *batch, seg []byte) {
	line, reject := seg, ""
	switch {
	case f.longLen > 0:
		line, reject = f.partial, longReason
	case len(f.partial) > 0:
		f.partial = append(f.partial, seg...)
		line = f.partial
	}
	if reject == "" {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > t.maxLine {
			line, reject = line[:t.kept], longReason
		}
	}
	if reject != "" {
		t.long.Add(1)
	}
	n := len(b.buf)
	b.buf = append(b.buf, line...)
	b.recs = append(b.recs, source.Record{
		Source:   f.path,
		Format:   t.cfg.Format,
		Line:     b.buf[n:len(b.buf):len(b.buf)],
		Reject:   reject,
		Received: b.now,
	})
	t.lines.Add(1)
	f.longLen = 0
	if cap(f.partial) > readSize {
		f.partial = nil // a long line's buffer is not kept for every line
	} else {
		f.partial = f.partial[:0]
	}
}

// finish closes f, renamed away or deleted and unchanged for drainPolls
// polls, once the sink confirmed all of it. Its last line, if it has no
// line end, is handed on first: nothing will end it now.
func (t *Tailer) finish(ctx context.Context, f *file) {
	if len(f.partial) > 0 || f.longLen > 0 {
		b := t.newBatch()
		t.add(f, b, nil)
		if err := t.submit(ctx, f, b.recs, f.readOff); err != nil {
			return
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(f.pending) > 0 || f.rewind || f.committed < f.readOff {
		return
	}
	f.f.Close()
	delete(t.files, f.id)
	t.moved()
	t.log.Info("tail: finished a rotated file", "path", f.path)
}
