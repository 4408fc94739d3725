// Package upnptest serves a fake UPnP Internet Gateway Device on loopback,
// shaped like MiniUPnPd (the daemon most home routers run): its root
// description, a WANIPConnection:2 (or WANPPPConnection:1) SOAP control
// endpoint listing the port mappings it is given, and an SSDP responder
// that answers unicast M-SEARCH. Tests, the demo and the benchmarks use
// it in place of a home router; it never sends multicast.
package upnptest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"

	"github.com/homesoc/homesoc/internal/scan"
)

// Default identity of the fake router.
const (
	DefaultServer       = "Debian/12 UPnP/1.1 MiniUPnPd/2.3.1"
	DefaultFriendlyName = "OpenWrt router"
	DefaultManufacturer = "OpenWrt"
	DefaultModelName    = "OpenWrt router"
	DefaultModelNumber  = "23.05.3"
	DefaultUUID         = "uuid:6b2d5f1a-3c4e-4b7a-9d10-0000c0ffee01"
)

// Config says what the fake IGD serves. The zero value is a MiniUPnPd
// IGD:2 on 127.0.0.1 with no mappings.
type Config struct {
	Mappings []scan.PortMapping
	// PPP serves WANPPPConnection:1 (a PPPoE router) instead of
	// WANIPConnection:2.
	PPP bool
	// NoWAN serves a description without any connection service: a UPnP
	// device that is not an IGD.
	NoWAN bool
	// EndFault is the UPnP error answered past the last mapping: 713
	// SpecifiedArrayIndexInvalid as the spec says (the default), or 402 or
	// 501 as some routers do.
	EndFault int
	// FailAll, when non-zero, is the UPnP error every SOAP call answers
	// (e.g. 606 Action not authorized).
	FailAll int
	// Server is the SERVER header; DefaultServer when empty.
	Server string
	// FriendlyName, Manufacturer, ModelName, ModelNumber describe the
	// root device; the Default* values when empty.
	FriendlyName, Manufacturer, ModelName, ModelNumber string
	// Host is the loopback address to listen on: "127.0.0.1" (default) or
	// "::1".
	Host string
	// ExternalIP is what GetExternalIPAddress answers; "127.0.0.1" when
	// empty, so that anything scanning the "router's external address"
	// stays on loopback.
	ExternalIP string
	// HTTPPort and SSDPPort are the ports to listen on; 0 picks free ones.
	HTTPPort, SSDPPort int
}

// IGD is a running fake gateway.
type IGD struct {
	// URL is the root description's URL (what --igd takes).
	URL string
	// ControlURL is the connection service's SOAP control URL.
	ControlURL string
	// ServiceType is the connection service's type.
	ServiceType string
	// SSDP is the address of the SSDP responder (unicast only).
	SSDP netip.AddrPort

	cfg      Config
	http     *httptest.Server
	ssdp     net.PacketConn
	done     chan struct{}
	mu       sync.Mutex
	requests int
	closed   bool
}

// TB is the part of testing.TB NewIGD uses (so this package does not
// import testing into the binaries that use it).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// NewIGD starts a fake IGD serving mappings and stops it when tb's test
// ends. With a nil tb it panics on error and the caller must Close it.
func NewIGD(tb TB, mappings []scan.PortMapping) *IGD {
	if tb != nil {
		tb.Helper()
	}
	g, err := Start(Config{Mappings: mappings})
	if err != nil {
		if tb == nil {
			panic(err)
		}
		tb.Fatalf("upnptest: %v", err)
	}
	if tb != nil {
		tb.Cleanup(g.Close)
	}
	return g
}

// Start starts a fake IGD as cfg says.
func Start(cfg Config) (*IGD, error) {
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	host, err := netip.ParseAddr(cfg.Host)
	if err != nil || !host.IsLoopback() {
		return nil, fmt.Errorf("upnptest: host %q: want a loopback address", cfg.Host)
	}
	if cfg.EndFault == 0 {
		cfg.EndFault = 713
	}
	if cfg.ExternalIP == "" {
		cfg.ExternalIP = "127.0.0.1"
	}
	if cfg.Server == "" {
		cfg.Server = DefaultServer
	}
	for _, f := range []struct {
		p *string
		d string
	}{
		{&cfg.FriendlyName, DefaultFriendlyName}, {&cfg.Manufacturer, DefaultManufacturer},
		{&cfg.ModelName, DefaultModelName}, {&cfg.ModelNumber, DefaultModelNumber},
	} {
		if *f.p == "" {
			*f.p = f.d
		}
	}
	cfg.Mappings = append([]scan.PortMapping(nil), cfg.Mappings...)

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.HTTPPort)))
	if err != nil {
		return nil, fmt.Errorf("upnptest: HTTP listener: %w", err)
	}
	pc, err := net.ListenPacket("udp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.SSDPPort)))
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("upnptest: SSDP listener: %w", err)
	}
	g := &IGD{cfg: cfg, ssdp: pc, done: make(chan struct{})}
	g.ServiceType, g.ControlURL = "urn:schemas-upnp-org:service:WANIPConnection:2", "/ctl/IPConn"
	if cfg.PPP {
		g.ServiceType, g.ControlURL = "urn:schemas-upnp-org:service:WANPPPConnection:1", "/ctl/PPPConn"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rootDesc.xml", g.serveDescription)
	mux.HandleFunc("POST "+g.ControlURL, g.serveControl)
	g.http = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.requests++
		g.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	g.http.Listener.Close()
	g.http.Listener = ln
	g.http.Start()
	g.URL = g.http.URL + "/rootDesc.xml"
	g.ControlURL = g.http.URL + g.ControlURL
	g.SSDP = pc.LocalAddr().(*net.UDPAddr).AddrPort()
	go g.serveSSDP()
	return g, nil
}

// Requests reports how many HTTP requests (description and SOAP) the
// IGD has served.
func (g *IGD) Requests() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.requests
}

// Close stops the servers.
func (g *IGD) Close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	g.mu.Unlock()
	g.ssdp.Close()
	<-g.done
	g.http.Close()
}
