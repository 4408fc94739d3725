package flow

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// collectSink keeps what it is offered; with room > 0 it refuses a batch
// that would take it past room records.
type collectSink struct {
	mu   sync.Mutex
	recs []source.Record
	room int
}

func (s *collectSink) Submit(ctx context.Context, recs []source.Record, done func(error)) error {
	s.Offer(recs)
	if done != nil {
		done(nil)
	}
	return nil
}

func (s *collectSink) Offer(recs []source.Record) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.room > 0 && len(s.recs)+len(recs) > s.room {
		return false
	}
	s.recs = append(s.recs, recs...)
	return true
}

func (s *collectSink) records() []source.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]source.Record(nil), s.recs...)
}

// startListener runs a listener on 127.0.0.1 until the test ends.
func startListener(t testing.TB, protocol string, sink source.Sink) *Listener {
	t.Helper()
	l, err := Listen(Config{Listen: "127.0.0.1:0", Protocol: protocol})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, sink) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	return l
}

// sendFrom sends datagrams to l from a socket bound to the loopback
// address from, and waits until l has read them all.
func sendFrom(t testing.TB, l *Listener, from string, datagrams ...[]byte) {
	t.Helper()
	laddr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(from), 0))
	c, err := net.DialUDP("udp", laddr, l.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := l.Stats().Datagrams
	for _, d := range datagrams {
		if _, err := c.Write(d); err != nil {
			t.Fatal(err)
		}
		want++
		waitFor(t, func() bool { return l.Stats().Datagrams >= want })
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}
