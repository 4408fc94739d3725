package intel

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// matcherIndicators overlap on purpose: one address in two feeds, inside a
// /24 inside a /16; an IPv6 address inside its /32.
func matcherIndicators() []event.Indicator {
	mk := func(feed, typ, value string, active bool) event.Indicator {
		ind := newIndicator(feed, typ, value)
		ind.Active = active
		return ind
	}
	return []event.Indicator{
		mk("feodo", event.IndicatorIP, "203.0.113.10", true),
		mk("csv", event.IndicatorIP, "203.0.113.10", true),
		mk("csv", event.IndicatorCIDR, "203.0.113.0/24", true),
		mk("csv", event.IndicatorCIDR, "203.0.0.0/16", true),
		mk("csv", event.IndicatorCIDR, "203.0.0.0/16", true), // the same ID again
		mk("feodo", event.IndicatorIP, "198.51.100.5", false),
		mk("csv", event.IndicatorCIDR, "198.51.100.0/24", false),
		mk("csv", event.IndicatorCIDR, "2001:db8::/32", true),
		mk("feodo", event.IndicatorIP, "2001:db8::1", true),
		mk("csv", event.IndicatorDomain, "evil.example.com", true),
		mk("csv", event.IndicatorIP, "not-an-ip", true),
		// Stored by someone else, not canonical: still matched.
		mk("old", event.IndicatorIP, "::ffff:192.0.2.9", true),
	}
}

func TestMatcher(t *testing.T) {
	inds := matcherIndicators()
	m := NewMatcher(inds)
	if got, want := m.Len(), 6; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	if got, want := m.Indicators(), 8; got != want { // the domain included
		t.Errorf("Indicators() = %d, want %d", got, want)
	}
	if got, want := m.Names(), 1; got != want {
		t.Errorf("Names() = %d, want %d", got, want)
	}
	if got, want := m.Indicators(), 8; got != want {
		t.Errorf("Indicators() = %d, want %d", got, want)
	}
	if got, want := m.Invalid(), 1; got != want {
		t.Errorf("Invalid() = %d, want %d", got, want)
	}
	var (
		feodo10 = inds[0]
		csv10   = inds[1]
		net24   = inds[2]
		net16   = inds[3]
		net6    = inds[7]
		ip6     = inds[8]
		old9    = inds[11]
	)
	for _, tc := range []struct {
		addr string
		want []event.Indicator
	}{
		// Most specific prefix first; within one, by feed.
		{"203.0.113.10", []event.Indicator{csv10, feodo10, net24, net16}},
		{"::ffff:203.0.113.10", []event.Indicator{csv10, feodo10, net24, net16}},
		{"203.0.113.11", []event.Indicator{net24, net16}},
		{"203.0.7.1", []event.Indicator{net16}},
		{"203.1.0.0", nil},
		{"198.51.100.5", nil}, // inactive indicators are left out
		{"2001:db8::1", []event.Indicator{ip6, net6}},
		{"2001:db8::1%eth0", []event.Indicator{ip6, net6}},
		{"2001:db8:ffff::2", []event.Indicator{net6}},
		{"2001:db9::1", nil},
		{"192.0.2.9", []event.Indicator{old9}},
		{"::ffff:192.0.2.9", []event.Indicator{old9}},
	} {
		addr := netip.MustParseAddr(tc.addr)
		if got := m.Match(addr); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Match(%s):\n got %v\nwant %v", tc.addr, values(got), values(tc.want))
		}
		if got := m.Contains(addr); got != (tc.want != nil) {
			t.Errorf("Contains(%s) = %v", tc.addr, got)
		}
	}
	if got := m.Match(netip.Addr{}); got != nil {
		t.Errorf("Match(zero Addr) = %v", values(got))
	}
	if got := NewMatcher(nil).Match(netip.MustParseAddr("203.0.113.10")); got != nil {
		t.Errorf("empty matcher: Match = %v", values(got))
	}
}

func values(inds []event.Indicator) []string {
	var s []string
	for _, ind := range inds {
		s = append(s, ind.Feed+":"+ind.Value)
	}
	return s
}

