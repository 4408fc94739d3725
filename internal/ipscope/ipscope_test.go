package ipscope

import (
	"net/netip"
	"testing"
)

func TestOf(t *testing.T) {
	for _, c := range []struct {
		addr string
		want Scope
	}{
		{"8.8.8.8", Global},
		{"1.1.1.1", Global},
		{"9.255.255.255", Global},
		{"10.0.0.1", Private},
		{"11.0.0.1", Global},
		{"172.15.255.255", Global},
		{"172.16.0.1", Private},
		{"172.31.255.255", Private},
		{"172.32.0.0", Global},
		{"192.168.1.1", Private},
		{"100.63.255.255", Global},
		{"100.64.0.1", CGNAT},
		{"100.127.255.255", CGNAT},
		{"100.128.0.0", Global},
		{"127.0.0.1", Loopback},
		{"127.0.1.7", Loopback},
		{"169.254.10.1", LinkLocal},
		{"192.0.2.55", Documentation},
		{"198.51.100.1", Documentation},
		{"203.0.113.9", Documentation},
		{"198.18.0.1", Reserved},
		{"192.0.0.8", Reserved},
		{"0.0.0.0", Unspecified},
		{"0.1.2.3", Reserved},
		{"224.0.0.251", Multicast},
		{"239.255.255.250", Multicast},
		{"240.0.0.1", Reserved},
		{"255.255.255.255", Reserved},
		{"::", Unspecified},
		{"::1", Loopback},
		{"::ffff:10.1.2.3", Private},
		{"::ffff:8.8.4.4", Global},
		{"2a00:1450:4001:81b::200e", Global},
		{"2001:4860:4860::8888", Global},
		{"2001:db8::1", Documentation},
		{"3fff::1", Documentation},
		{"2001::1", Reserved},
		{"fd12:3456::1", ULA},
		{"fc00::1", ULA},
		{"fe80::1%eth0", LinkLocal},
		{"ff02::fb", Multicast},
		{"64:ff9b::808:808", Global},
		{"64:ff9b::7f00:1", Loopback},        // NAT64 of 127.0.0.1
		{"64:ff9b::c0a8:101", Private},       // NAT64 of 192.168.1.1
		{"64:ff9b::c000:201", Documentation}, // NAT64 of 192.0.2.1
		{"2002:c0a8:101::1", Private},        // 6to4 of 192.168.1.1
		{"2002:808:808::1", Global},          // 6to4 of 8.8.8.8
		{"64:ff9b:1::1", Private},
		{"4000::1", Reserved},
		{"::2", Reserved},
	} {
		if got := Of(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("Of(%s) = %q, want %q", c.addr, got, c.want)
		}
	}
	if got := Of(netip.Addr{}); got != Invalid {
		t.Errorf("Of(zero) = %q, want invalid", got)
	}
	if !IsGlobal(netip.MustParseAddr("8.8.8.8")) || IsGlobal(netip.MustParseAddr("10.0.0.1")) {
		t.Error("IsGlobal disagrees with Of")
	}
}
