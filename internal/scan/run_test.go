package scan

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/scan/scantest"
)

// runLoopback runs a scan of loopback targets only.
func runLoopback(t *testing.T, targets []netip.Addr, o Options) Scan {
	t.Helper()
	scantest.Loopback(t, targets...)
	o.Allow = scantest.AllowLoopback
	sc, err := Run(context.Background(), targets, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sc
}

func TestRunOpenClosedFiltered(t *testing.T) {
	for _, addr := range []netip.Addr{scantest.V4, scantest.V6} {
		t.Run(addr.String(), func(t *testing.T) {
			open := scantest.Serve(t, addr, func(net.Conn) {})
			closed := scantest.ClosedPort(t, addr)
			silent := scantest.SilentPort(t, addr)
			start := time.Now()
			sc := runLoopback(t, []netip.Addr{addr}, Options{
				Ports: []uint16{open, closed, silent}, NoServices: true, Retries: 2,
				HostConcurrency: 1, // the silent port goes last, after two RTT samples
			})
			el := time.Since(start)
			if len(sc.Hosts) != 1 {
				t.Fatalf("%d hosts", len(sc.Hosts))
			}
			h := sc.Hosts[0]
			if h.Addr != addr || h.Status != "up" {
				t.Errorf("host %s status %q", h.Addr, h.Status)
			}
			if len(h.Ports) != 1 {
				t.Fatalf("ports %+v, want one", h.Ports)
			}
			p := h.Ports[0]
			p.RTT = 0
			want := Port{Port: open, Proto: TCP, State: Open, Reason: ReasonSynAck, Service: "unknown", Guessed: true}
			if p.Port != want.Port || p.State != want.State || p.Reason != want.Reason || p.Proto != want.Proto || p.Service != want.Service || !p.Guessed {
				t.Errorf("port = %+v, want %+v", p, want)
			}
			if h.Closed[TCP] != 1 || h.Filtered[TCP] != 1 {
				t.Errorf("closed %v filtered %v, want 1 and 1", h.Closed, h.Filtered)
			}
			if h.SRTT <= 0 || h.SRTT > 50*time.Millisecond {
				t.Errorf("SRTT %s", h.SRTT)
			}
			// Three attempts of the silent port from the adaptive floor
			// (100, 200, 400 ms), not from the 1 s initial timeout (1 + 2
			// + 4 s); the upper bound leaves room for a loaded machine.
			if el < 700*time.Millisecond || el > 3*time.Second {
				t.Errorf("scan took %s, want about 700 ms, far below 7 s", el)
			}
		})
	}
}

func TestConnectSilentRetries(t *testing.T) {
	silent := scantest.SilentPort(t, scantest.V4)
	o, _ := Options{Retries: 3, InitialTimeout: 50 * time.Millisecond}.withDefaults()
	s := newScanner(o, 1)
	h := &hostScan{addr: scantest.V4, rtt: newRTTEstimator(o.InitialTimeout, o.MinTimeout, o.MaxTimeout)}
	r, err := s.connect(context.Background(), h, silent)
	if err != nil {
		t.Fatal(err)
	}
	if r.state != Filtered || r.reason != ReasonNoResponse || r.attempts != 4 {
		t.Errorf("connect = %+v, want filtered no-response after 4 attempts", r)
	}
	closed := scantest.ClosedPort(t, scantest.V4)
	r, _ = s.connect(context.Background(), h, closed)
	if r.state != Closed || r.reason != ReasonConnRefused || r.attempts != 1 {
		t.Errorf("connect = %+v, want closed conn-refused at once", r)
	}
}

func TestRTTEstimatorShared(t *testing.T) {
	shared := newRTTEstimator(time.Second, 100*time.Millisecond, 3*time.Second)
	quiet := &rttEstimator{initial: time.Second, min: 100 * time.Millisecond, max: 3 * time.Second, shared: shared}
	busy := &rttEstimator{initial: time.Second, min: 100 * time.Millisecond, max: 3 * time.Second, shared: shared}
	for range sharedSamples - 1 {
		busy.observe(100 * time.Millisecond)
	}
	if got := quiet.timeout(); got != time.Second {
		t.Errorf("before %d shared samples: %s, want the initial 1s", sharedSamples, got)
	}
	busy.observe(100 * time.Millisecond)
	// Shared SRTT 100 ms, RTTVAR shrinking from 50 ms: twice the shared
	// timeout, between 200 and 1000 ms.
	if got := quiet.timeout(); got <= 200*time.Millisecond || got >= time.Second {
		t.Errorf("host without samples borrows %s, want twice the shared timeout", got)
	}
	if got, want := busy.timeout(), 100*time.Millisecond+4*busy.rttvar; got != want {
		t.Errorf("host with samples: %s, want its own %s", got, want)
	}
}

func TestRTTEstimator(t *testing.T) {
	e := newRTTEstimator(time.Second, 100*time.Millisecond, 3*time.Second)
	if e.timeout() != time.Second {
		t.Errorf("initial timeout %s", e.timeout())
	}
	e.observe(200 * time.Millisecond) // SRTT 200, RTTVAR 100
	if got := e.timeout(); got != 600*time.Millisecond {
		t.Errorf("after one sample: %s, want 600ms", got)
	}
	e.observe(100 * time.Millisecond) // RTTVAR (300+100)/4 = 100, SRTT (1400+100)/8 = 187.5
	if got := e.timeout(); got != 587500*time.Microsecond {
		t.Errorf("after two samples: %s, want 587.5ms", got)
	}
	for range 50 {
		e.observe(time.Millisecond)
	}
	if got := e.timeout(); got != 100*time.Millisecond {
		t.Errorf("clamped to the floor: %s", got)
	}
	if got := e.backoff(2); got != 400*time.Millisecond {
		t.Errorf("second retry: %s, want 400ms", got)
	}
	if got := e.backoff(10); got != 3*time.Second {
		t.Errorf("tenth retry: %s, want the 3s ceiling", got)
	}
	for range 50 {
		e.observe(10 * time.Second)
	}
	if got := e.timeout(); got != 3*time.Second {
		t.Errorf("clamped to the ceiling: %s", got)
	}
}

// TestRunLimits checks the packets-per-second limit and the progress
// reports: connects arrive no faster than PPS allows.
func TestRunLimits(t *testing.T) {
	var total atomic.Int64
	hold := func(c net.Conn) { total.Add(1) }
	// Each of four addresses gets many ports: listeners on 127.0.0.1-4.
	var targets []netip.Addr
	var ports []uint16
	for i := 1; i <= 4; i++ {
		targets = append(targets, netip.AddrFrom4([4]byte{127, 0, 0, byte(i)}))
	}
	scantest.Loopback(t, targets...)
	// The same port number on every address: listen on each, pick ports
	// free on all four.
	for len(ports) < 30 {
		l := scantest.Listen(t, targets[0])
		p := uint16(l.Addr().(*net.TCPAddr).Port)
		ok := true
		var ls []net.Listener
		for _, a := range targets[1:] {
			l2, err := net.Listen("tcp", netip.AddrPortFrom(a, p).String())
			if err != nil {
				ok = false
				break
			}
			t.Cleanup(func() { l2.Close() })
			ls = append(ls, l2)
		}
		if !ok {
			for _, l2 := range ls {
				l2.Close()
			}
			continue
		}
		ports = append(ports, p)
		for _, l2 := range append(ls, l) {
			go scantest.ServeListener(l2, hold)
		}
	}
	var progressCalls atomic.Int64
	var last Progress
	start := time.Now()
	sc := runLoopback(t, targets, Options{
		Ports: ports, NoServices: true, Concurrency: 6, HostConcurrency: 2, PPS: 200,
		Progress: func(p Progress) { progressCalls.Add(1); last = p },
	})
	el := time.Since(start)
	open := 0
	for _, h := range sc.Hosts {
		open += len(h.Ports)
	}
	// The server may accept the last connects just after Run returns.
	for deadline := time.Now().Add(time.Second); total.Load() < 120 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	// A connect that timed out on a loaded machine is retried, and the
	// server may then accept it twice.
	if open != 120 || total.Load() < 120 {
		t.Errorf("open %d, accepted %d, want 120", open, total.Load())
	}
	// 120 connects at 200/s with a burst of 4: at least (120-4)/200 s.
	if el < 550*time.Millisecond {
		t.Errorf("120 connects at 200 pps took %s, want >= 580 ms", el)
	}
	if last != (Progress{PortsDone: 120, PortsTotal: 120, HostsDone: 4, HostsTotal: 4, Open: 120}) {
		t.Errorf("last progress %+v", last)
	}
	if progressCalls.Load() != 124 {
		t.Errorf("%d progress calls, want 124", progressCalls.Load())
	}
}

// TestRunSlots checks the concurrency limits by the scanner's own count of
// connects in flight, on silent ports that hold each connect for its whole
// timeout.
func TestRunSlots(t *testing.T) {
	var targets []netip.Addr
	for i := 1; i <= 3; i++ {
		targets = append(targets, netip.AddrFrom4([4]byte{127, 0, 1, byte(i)}))
	}
	var ports []uint16
	for _, a := range targets {
		ports = append(ports, scantest.SilentPort(t, a))
	}
	// Every host gets every port; only its own is silent (the other two
	// are refused at once, or silent too if the numbers collide).
	start := time.Now()
	sc := runLoopback(t, targets, Options{Ports: ports, Concurrency: 2, HostConcurrency: 1, Retries: -1,
		InitialTimeout: 300 * time.Millisecond, MinTimeout: 300 * time.Millisecond, PPS: -1, NoServices: true})
	el := time.Since(start)
	filtered := 0
	for _, h := range sc.Hosts {
		filtered += h.Filtered[TCP]
	}
	if filtered != 3 {
		t.Fatalf("filtered %d, want 3", filtered)
	}
	// Three silent ports of 300 ms each through two global slots: two
	// rounds, not one (no limit) nor three (one slot).
	if el < 590*time.Millisecond || el > 890*time.Millisecond {
		t.Errorf("took %s, want about 600 ms", el)
	}
}

// TestRunCancel: a cancelled scan returns at once with the context's error,
// not after its connects' timeouts.
func TestRunCancel(t *testing.T) {
	silent := scantest.SilentPort(t, scantest.V4)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, []netip.Addr{scantest.V4}, Options{Ports: []uint16{silent}, InitialTimeout: 3 * time.Second, Retries: 3, Allow: scantest.AllowLoopback})
	if el := time.Since(start); err == nil || el > time.Second {
		t.Errorf("Run returned %v after %s", err, el)
	}
}
