package tail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// testSink collects what it is handed. It confirms each batch from another
// goroutine, as the pipeline does, fails them while fail is set, and keeps
// them unconfirmed while hold is set.
type testSink struct {
	mu      sync.Mutex
	recs    []source.Record
	fail    error
	hold    bool
	held    []func(error)
	batches int
}

func (s *testSink) Submit(ctx context.Context, recs []source.Record, done func(error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches++
	err := s.fail
	if err == nil {
		s.recs = append(s.recs, recs...)
	}
	switch {
	case s.hold:
		s.held = append(s.held, done)
	case done != nil:
		go done(err)
	}
	return nil
}

func (s *testSink) Offer(recs []source.Record) bool { panic("tail never offers") }

func (s *testSink) set(f func(s *testSink)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// release confirms held batch i.
func (s *testSink) release(i int) {
	s.mu.Lock()
	done := s.held[i]
	s.mu.Unlock()
	done(nil)
}

func (s *testSink) nheld() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held)
}

func (s *testSink) records() []source.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.recs)
}

func (s *testSink) lines() []string {
	var ls []string
	for _, r := range s.records() {
		ls = append(ls, string(r.Line))
	}
	return ls
}

// run starts a Tailer of cfg (polling every 5 ms) into s; stop ends it and
// returns Run's error.
func run(t *testing.T, cfg Config, s source.Sink) (tl *Tailer, stop func() error) {
	t.Helper()
	if cfg.Poll == 0 {
		cfg.Poll = 5 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if cfg.StopWait == 0 {
		cfg.StopWait = 2 * time.Second
	}
	tl, err := New(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- tl.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-errc:
			case <-time.After(10 * time.Second):
				runErr = errors.New("Run did not return within 10s of its context's end")
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return tl, stop
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitLines waits until s has exactly want (in order), failing with what it
// has after 5 s or as soon as it has more.
func waitLines(t *testing.T, s *testSink, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := s.lines()
		if slices.Equal(got, want) {
			return
		}
		if len(got) > len(want) || time.Now().After(deadline) {
			t.Fatalf("lines:\n  %q\nwant:\n  %q", got, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// stable checks that s still has exactly want a few polls later.
func stable(t *testing.T, s *testSink, want ...string) {
	t.Helper()
	time.Sleep(50 * time.Millisecond)
	if got := s.lines(); !slices.Equal(got, want) {
		t.Fatalf("lines:\n  %q\nwant:\n  %q", got, want)
	}
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// numbered returns lines "<prefix> i" for i in [from, to).
func numbered(prefix string, from, to int) []string {
	var ls []string
	for i := from; i < to; i++ {
		ls = append(ls, fmt.Sprintf("%s %d", prefix, i))
	}
	return ls
}

func text(ls []string) string { return strings.Join(ls, "\n") + "\n" }

// savedOffsets reads the checkpoint file: offset by path.
func savedOffsets(t *testing.T, path string) map[string]int64 {
	t.Helper()
	cs, err := loadCheckpoints(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, c := range cs {
		m[c.Path] = c.Offset
	}
	return m
}

// testLogger logs to t until the test ends, then nowhere (a late
// confirmation may log).
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.t = nil; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, nil))
}

type testWriter struct {
	mu sync.Mutex
	t  *testing.T
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.t != nil {
		w.t.Log(strings.TrimSuffix(string(b), "\n"))
	}
	return len(b), nil
}
