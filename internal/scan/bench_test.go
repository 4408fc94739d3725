package scan

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/scan/scantest"
)

// benchHost serves the loopback services on their usual ports of
// a loopback address of their own: FTP, SSH, telnet (BusyBox), HTTP
// (lighttpd, Apache), HTTPS (nginx), Redis and UPnP HTTP (MiniUPnPd).
func benchHost(b *testing.B) netip.Addr {
	addr := netip.MustParseAddr("127.0.77.1")
	scantest.Loopback(b, addr)
	cert := scantest.Cert(b, "router.home.arpa", time.Now().Add(-time.Hour), "router.home.arpa")
	listen := func(port uint16) net.Listener {
		l, err := net.Listen("tcp", netip.AddrPortFrom(addr, port).String())
		if err != nil {
			b.Skipf("port %d of %s: %v", port, addr, err)
		}
		b.Cleanup(func() { l.Close() })
		return l
	}
	serve := func(port uint16, h func(net.Conn)) { go scantest.ServeListener(listen(port), h) }
	serveHTTP := func(port uint16, h http.Handler, l net.Listener) {
		if l == nil {
			l = listen(port)
		}
		srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
		go srv.Serve(l)
		b.Cleanup(func() { srv.Close() })
	}
	serve(21, scantest.Banner(scantest.VsftpdBanner))
	serve(22, scantest.Banner(scantest.OpenSSHBanner))
	serve(23, scantest.BusyBoxTelnet("OpenWrt"))
	serveHTTP(80, scantest.Page(200, "<title>OpenWrt - LuCI</title>", "Server", "lighttpd/1.4.69"), nil)
	serveHTTP(8080, scantest.Page(200, "<title>Apache2 Debian Default Page: It works</title>", "Server", "Apache/2.4.62 (Debian)"), nil)
	serveHTTP(443, scantest.Page(200, "<title>Welcome to nginx!</title>", "Server", "nginx/1.22.1"),
		tls.NewListener(listen(443), &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}))
	serve(6379, scantest.Redis)
	serveHTTP(5000, scantest.MiniUPnPd(), nil)
	return addr
}

// BenchmarkTop100Services scans top100 of one loopback host with service
// detection; median-ms is the median wall time of one scan.
func BenchmarkTop100Services(b *testing.B) {
	addr := benchHost(b)
	var times []time.Duration
	var last Scan
	for b.Loop() {
		start := time.Now()
		sc, err := Run(context.Background(), []netip.Addr{addr}, Options{Allow: scantest.AllowLoopback})
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		last = sc
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(0, "ns/op")
	var found []string
	for _, p := range last.Hosts[0].Ports {
		found = append(found, fmt.Sprintf("%d/%s %s %s", p.Port, p.Service, p.Product, p.Version))
	}
	if len(found) != 8 {
		b.Errorf("found %d services: %q", len(found), found)
	}
	b.Logf("found %q", found)
}
