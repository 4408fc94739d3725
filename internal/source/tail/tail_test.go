package tail

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFollowAppends follows a file as it grows: complete lines only, a
// partial last line once its newline comes, "\r\n" ends stripped, and at
// stop the checkpoint at the last complete line.
func TestFollowAppends(t *testing.T) {
	dir := t.TempDir()
	log, cp := filepath.Join(dir, "a.log"), filepath.Join(dir, "cp.json")
	appendFile(t, log, "one\ntwo\r\n\n")
	s := &testSink{}
	tl, stop := run(t, Config{Paths: []string{log}, Checkpoints: cp}, s)
	waitLines(t, s, "one", "two", "")
	appendFile(t, log, "three\npar")
	waitLines(t, s, "one", "two", "", "three")
	stable(t, s, "one", "two", "", "three")
	appendFile(t, log, "tial\n")
	waitLines(t, s, "one", "two", "", "three", "partial")
	appendFile(t, log, "unfinished")
	waitFor(t, "the unfinished line read, the checkpoint at the last line", func() bool {
		return tl.Stats().Bytes == 34 && savedOffsets(t, cp)[log] == 24
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.records() {
		if r.Source != log || r.Format != "auto" || r.Received.IsZero() || r.Reject != "" {
			t.Errorf("record %+v: want Source %s, Format auto, Received set, no reject", r, log)
		}
	}
	if got := savedOffsets(t, cp); got[log] != 24 {
		t.Errorf("checkpoint after stop: %v, want %s at 24 (the unfinished line unread)", got, log)
	}
	st := tl.Stats()
	if st.Lines != 5 || st.Bytes != 34 || st.LagBytes != 10 || st.FilesOpen != 1 || st.CheckpointSaved.IsZero() {
		t.Errorf("stats %+v: want 5 lines, 34 bytes, 10 bytes of lag, 1 file open, a checkpoint saved", st)
	}
}

// TestRenameRotation rotates a file the way logrotate does by default: the
// lines written to the old file after the rename are read, then the new
// file from its start, and the old file is closed and forgotten.
func TestRenameRotation(t *testing.T) {
	dir := t.TempDir()
	log, cp := filepath.Join(dir, "a.log"), filepath.Join(dir, "cp.json")
	appendFile(t, log, text(numbered("old", 0, 3)))
	s := &testSink{}
	tl, stop := run(t, Config{Paths: []string{log}, Checkpoints: cp}, s)
	waitLines(t, s, numbered("old", 0, 3)...)

	w, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString("old 3\n"); err != nil { // the writer has not reopened yet
		t.Fatal(err)
	}
	appendFile(t, log, text(numbered("new", 0, 2)))
	if _, err := w.WriteString("old 4\n"); err != nil {
		t.Fatal(err)
	}
	want := numbered("old", 0, 5)
	want = append(want, numbered("new", 0, 2)...)
	waitFor(t, "every line", func() bool { return len(s.lines()) >= len(want) })
	got := s.lines()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
	waitFor(t, "the old file closed", func() bool { return tl.Stats().FilesOpen == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.records() {
		if r.Source != log {
			t.Errorf("record %q from %s, want %s", r.Line, r.Source, log)
		}
	}
	if st := tl.Stats(); st.Rotations != 1 {
		t.Errorf("rotations %d, want 1", st.Rotations)
	}
	if got := savedOffsets(t, cp); len(got) != 1 || got[log] != 12 {
		t.Errorf("checkpoints %v, want only %s at 12", got, log)
	}
}

// TestCopyTruncate truncates the file in place, as logrotate's copytruncate
// does: the new lines are read from 0, whether the tailer sees the file
// empty or already longer than before (then its first bytes changed).
func TestCopyTruncate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after []string
	}{
		{"shorter", []string{"b"}},
		{"longer", numbered("longer line", 0, 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "a.log")
			appendFile(t, log, text(numbered("x", 0, 3)))
			s := &testSink{}
			tl, stop := run(t, Config{Paths: []string{log}}, s)
			waitLines(t, s, numbered("x", 0, 3)...)
			if err := os.WriteFile(log, []byte(text(tc.after)), 0o644); err != nil { // O_TRUNC: same inode
				t.Fatal(err)
			}
			waitLines(t, s, append(numbered("x", 0, 3), tc.after...)...)
			stable(t, s, append(numbered("x", 0, 3), tc.after...)...)
			stop()
			if st := tl.Stats(); st.Rotations != 1 {
				t.Errorf("rotations %d, want 1", st.Rotations)
			}
		})
	}
}

// TestDeleted finishes a deleted file from the handle it holds and then
// forgets it; a file that appears under the name later is read from 0.
func TestDeleted(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "a.log")
	appendFile(t, log, "a\n")
	s := &testSink{}
	tl, stop := run(t, Config{Paths: []string{log}}, s)
	waitLines(t, s, "a")
	w, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := os.Remove(log); err != nil {
		t.Fatal(err)
	}
	w.WriteString("b\nlast, no newline")
	waitLines(t, s, "a", "b", "last, no newline")
	waitFor(t, "the deleted file closed", func() bool { return tl.Stats().FilesOpen == 0 })
	appendFile(t, log, "c\n")
	waitLines(t, s, "a", "b", "last, no newline", "c")
	stop()
}

