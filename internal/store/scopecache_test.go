package store

import (
	"net/netip"
	"testing"

	"github.com/homesoc/homesoc/internal/ipscope"
)

// TestScopeCache: the cache answers what ipscope does, for addresses that
// share slots and for the same address in its IPv4 and IPv4-mapped forms.
func TestScopeCache(t *testing.T) {
	var c ScopeCache
	var addrs []netip.Addr
	for i := range 5000 {
		addrs = append(addrs,
			netip.AddrFrom4([4]byte{byte(i), byte(i >> 3), 1, byte(i >> 8)}),
			netip.AddrFrom16([16]byte{0x20, 0x01, byte(i), 15: byte(i >> 4)}),
			netip.AddrFrom16(netip.AddrFrom4([4]byte{10, byte(i), 0, 1}).As16()))
	}
	addrs = append(addrs, netip.Addr{}, netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("::ffff:8.8.8.8"), netip.MustParseAddr("8.8.8.8"))
	for round := range 2 {
		for _, a := range addrs {
			if got, want := c.Text(a), ipscope.Text(a); got != want {
				t.Fatalf("round %d: %s: got %q, want %q", round, a, got, want)
			}
		}
	}
}

func BenchmarkScopeCache(b *testing.B) {
	var c ScopeCache
	as := []netip.Addr{netip.MustParseAddr("198.51.3.4"), netip.MustParseAddr("192.168.1.7"), netip.MustParseAddr("81.2.69.142"), netip.MustParseAddr("2a00:1450::1")}
	n := 0
	for i := 0; i < b.N; i++ {
		n += len(c.Text(as[i%4]))
	}
	_ = n
}
