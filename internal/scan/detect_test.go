package scan

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/scan/scantest"
)

// detectOne scans one port of addr with service detection and returns its
// result with the timings zeroed.
func detectOne(t *testing.T, addr netip.Addr, port uint16) Port {
	t.Helper()
	sc := runLoopback(t, []netip.Addr{addr}, Options{Ports: []uint16{port}})
	if len(sc.Hosts) != 1 || len(sc.Hosts[0].Ports) != 1 {
		t.Fatalf("scan of %s port %d: %+v", addr, port, sc.Hosts)
	}
	p := sc.Hosts[0].Ports[0]
	p.RTT, p.ProbeTime = 0, 0
	return p
}

func TestDetectDump(t *testing.T) {
	cert := scantest.Cert(t, "router.home.arpa", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "router.home.arpa", "127.0.0.1")
	for _, c := range []struct {
		name  string
		serve func(t *testing.T, a netip.Addr) uint16
	}{
		{"openssh", func(t *testing.T, a netip.Addr) uint16 {
			return scantest.Serve(t, a, scantest.Banner(scantest.OpenSSHBanner))
		}},
		{"busybox-telnet", func(t *testing.T, a netip.Addr) uint16 {
			return scantest.Serve(t, a, scantest.BusyBoxTelnet("OpenWrt"))
		}},
		{"mariadb", func(t *testing.T, a netip.Addr) uint16 { return scantest.Serve(t, a, scantest.MariaDBGreeting) }},
		{"redis", func(t *testing.T, a netip.Addr) uint16 { return scantest.Serve(t, a, scantest.Redis) }},
		{"https", func(t *testing.T, a netip.Addr) uint16 {
			return scantest.HTTP(t, a, scantest.Page(200, "<html><title>Welcome to nginx!</title></html>", "Server", "nginx/1.22.1"), &cert)
		}},
		{"upnp", func(t *testing.T, a netip.Addr) uint16 { return scantest.HTTP(t, a, scantest.MiniUPnPd(), nil) }},
		{"smb", func(t *testing.T, a netip.Addr) uint16 { return scantest.Serve(t, a, scantest.SMB) }},
	} {
		start := time.Now()
		p := detectOne(t, scantest.V4, c.serve(t, scantest.V4))
		b, _ := json.Marshal(p)
		t.Logf("%s %s: %s", c.name, time.Since(start), b)
	}
	_ = tls.VersionTLS13
	_ = net.IPv4len
}