func TestMatchEvent(t *testing.T) {
	inds := matcherIndicators()
	m := NewMatcher(inds)
	when := time.Date(2024, 1, 15, 1, 2, 3, 0, time.UTC)
	id := event.NewID("test", []byte("x"))
	var (
		feodo10 = inds[0].ID
		csv10   = inds[1].ID
		net24   = inds[2].ID
		net16   = inds[3].ID
		net6    = inds[7].ID
		ip6     = inds[8].ID
	)
	a := netip.MustParseAddr
	// sighting of the event's source side; dst() turns it into one of the
	// destination side, where our side (the source) opened the connection.
	sighting := func(ind string, matched, peer string, port, peerPort uint16) event.Sighting {
		return event.Sighting{EventID: id, IndicatorID: ind, Time: when, MatchedIP: a(matched), PeerIP: a(peer),
			Port: port, PeerPort: peerPort, Protocol: "tcp", Action: "allow", Source: "ingest"}
	}
	dst := func(s event.Sighting) event.Sighting { s.PeerIsSource = true; return s }
	prior := event.Sighting{IndicatorID: "prior"}
	for _, tc := range []struct {
		name     string
		src, dst string
		sport    uint16
		dport    uint16
		want     []event.Sighting
	}{
		{"outbound to a C2", "192.0.2.50", "203.0.113.10", 51515, 443, []event.Sighting{
			prior,
			dst(sighting(csv10, "203.0.113.10", "192.0.2.50", 443, 51515)),
			dst(sighting(feodo10, "203.0.113.10", "192.0.2.50", 443, 51515)),
			dst(sighting(net24, "203.0.113.10", "192.0.2.50", 443, 51515)),
			dst(sighting(net16, "203.0.113.10", "192.0.2.50", 443, 51515)),
		}},
		{"inbound scan", "203.0.113.11", "192.0.2.50", 4444, 22, []event.Sighting{
			prior,
			sighting(net24, "203.0.113.11", "192.0.2.50", 4444, 22),
			sighting(net16, "203.0.113.11", "192.0.2.50", 4444, 22),
		}},
		{"both sides", "2001:db8::1", "2001:db8::2", 1000, 2000, []event.Sighting{
			prior,
			sighting(ip6, "2001:db8::1", "2001:db8::2", 1000, 2000),
			sighting(net6, "2001:db8::1", "2001:db8::2", 1000, 2000),
			dst(sighting(net6, "2001:db8::2", "2001:db8::1", 2000, 1000)),
		}},
		{"same address both sides", "203.0.7.7", "203.0.7.7", 1, 2, []event.Sighting{
			prior,
			sighting(net16, "203.0.7.7", "203.0.7.7", 1, 2),
		}},
		{"mapped address kept as the event has it", "::ffff:203.0.7.7", "192.0.2.50", 1, 2, []event.Sighting{
			prior,
			sighting(net16, "::ffff:203.0.7.7", "192.0.2.50", 1, 2),
		}},
		{"no match", "192.0.2.50", "198.51.100.5", 1, 2, []event.Sighting{prior}},
	} {
		ev := &event.Network{ID: id, Time: when, Protocol: "tcp", Action: "allow",
			SrcIP: a(tc.src), DstIP: a(tc.dst), SrcPort: tc.sport, DstPort: tc.dport}
		got := m.MatchEvent(ev, "ingest", []event.Sighting{prior})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func TestMatcherAllocs(t *testing.T) {
	m := NewMatcher(matcherIndicators())
	miss := netip.MustParseAddr("192.0.2.50")
	hit := netip.MustParseAddr("203.0.113.10")
	missEvent := &event.Network{SrcIP: miss, DstIP: netip.MustParseAddr("2001:db9::1")}
	hitEvent := &event.Network{SrcIP: miss, DstIP: hit}
	inds := make([]event.Indicator, 0, 8)
	sightings := make([]event.Sighting, 0, 8)
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"Match miss", func() { _ = m.Match(miss) }},
		{"Match mapped miss", func() { _ = m.Match(netip.AddrFrom16(miss.As16())) }},
		{"AppendMatch hit", func() { inds = m.AppendMatch(inds[:0], hit) }},
		{"MatchEvent miss", func() { sightings = m.MatchEvent(missEvent, "ingest", sightings[:0]) }},
		{"MatchEvent hit", func() { sightings = m.MatchEvent(hitEvent, "ingest", sightings[:0]) }},
	} {
		if n := testing.AllocsPerRun(100, tc.fn); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tc.name, n)
		}
	}
}

