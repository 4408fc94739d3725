package scan

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Run scans targets: a TCP connect scan of o.Ports, service detection on the
// ports found open, and o.UDP on o.UDPPorts, every target at once within the
// limits of o. It refuses the whole run, before any packet, when CheckTargets
// refuses a target. Hosts come back in the order of targets, and the scan's
// TCPPorts and UDPPorts name the ports asked (o.Ports after its default, and
// o.UDPPorts). When ctx ends, Run returns what it has with ctx's error: its
// port sets then overstate what was tried, so store only a finished scan.
func Run(ctx context.Context, targets []netip.Addr, o Options) (Scan, error) {
	if err := CheckTargets(targets, o.Allow); err != nil {
		return Scan{}, err
	}
	o, err := o.withDefaults()
	if err != nil {
		return Scan{}, err
	}
	s := newScanner(o, len(targets))
	sc := Scan{Source: SourceHomesoc, Args: o.Args, Started: time.Now().UTC(), Hosts: make([]Host, len(targets)),
		TCPPorts: FormatPorts(o.Ports), UDPPorts: FormatPorts(o.UDPPorts)}
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc.Hosts[i] = s.scanHost(ctx, t)
		}()
	}
	wg.Wait()
	sc.Finished = time.Now().UTC()
	if err := ctxDone(ctx); err != nil {
		return sc, fmt.Errorf("scan interrupted: %w", err)
	}
	return sc, nil
}

// scanner is one Run's shared state: its limits and its progress.
// udpSocketsPerHost is how many sockets a UDP scanner is taken to hold for
// one host (scan/udp's DefaultConcurrency).
const udpSocketsPerHost = 64

type scanner struct {
	o       Options
	slots   chan struct{} // connects in flight, all hosts
	detects chan struct{} // ports in service detection
	// udpHosts bounds the hosts whose UDP ports are probed at once, so the
	// sockets they hold stay within Concurrency: a UDP scanner holds up to
	// udpSocketsPerHost per host (scan/udp's default).
	udpHosts chan struct{}
	limiter  *rate.Limiter // nil: unlimited
	rtt      *rttEstimator // every host's samples

	mu       sync.Mutex
	progress Progress
}

func newScanner(o Options, hosts int) *scanner {
	s := &scanner{
		o:        o,
		slots:    make(chan struct{}, o.Concurrency),
		detects:  make(chan struct{}, o.DetectConcurrency),
		udpHosts: make(chan struct{}, max(1, o.Concurrency/udpSocketsPerHost)),
		rtt:      newRTTEstimator(o.InitialTimeout, o.MinTimeout, o.MaxTimeout),
	}
	if o.PPS > 0 {
		// A burst of a fiftieth of a second keeps the rate even without
		// sleeping between every two connects.
		s.limiter = rate.NewLimiter(rate.Limit(o.PPS), max(1, int(o.PPS/50)))
	}
	s.progress.HostsTotal = hosts
	s.progress.PortsTotal = hosts * (len(o.Ports) + len(o.UDPPorts))
	return s
}

// wait blocks until the packet rate allows one more connect or datagram.
func (s *scanner) wait(ctx context.Context) error {
	if s.limiter == nil {
		return ctx.Err()
	}
	return s.limiter.Wait(ctx)
}

// report updates the progress under the lock and hands a copy to the
// callback.
func (s *scanner) report(f func(p *Progress)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.progress)
	if s.o.Progress != nil {
		s.o.Progress(s.progress)
	}
}

// hostScan is the state of one target while it is scanned.
type hostScan struct {
	addr netip.Addr
	rtt  *rttEstimator

	mu       sync.Mutex
	ports    []Port
	closed   map[string]int
	filtered map[string]int
	answered bool
}

