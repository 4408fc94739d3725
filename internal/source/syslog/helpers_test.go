package syslog

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// collectSink keeps every record it takes. While hold is set, Submit
// blocks until it is closed; with full set, Offer refuses everything.
type collectSink struct {
	mu      sync.Mutex
	recs    []source.Record
	hold    chan struct{}
	full    bool
	submits int
}

func (s *collectSink) Submit(ctx context.Context, recs []source.Record, done func(error)) error {
	if s.hold != nil {
		select {
		case <-s.hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	s.recs = append(s.recs, recs...)
	s.submits++
	s.mu.Unlock()
	if done != nil {
		done(nil)
	}
	return nil
}

func (s *collectSink) Offer(recs []source.Record) bool {
	if s.full {
		return false
	}
	s.mu.Lock()
	s.recs = append(s.recs, recs...)
	s.mu.Unlock()
	return true
}

func (s *collectSink) records() []source.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]source.Record(nil), s.recs...)
}

// wait polls until the sink holds n records, failing the test after 5 s.
func (s *collectSink) wait(t testing.TB, n int) []source.Record {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := s.records()
		if len(recs) >= n {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("sink holds %d records after 5s, want %d", len(recs), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// serve starts a listener on cfg (Listen on 127.0.0.1, port 0) and stops it
// at the end of the test; stop stops it earlier and returns Serve's error.
func serve(t testing.TB, cfg Config, sink source.Sink) (l *Listener, stop func() error) {
	t.Helper()
	l, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.Serve(ctx, sink) }()
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case serr = <-errc:
			case <-time.After(10 * time.Second):
				t.Errorf("Serve did not return 10s after its context ended")
			}
		})
		return serr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l, stop
}

// dial connects to a listener of the test.
func dial(t testing.TB, network string, l *Listener) net.Conn {
	t.Helper()
	c, err := net.Dial(network, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