// benchMatcher is a matcher of 1,000,000 indicators: IPv4 addresses, IPv4
// networks of /12 to /28, IPv6 addresses and /32 to /64 networks; with
// addresses that hit and addresses that miss. It is built once for all
// benchmarks.
var benchMatcher = sync.OnceValues(func() (*Matcher, [2][]netip.Addr) {
	const (
		total = 1_000_000
		nets4 = 20_000
		ips6  = 40_000
		nets6 = 10_000
	)
	r := rand.New(rand.NewPCG(1, 2))
	v4 := func() netip.Addr {
		return netip.AddrFrom4([4]byte{byte(1 + r.IntN(222)), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
	}
	v6 := func() netip.Addr {
		var b [16]byte
		b[0], b[1] = 0x20, byte(r.IntN(16))
		for i := 2; i < 16; i++ {
			b[i] = byte(r.Uint32())
		}
		return netip.AddrFrom16(b)
	}
	inds := make([]event.Indicator, 0, total)
	add := func(typ, value string) {
		ind := newIndicator("bench", typ, value)
		inds = append(inds, ind)
	}
	var hits []netip.Addr
	for range nets4 {
		add(event.IndicatorCIDR, netip.PrefixFrom(v4(), 12+r.IntN(17)).Masked().String())
	}
	for range nets6 {
		add(event.IndicatorCIDR, netip.PrefixFrom(v6(), 32+r.IntN(33)).Masked().String())
	}
	for range ips6 {
		a := v6()
		add(event.IndicatorIP, a.String())
		if len(hits) < 100 {
			hits = append(hits, a)
		}
	}
	for len(inds) < total {
		a := v4()
		add(event.IndicatorIP, a.String())
		if len(hits) < 1024 {
			hits = append(hits, a)
		}
	}
	m := NewMatcher(inds)
	// Misses: random addresses, one in ten IPv6, that nothing covers.
	var misses []netip.Addr
	for len(misses) < 1024 {
		a := v4()
		if len(misses)%10 == 0 {
			a = v6()
		}
		if !m.Contains(a) {
			misses = append(misses, a)
		}
	}
	return m, [2][]netip.Addr{misses, hits}
})

func BenchmarkMatcherMiss(b *testing.B) {
	m, addrs := benchMatcher()
	misses := addrs[0]
	var n int
	i := 0
	for b.Loop() {
		n += len(m.Match(misses[i&1023]))
		i++
	}
	if n != 0 {
		b.Fatal("a miss matched")
	}
}

func BenchmarkMatcherHit(b *testing.B) {
	m, addrs := benchMatcher()
	hits := addrs[1]
	buf := make([]event.Indicator, 0, 16)
	var n int
	i := 0
	for b.Loop() {
		buf = m.AppendMatch(buf[:0], hits[i&1023])
		n += len(buf)
		i++
	}
	if n < i {
		b.Fatal("a hit missed")
	}
}

func BenchmarkMatchEvent(b *testing.B) {
	m, addrs := benchMatcher()
	misses, hits := addrs[0], addrs[1]
	for _, tc := range []struct {
		name string
		dst  []netip.Addr
	}{{"miss", misses}, {"hit", hits}} {
		b.Run(tc.name, func(b *testing.B) {
			evs := make([]event.Network, 1024)
			for i := range evs {
				evs[i] = event.Network{SrcIP: misses[(i+7)&1023], DstIP: tc.dst[i], SrcPort: 50000, DstPort: 443, Protocol: "tcp"}
			}
			dst := make([]event.Sighting, 0, 16)
			i := 0
			for b.Loop() {
				dst = m.MatchEvent(&evs[i&1023], "ingest", dst[:0])
				i++
			}
		})
	}
}

func BenchmarkNewMatcher(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 4))
			inds := make([]event.Indicator, n)
			for i := range inds {
				a := netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
				inds[i] = newIndicator("bench", event.IndicatorIP, a.String())
			}
			for b.Loop() {
				NewMatcher(inds)
			}
		})
	}
}