func (s *scanner) scanHost(ctx context.Context, addr netip.Addr) Host {
	h := &hostScan{
		addr:     addr,
		rtt:      &rttEstimator{initial: s.o.InitialTimeout, min: s.o.MinTimeout, max: s.o.MaxTimeout, shared: s.rtt},
		closed:   map[string]int{},
		filtered: map[string]int{},
	}
	started := time.Now().UTC()
	hostSlots := make(chan struct{}, s.o.HostConcurrency)
	var connects, detects sync.WaitGroup
ports:
	for _, port := range s.o.Ports {
		select {
		case hostSlots <- struct{}{}:
		case <-ctx.Done():
			break ports
		}
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			<-hostSlots
			break ports
		}
		connects.Add(1)
		go func() {
			defer connects.Done()
			r, err := s.connect(ctx, h, port)
			<-s.slots
			<-hostSlots
			if err != nil {
				return
			}
			s.record(ctx, h, port, r, &detects)
		}()
	}
	connects.Wait()
	if len(s.o.UDPPorts) > 0 && ctx.Err() == nil {
		s.scanUDP(ctx, h)
	}
	detects.Wait()
	s.report(func(p *Progress) { p.HostsDone++ })

	h.mu.Lock()
	defer h.mu.Unlock()
	slices.SortFunc(h.ports, func(a, b Port) int {
		if a.Proto != b.Proto {
			if a.Proto == TCP {
				return -1
			}
			return 1
		}
		return int(a.Port) - int(b.Port)
	})
	host := Host{
		Addr: addr, Status: "down", Started: started, Finished: time.Now().UTC(),
		SRTT: h.rtt.smoothed(), Ports: h.ports, Closed: h.closed, Filtered: h.filtered,
	}
	if host.Ports == nil {
		host.Ports = []Port{}
	}
	if h.answered {
		host.Status = "up"
	}
	return host
}

// record files one TCP port's connect result and starts service detection
// on an open port.
func (s *scanner) record(ctx context.Context, h *hostScan, port uint16, r connectResult, detects *sync.WaitGroup) {
	s.report(func(p *Progress) {
		p.PortsDone++
		if r.state == Open {
			p.Open++
		}
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case r.state == Closed:
		h.answered = true
		h.closed[TCP]++
		return
	case r.state == Filtered && r.reason == ReasonNoResponse:
		h.filtered[TCP]++
		return
	}
	p := Port{Port: port, Proto: TCP, State: r.state, Reason: r.reason, RTT: r.rtt}
	if r.state != Open {
		h.ports = append(h.ports, p)
		return
	}
	h.answered = true
	if s.o.NoServices {
		p.Service, p.Guessed = ServiceName(port), true
		h.ports = append(h.ports, p)
		return
	}
	detects.Add(1)
	go func() {
		defer detects.Done()
		select {
		case s.detects <- struct{}{}:
		case <-ctx.Done():
			// Cancelled before detection: the port is still open.
			p.Service, p.Guessed = ServiceName(p.Port), true
			h.mu.Lock()
			h.ports = append(h.ports, p)
			h.mu.Unlock()
			return
		}
		start := time.Now()
		s.detect(ctx, h.addr, h.rtt.smoothed(), &p)
		p.ProbeTime = time.Since(start)
		<-s.detects
		h.mu.Lock()
		h.ports = append(h.ports, p)
		h.mu.Unlock()
	}()
}

// scanUDP hands the UDP ports to o.UDP and files what it found: open and
// explicitly filtered ports are listed, closed and silent ones counted.
func (s *scanner) scanUDP(ctx context.Context, h *hostScan) {
	select {
	case s.udpHosts <- struct{}{}:
	case <-ctx.Done():
		return
	}
	ports := s.o.UDP.ScanUDP(ctx, h.addr, s.o.UDPPorts, h.rtt.timeout(), s.o.Retries, s.wait)
	<-s.udpHosts
	s.report(func(p *Progress) {
		p.PortsDone += len(s.o.UDPPorts)
		for _, pt := range ports {
			if pt.State == Open {
				p.Open++
			}
		}
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range ports {
		p.Proto = UDP
		switch {
		case p.State == Closed:
			h.answered = true
			h.closed[UDP]++
		case p.State == OpenFiltered && (p.Reason == ReasonNoResponse || p.Reason == ""):
			h.filtered[UDP]++
		default:
			if p.State == Open {
				h.answered = true
			}
			h.ports = append(h.ports, p)
		}
	}
}