// TestRestart stops a tailer with a batch confirmed and a later one not:
// the next tailer reads the unconfirmed lines again, not the confirmed
// ones. Confirmations out of order move the checkpoint only over the
// batches confirmed from the front.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	log, cp := filepath.Join(dir, "a.log"), filepath.Join(dir, "cp.json")
	lines := numbered("line", 0, 9) // 7 bytes each
	appendFile(t, log, text(lines))
	s := &testSink{hold: true}
	cfg := Config{Paths: []string{log}, Checkpoints: cp, BatchLines: 3, StopWait: 20e6}
	_, stop := run(t, cfg, s)
	waitFor(t, "three batches", func() bool { return s.nheld() == 3 })
	s.release(1)
	stable(t, s, lines...)
	if got := savedOffsets(t, cp)[log]; got != 0 {
		t.Fatalf("checkpoint %d after the second batch alone was confirmed, want 0", got)
	}
	s.release(0)
	waitFor(t, "the checkpoint over two batches", func() bool { return savedOffsets(t, cp)[log] == 6*7 })
	if err := stop(); err != nil { // the third batch is never confirmed
		t.Fatal(err)
	}
	if got := savedOffsets(t, cp)[log]; got != 6*7 {
		t.Fatalf("checkpoint %d after stop, want %d", got, 6*7)
	}

	appendFile(t, log, "line 9\n")
	s2 := &testSink{}
	_, stop2 := run(t, cfg, s2)
	waitLines(t, s2, numbered("line", 6, 10)...)
	stable(t, s2, numbered("line", 6, 10)...)
	stop2()
	if got := savedOffsets(t, cp)[log]; got != 10*7 {
		t.Errorf("checkpoint %d, want %d", got, 10*7)
	}
}

