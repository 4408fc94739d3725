package scan

import (
	"context"
	"net/netip"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/scan/scantest"
)

// fakeUDP answers from a table and records how it was called; it sends
// nothing.
type fakeUDP struct {
	mu      sync.Mutex
	addrs   []netip.Addr
	waits   int
	retries int
	timeout time.Duration
}

func (f *fakeUDP) ScanUDP(ctx context.Context, addr netip.Addr, ports []uint16, timeout time.Duration, retries int, wait func(context.Context) error) []Port {
	f.mu.Lock()
	f.addrs = append(f.addrs, addr)
	f.retries, f.timeout = retries, timeout
	f.mu.Unlock()
	var out []Port
	for _, p := range ports {
		if err := wait(ctx); err != nil {
			return out
		}
		f.mu.Lock()
		f.waits++
		f.mu.Unlock()
		switch p {
		case 1900:
			out = append(out, Port{Port: p, Proto: UDP, State: Open, Reason: "udp-response", Service: "ssdp", Product: "MiniUPnPd", Version: "2.3.3"})
		case 53:
			out = append(out, Port{Port: p, Proto: UDP, State: Closed, Reason: "port-unreach"})
		case 51820:
			out = append(out, Port{Port: p, Proto: UDP, State: OpenFiltered, Reason: ReasonNoResponse, Service: "wireguard", Guessed: true})
		}
	}
	return out
}

func TestRunUDP(t *testing.T) {
	f := &fakeUDP{}
	targets := []netip.Addr{scantest.V4, scantest.V6}
	var last Progress
	sc := runLoopback(t, targets, Options{Ports: []uint16{}, UDPPorts: []uint16{53, 1900, 51820}, UDP: f, Retries: 2,
		Progress: func(p Progress) { last = p }})
	slices.SortFunc(f.addrs, netip.Addr.Compare)
	if !slices.Equal(f.addrs, targets) || f.waits != 6 || f.retries != 2 || f.timeout != DefaultInitialTimeout {
		t.Errorf("UDP scanner called for %v, %d waits, retries %d, timeout %s", f.addrs, f.waits, f.retries, f.timeout)
	}
	for _, h := range sc.Hosts {
		want := []Port{{Port: 1900, Proto: UDP, State: Open, Reason: "udp-response", Service: "ssdp", Product: "MiniUPnPd", Version: "2.3.3"}}
		if !reflect.DeepEqual(h.Ports, want) || h.Closed[UDP] != 1 || h.Filtered[UDP] != 1 || h.Status != "up" {
			t.Errorf("host %s: %+v closed %v filtered %v status %s", h.Addr, h.Ports, h.Closed, h.Filtered, h.Status)
		}
	}
	if last != (Progress{PortsDone: 6, PortsTotal: 6, HostsDone: 2, HostsTotal: 2, Open: 2}) {
		t.Errorf("progress %+v", last)
	}
	if _, err := Run(context.Background(), targets, Options{UDPPorts: []uint16{53}, Allow: scantest.AllowLoopback}); err == nil {
		t.Error("UDP ports without a UDP scanner: no error")
	}
}
