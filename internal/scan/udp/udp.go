// Package udp probes UDP ports of one address with protocol payloads
// (SSDP, mDNS, DNS, NTP, SNMP, NetBIOS-NS, IKE, OpenVPN, NAT-PMP) and an
// empty datagram elsewhere. Each probe runs on its own connected UDP
// socket, so the kernel hands an ICMP port unreachable back to it as
// ECONNREFUSED: that is a closed port. A reply is an open port, which the
// port's probe then identifies; silence after the retries is
// open|filtered, because a UDP service that ignores what it does not
// understand (WireGuard, tls-auth OpenVPN) cannot be told from a firewall
// that drops.
package udp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/homesoc/homesoc/internal/scan"
)

// DefaultConcurrency is how many ports of one address Scanner probes at
// once when its Concurrency is 0.
const DefaultConcurrency = 64

// Reasons a UDP port has its state, as nmap names them.
const (
	ReasonResponse    = "udp-response"
	ReasonPortUnreach = "port-unreach"
	ReasonNoResponse  = "no-response"
	ReasonHostUnreach = "host-unreach"
	ReasonNetUnreach  = "net-unreach"
	ReasonProhibited  = "admin-prohibited"
	ReasonCancelled   = "cancelled" // the scan was stopped before an answer
)

// silentInfo explains an open|filtered port whose service is silent by
// design.
const silentInfo = "silent to unauthenticated packets by design: cannot be told from a filtered port"

// Scanner probes UDP ports. Its zero value is ready to use.
type Scanner struct {
	// Concurrency caps the ports of one address probed at once (sockets
	// held open); 0 means DefaultConcurrency.
	Concurrency int
	// HTTP fetches SSDP description documents; nil means a client with a
	// 5 s timeout that follows no redirects.
	HTTP *http.Client
	// Probes assigns probes (by service name: "domain", "snmp", "upnp",
	// ...) to ports other than their usual ones, e.g. {1161: "snmp"}.
	Probes map[uint16]string
}

// Scanner implements package scan's UDPScanner.
var _ interface {
	ScanUDP(ctx context.Context, addr netip.Addr, ports []uint16, timeout time.Duration, retries int, wait func(context.Context) error) []scan.Port
} = Scanner{}

// ScanUDP returns one Port per port asked, in the order asked: open
// (udp-response), closed (port-unreach), filtered (another ICMP
// unreachable) or open|filtered (no-response after retries+1 attempts of
// timeout each). wait is called before each datagram sent (the scan's
// packets-per-second limit); a nil wait sends at once. Ports are probed
// concurrently; a reply is identified by the port's protocol probe.
func (s Scanner) ScanUDP(ctx context.Context, addr netip.Addr, ports []uint16, timeout time.Duration, retries int, wait func(context.Context) error) []scan.Port {
	if wait == nil {
		wait = func(ctx context.Context) error { return ctx.Err() }
	}
	if retries < 0 {
		retries = 0
	}
	n := s.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	hc := s.HTTP
	if hc == nil {
		hc = &http.Client{
			Timeout: 5 * time.Second,
			// No proxy from the environment: the description is fetched
			// from the scanned address itself, directly.
			Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
			// A description that redirects elsewhere is not followed: the
			// scan talks to the scanned address only.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	addr = addr.Unmap()
	out := make([]scan.Port, len(ports))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	// Acquire before spawning, so an "all ports" scan holds n goroutines
	// and sockets, not 65,535.
	for i, port := range ports {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			out[i] = scan.Port{Port: port, Proto: scan.UDP, State: scan.OpenFiltered, Reason: ReasonCancelled}
			guess(&out[i], s.probeFor(port))
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			x := &Exchange{Addr: addr, Port: port, Timeout: timeout, HTTP: hc, wait: wait}
			out[i] = x.run(ctx, s.probeFor(port), retries)
		}()
	}
	wg.Wait()
	return out
}

// run probes one port with p.
func (x *Exchange) run(ctx context.Context, p *Probe, retries int) scan.Port {
	res := scan.Port{Port: x.Port, Proto: scan.UDP}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", netip.AddrPortFrom(x.Addr, x.Port).String())
	if err != nil {
		res.State, res.Reason = stateOf(err)
		guess(&res, p)
		return res
	}
	defer conn.Close()
	x.conn = conn
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()

	buf := make([]byte, 65535)
	for attempt := 0; attempt <= retries; attempt++ {
		reqs := p.Requests(x)
		x.Sent = append(x.Sent, reqs...)
		var sent time.Time
		for _, req := range reqs {
			if err := x.wait(ctx); err != nil {
				res.State, res.Reason = scan.OpenFiltered, ReasonCancelled
				guess(&res, p)
				return res
			}
			sent = time.Now()
			if _, err := conn.Write(req); err != nil {
				res.State, res.Reason = stateOf(err)
				guess(&res, p)
				return res
			}
		}
		_ = conn.SetReadDeadline(time.Now().Add(x.Timeout))
		n, err := conn.Read(buf)
		if err == nil {
			res.State, res.Reason, res.RTT = scan.Open, ReasonResponse, time.Since(sent)
			start := time.Now()
			reply := append([]byte(nil), buf[:n]...)
			if p.Identify == nil || !p.Identify(ctx, x, reply, &res) {
				guess(&res, p)
			}
			res.ProbeTime = time.Since(start)
			return res
		}
		if ctx.Err() != nil {
			break
		}
		if !isTimeout(err) {
			res.State, res.Reason = stateOf(err)
			guess(&res, p)
			return res
		}
	}
	res.State, res.Reason = scan.OpenFiltered, ReasonNoResponse
	if ctx.Err() != nil {
		res.Reason = ReasonCancelled
	}
	guess(&res, p)
	if p.Silent {
		res.Info = silentInfo
	}
	return res
}

// guess names the port's usual service when nothing identified it.
func guess(res *scan.Port, p *Probe) {
	if res.Service != "" {
		return
	}
	if name := serviceName(res.Port, p); name != "" {
		res.Service, res.Guessed = name, true
	}
}

// stateOf maps a socket error to a port state: ICMP port unreachable
// arrives as ECONNREFUSED; other ICMP unreachables and local firewall
// refusals mean something in the way.
func stateOf(err error) (string, string) {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return scan.Closed, ReasonPortUnreach
	case errors.Is(err, syscall.EHOSTUNREACH):
		return scan.Filtered, ReasonHostUnreach
	case errors.Is(err, syscall.ENETUNREACH):
		return scan.Filtered, ReasonNetUnreach
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return scan.Filtered, ReasonProhibited
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return scan.OpenFiltered, ReasonCancelled
	}
	return scan.Filtered, "error: " + err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
