package scan

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckTargets(t *testing.T) {
	loop := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, c := range []struct {
		targets []string
		allow   []netip.Prefix
		err     string
	}{
		// Global addresses are never sent a packet here: CheckTargets only
		// classifies.
		{targets: []string{"8.8.8.8", "2a00:1450:4001:81b::200e"}},
		{targets: []string{"127.0.0.1"}, err: "refusing to scan 127.0.0.1 (loopback): pass --allow 127.0.0.0/8 to scan it"},
		{targets: []string{"127.0.0.1", "::1"}, allow: loop},
		{targets: []string{"::ffff:127.0.0.2"}, allow: loop},
		{targets: []string{"::1"}, err: "refusing to scan ::1 (loopback): pass --allow ::1/128 to scan it"},
		{targets: []string{"192.168.1.1", "100.64.1.2", "192.0.2.1", "fe80::1%eth0", "0.0.0.0", "224.0.0.251", "240.0.0.1", "fd00::1", "127.0.0.5"}, allow: loop,
			err: "refusing to scan 8 targets:\n" +
				"  192.168.1.1 (private): pass --allow 192.168.0.0/16 to scan it\n" +
				"  100.64.1.2 (cgnat): pass --allow 100.64.0.0/10 to scan it\n" +
				"  192.0.2.1 (documentation): pass --allow 192.0.2.1/32 to scan it\n" +
				"  fe80::1%eth0 (link-local): pass --allow fe80::/10 to scan it\n" +
				"  0.0.0.0 (unspecified): pass --allow 0.0.0.0/32 to scan it\n" +
				"  224.0.0.251 (multicast): pass --allow 224.0.0.251/32 to scan it\n" +
				"  240.0.0.1 (reserved): pass --allow 240.0.0.1/32 to scan it\n" +
				"  fd00::1 (ula): pass --allow fc00::/7 to scan it"},
		{targets: []string{"10.1.2.3"}, allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
	} {
		var ts []netip.Addr
		for _, s := range c.targets {
			ts = append(ts, netip.MustParseAddr(s))
		}
		err := CheckTargets(ts, c.allow)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.err {
			t.Errorf("CheckTargets(%v):\n got %q\nwant %q", c.targets, got, c.err)
		}
	}
	if err := CheckTargets([]netip.Addr{{}}, nil); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Errorf("zero address: %v", err)
	}
}

// TestRunRefusesBeforeAnyPacket: Run checks its targets itself. The
// refused target is a documentation address, so a packet sent by mistake
// would still go nowhere real.
func TestRunRefusesBeforeAnyPacket(t *testing.T) {
	dials := 0
	o := Options{Ports: []uint16{80}, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Progress: func(Progress) { dials++ }}
	_, err := Run(context.Background(), []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("198.51.100.7")}, o)
	if err == nil || err.Error() != "refusing to scan 198.51.100.7 (documentation): pass --allow 198.51.100.7/32 to scan it" {
		t.Fatalf("Run error = %v", err)
	}
	if dials != 0 {
		t.Errorf("Run reported %d ports before refusing", dials)
	}
}
