package scan

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/scan/scantest"
)

const (
	manyEnv  = "HOMESOC_SCAN_MANY"     // set to 1 to run TestManyTargets
	netnsEnv = "HOMESOC_SCAN_IN_NETNS" // set by the test itself inside its namespace
	dropLo   = 40000                   // first of the 20 ports the namespace drops
	refuseLo = 41000                   // first of the 20 ports nothing listens on
)

// TestManyTargets scans 1,000 loopback targets inside a network namespace
// it creates (root only; about 40 s, so only with HOMESOC_SCAN_MANY=1):
// an nftables rule there drops new connections (SYN without ACK) to 20
// ports, as a router's firewall does; 20 more are refused and
// one serves SSH. Every packet stays inside the namespace's own loopback.
// It shows the scan's time follows its limits: the sum of its timeouts
// is thousands of seconds.
func TestManyTargets(t *testing.T) {
	if os.Getenv(manyEnv) == "" {
		t.Skipf("set %s=1 to run (needs root, about 40 s)", manyEnv)
	}
	if os.Getenv(netnsEnv) != "" {
		manyTargetsInNetns(t)
		return
	}
	ns := fmt.Sprintf("hs-tcpscan-%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Skipf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run("netns", "exec", ns, "ip", "link", "set", "lo", "up")
	// Ephemeral ports above both test ranges, so no client socket of ours
	// shares a port number with a target port.
	run("netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_local_port_range=50000 60999")
	nft := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	nft.Stdin = strings.NewReader(fmt.Sprintf(
		"table inet hs {\n chain in {\n  type filter hook input priority 0; policy accept;\n  tcp dport %d-%d tcp flags & (syn|ack) == syn drop\n }\n}\n", dropLo, dropLo+19))
	if out, err := nft.CombinedOutput(); err != nil {
		t.Skipf("nft in %s: %v: %s", ns, err, out)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestManyTargets$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in namespace %s:\n%s", ns, out)
	if err != nil {
		t.Fatalf("scan in namespace: %v", err)
	}
}

func manyTargetsInNetns(t *testing.T) {
	// Inside the namespace only lo exists: listen on all of 127/8 at once.
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go scantest.ServeListener(l, scantest.Banner(scantest.OpenSSHBanner))
	open := uint16(l.Addr().(*net.TCPAddr).Port)
	ports := []uint16{open}
	for i := range uint16(20) {
		ports = append(ports, refuseLo+i)
	}
	for i := range uint16(20) {
		ports = append(ports, dropLo+i)
	}
	targets := func(n int) []netip.Addr {
		var ts []netip.Addr
		a := netip.MustParseAddr("127.1.0.1")
		for range n {
			ts = append(ts, a)
			a = a.Next()
		}
		scantest.Loopback(t, ts...)
		return ts
	}
	scan := func(name string, ts []netip.Addr, o Options) time.Duration {
		o.Ports, o.Allow = ports, scantest.AllowLoopback
		start := time.Now()
		sc, err := Run(context.Background(), ts, o)
		el := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range sc.Hosts {
			if len(h.Ports) != 1 || h.Closed[TCP] != 20 || h.Filtered[TCP] != 20 || (!o.NoServices && h.Ports[0].Product != "OpenSSH") {
				t.Fatalf("%s: host %s: ports %+v closed %v filtered %v", name, h.Addr, h.Ports, h.Closed, h.Filtered)
			}
		}
		// Each filtered port was tried twice: at least 100 ms, then 200.
		sum := time.Duration(len(ts)*20*3) * DefaultMinTimeout
		t.Logf("%s: %d targets x %d ports in %s (%.0f targets/min); sum of timeouts >= %s",
			name, len(ts), len(ports), el.Round(time.Millisecond), float64(len(ts))/el.Minutes(), sum)
		return el
	}
	scan("defaults, with services", targets(1000), Options{})
	wide := scan("500 targets, 1000 slots, no pps limit", targets(500), Options{PPS: -1, NoServices: true})
	narrow := scan("500 targets, 250 slots, no pps limit", targets(500), Options{PPS: -1, Concurrency: 250, NoServices: true})
	if narrow < 2*wide {
		t.Errorf("a quarter of the slots took %s against %s: time does not follow the concurrency limit", narrow, wide)
	}
}