// TestRestartAfterChanges restarts over files that changed while no tailer
// ran: one rotated (its rest is finished from x.log.1, the new file read
// from 0), one rewritten in place on the same inode (read from 0), one
// unchanged but grown (read from its checkpoint).
func TestRestartAfterChanges(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log"), filepath.Join(dir, "c.log")
	cp := filepath.Join(dir, "cp.json")
	for _, p := range []string{a, b, c} {
		appendFile(t, p, filepath.Base(p)+" 1\n")
	}
	cfg := Config{Paths: []string{filepath.Join(dir, "*.log")}, Checkpoints: cp}
	s := &testSink{}
	_, stop := run(t, cfg, s)
	waitFor(t, "three lines", func() bool { return len(s.lines()) == 3 })
	waitFor(t, "three checkpoints", func() bool {
		o := savedOffsets(t, cp)
		return len(o) == 3 && o[a] == 8 && o[b] == 8 && o[c] == 8
	})
	stop()

	appendFile(t, a, "a.log 2\n")
	if err := os.Rename(a, a+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, a, "a.log new\n")
	if err := os.WriteFile(b, []byte("b.log rewritten, and longer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	appendFile(t, c, "c.log 2\n")

	s2 := &testSink{}
	tl, stop2 := run(t, cfg, s2)
	want := []string{"a.log 2", "a.log new", "b.log rewritten, and longer", "c.log 2"}
	waitFor(t, "four lines", func() bool { return len(s2.lines()) >= 4 })
	waitFor(t, "the rotated file finished", func() bool { return tl.Stats().FilesOpen == 3 })
	stop2()
	got := s2.lines()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("lines after restart %q, want %q", got, want)
	}
	if o := savedOffsets(t, cp); len(o) != 3 || o[a] != 10 || o[b] != 28 || o[c] != 16 {
		t.Errorf("checkpoints %v", o)
	}
	for _, r := range s2.records() {
		if !strings.HasPrefix(filepath.Base(r.Source), string(r.Line[:1])) {
			t.Errorf("line %q from %s", r.Line, r.Source)
		}
	}
}

// TestFilesAndGlob follows a file and a glob that gains a file, and skips
// a directory the glob matches.
func TestFilesAndGlob(t *testing.T) {
	dir := t.TempDir()
	one := filepath.Join(dir, "one.txt")
	sub := filepath.Join(dir, "g")
	if err := os.MkdirAll(filepath.Join(sub, "dir.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	appendFile(t, one, "one 1\n")
	appendFile(t, filepath.Join(sub, "x.log"), "x 1\n")
	s := &testSink{}
	tl, stop := run(t, Config{Paths: []string{one, filepath.Join(sub, "*.log"), filepath.Join(dir, "absent")}, Format: "squid"}, s)
	waitFor(t, "two lines", func() bool { return len(s.lines()) == 2 })
	appendFile(t, filepath.Join(sub, "y.log"), "y 1\n")
	appendFile(t, one, "one 2\n")
	waitFor(t, "four lines", func() bool { return len(s.lines()) == 4 })
	stable(t, s, s.lines()...)
	stop()
	bySource := map[string][]string{}
	for _, r := range s.records() {
		if r.Format != "squid" {
			t.Errorf("format %q, want squid", r.Format)
		}
		bySource[filepath.Base(r.Source)] = append(bySource[filepath.Base(r.Source)], string(r.Line))
	}
	want := map[string][]string{"one.txt": {"one 1", "one 2"}, "x.log": {"x 1"}, "y.log": {"y 1"}}
	if !maps.EqualFunc(bySource, want, slices.Equal) {
		t.Errorf("lines by file %v, want %v", bySource, want)
	}
	if st := tl.Stats(); st.FilesOpen != 3 {
		t.Errorf("files open %d, want 3", st.FilesOpen)
	}
}

// TestSinkFails keeps the checkpoint while the sink cannot store, reads
// the lines again, and moves it once the sink stores them.
func TestSinkFails(t *testing.T) {
	dir := t.TempDir()
	log, cp := filepath.Join(dir, "a.log"), filepath.Join(dir, "cp.json")
	appendFile(t, log, "a\nb\n")
	s := &testSink{fail: errors.New("disk full")}
	tl, stop := run(t, Config{Paths: []string{log}, Checkpoints: cp}, s)
	waitFor(t, "three failed batches", func() bool { return tl.Stats().Failed >= 3 })
	if got := savedOffsets(t, cp)[log]; got != 0 {
		t.Fatalf("checkpoint %d while the sink fails, want 0", got)
	}
	if st := tl.Stats(); st.LagBytes != 4 {
		t.Errorf("lag %d bytes, want 4", st.LagBytes)
	}
	s.set(func(s *testSink) { s.fail = nil })
	waitLines(t, s, "a", "b")
	waitFor(t, "the checkpoint at 4", func() bool { return savedOffsets(t, cp)[log] == 4 })
	stable(t, s, "a", "b")
	stop()
}

// TestLongLines follows the pipeline's rule: a line of up to 1 MiB is kept
// whole, a longer one handed on as a reject with its first 4096 bytes, and
// the line after it is read as usual.
func TestLongLines(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "a.log")
	whole := strings.Repeat("w", maxLine)
	long := strings.Repeat("l", maxLine+1)
	appendFile(t, log, whole+"\r\n"+long+"\nshort\n")
	s := &testSink{}
	tl, stop := run(t, Config{Paths: []string{log}}, s)
	waitFor(t, "three lines", func() bool { return len(s.records()) >= 3 })
	stop()
	rs := s.records()
	if len(rs) != 3 {
		t.Fatalf("%d records, want 3", len(rs))
	}
	if string(rs[0].Line) != whole || rs[0].Reject != "" {
		t.Errorf("a line of exactly 1 MiB: %d bytes, reject %q; want it whole", len(rs[0].Line), rs[0].Reject)
	}
	if string(rs[1].Line) != long[:keptOfLongLine] || rs[1].Reject != "line longer than 1048576 bytes: its first 4096 bytes kept" {
		t.Errorf("a longer line: %d bytes, reject %q; want its first 4096 bytes and the pipeline's reason", len(rs[1].Line), rs[1].Reject)
	}
	if string(rs[2].Line) != "short" || rs[2].Reject != "" {
		t.Errorf("the next line: %q %q", rs[2].Line, rs[2].Reject)
	}
	if st := tl.Stats(); st.Long != 1 {
		t.Errorf("long lines %d, want 1", st.Long)
	}
}

// TestFromEnd starts a file the checkpoints do not know at its last line's
// end; a file that appears later is read from its start.
func TestFromEnd(t *testing.T) {
	dir := t.TempDir()
	appendFile(t, filepath.Join(dir, "a.log"), "past\npartial")
	s := &testSink{}
	tl, stop := run(t, Config{Paths: []string{filepath.Join(dir, "*.log")}, FromEnd: true}, s)
	waitFor(t, "the first poll", func() bool { return tl.Stats().FilesOpen == 1 })
	appendFile(t, filepath.Join(dir, "a.log"), " now\n")
	appendFile(t, filepath.Join(dir, "b.log"), "b\n")
	waitFor(t, "two lines", func() bool { return len(s.lines()) == 2 })
	stop()
	got := s.lines()
	slices.Sort(got)
	if want := []string{"b", "partial now"}; !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}

// TestBadInput: New refuses bad globs and a damaged checkpoint file, with
// what to do about it.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := New(Config{Paths: []string{"/x/[a-"}}, &testSink{}); err == nil || !strings.Contains(err.Error(), `"/x/[a-": syntax error in pattern`) {
		t.Errorf("bad glob: %v", err)
	}
	if _, err := New(Config{}, &testSink{}); err == nil {
		t.Error("no paths: no error")
	}
	cp := filepath.Join(dir, "cp.json")
	os.WriteFile(cp, []byte(`{"version":1,"files":[{"path":"/a","offset":-1}]}`), 0o600)
	if _, err := New(Config{Paths: []string{"/a"}, Checkpoints: cp}, &testSink{}); err == nil || !strings.Contains(err.Error(), "remove the file") {
		t.Errorf("damaged checkpoints: %v", err)
	}
}
