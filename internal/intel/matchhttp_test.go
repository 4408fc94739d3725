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

func TestNormalizeURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://example.com/a", "http://example.com/a"},
		{"HTTP://User:pw@Example.COM.:80/A?B=C#frag", "http://example.com/A?B=C"},
		{"https://example.com:443", "https://example.com/"},
		{"https://example.com:8443/x", "https://example.com:8443/x"},
		{"http://example.com:443/x", "http://example.com:443/x"}, // not http's default
		{"example.com/index.html", "http://example.com/index.html"},
		{"example.com?q=1", "http://example.com/?q=1"},
		{"http://[2001:DB8::80]:80/a", "http://[2001:db8::80]/a"},
		{"http://example.com/%7Euser/A%20b", "http://example.com/%7Euser/A%20b"}, // no decoding
		{"ftp://Files.Example/pub", "ftp://files.example/pub"},
		{"http:///nohost", ""},
		{"", ""},
		{"http://example.com:80", "http://example.com/"},
		{"http://example.com./", "http://example.com/"},
	} {
		if got := NormalizeURL(tc.in); got != tc.want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"example.com", "example.com"},
		{"WWW.Example.COM.", "www.example.com"},
		{"example.com:443", "example.com"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"2001:db8::1", "2001:db8::1"},
		{"203.0.113.7:8443", "203.0.113.7"},
		{"", ""},
	} {
		if got := NormalizeHost(tc.in); got != tc.want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func proxyIndicators() []event.Indicator {
	mk := func(feed, typ, value string, active bool) event.Indicator {
		ind := newIndicator(feed, typ, value)
		ind.Active = active
		return ind
	}
	return []event.Indicator{
		mk("tf", event.IndicatorDomain, "evil.example", true),
		mk("abc", event.IndicatorDomain, "evil.example", true), // a second feed: both reported, by feed
		mk("tf", event.IndicatorDomain, "c2.evil.example", true),
		mk("tf", event.IndicatorDomain, "gone.example", false),
		mk("uh", event.IndicatorURL, "http://bad.example/gate.php?id=1", true),
		mk("feodo", event.IndicatorIP, "203.0.113.10", true),
	}
}

func TestMatchHTTP(t *testing.T) {
	inds := proxyIndicators()
	m := NewMatcher(inds)
	evil, evilABC, c2, bad, ip := inds[0], inds[1], inds[2], inds[4], inds[5]
	tm := time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC)
	client := netip.MustParseAddr("192.168.1.60")
	for _, tc := range []struct {
		name string
		h    event.HTTP
		want []event.Indicator
	}{
		{"subdomain of a domain", event.HTTP{Method: "GET", URL: "http://a.c2.evil.example/x", Host: "a.c2.evil.example"},
			[]event.Indicator{c2, evilABC, evil}},
		{"the domain itself, upper case, with port and dot", event.HTTP{Method: "CONNECT", URL: "EVIL.example.:443", Host: "EVIL.example."},
			[]event.Indicator{evilABC, evil}},
		{"a look-alike is no subdomain", event.HTTP{Method: "GET", URL: "http://notevil.example/", Host: "notevil.example"}, nil},
		{"inactive domain", event.HTTP{Method: "GET", URL: "http://www.gone.example/", Host: "www.gone.example"}, nil},
		{"URL host differs from Host", event.HTTP{Method: "GET", URL: "http://evil.example/", Host: "cdn.example"},
			[]event.Indicator{evilABC, evil}},
		{"url indicator, Zeek's host+uri", event.HTTP{Method: "GET", URL: "bad.example/gate.php?id=1", Host: "bad.example"},
			[]event.Indicator{bad}},
		{"url indicator, another query", event.HTTP{Method: "GET", URL: "http://bad.example/gate.php?id=2", Host: "bad.example"}, nil},
		{"server address, and domain: each once", event.HTTP{Method: "GET", URL: "http://evil.example/evil.example",
			Host: "evil.example", DstIP: netip.MustParseAddr("203.0.113.10"), DstPort: 80},
			[]event.Indicator{ip, evilABC, evil}},
		{"CONNECT to an address, denied", event.HTTP{Method: "CONNECT", URL: "203.0.113.10:443", Host: "203.0.113.10",
			DstIP: netip.MustParseAddr("203.0.113.10"), DstPort: 443, Action: "TCP_DENIED"}, []event.Indicator{ip}},
		{"nothing logged", event.HTTP{}, nil},
	} {
		h := tc.h
		h.ID, h.Time, h.SrcIP, h.SrcPort = event.NewID("test", []byte(tc.name)), tm, client, 50000
		got := m.MatchHTTP(&h, "ingest", nil)
		var want []event.Sighting
		for _, ind := range tc.want {
			want = append(want, event.Sighting{EventID: h.ID, IndicatorID: ind.ID, Time: tm, MatchedIP: h.DstIP,
				PeerIP: client, PeerPort: 50000, Port: h.DstPort, Protocol: "http", Action: map[bool]string{false: "allow", true: "deny"}[h.Action == "TCP_DENIED"],
				PeerIsSource: true, Source: "ingest"})
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, want)
		}
	}
	for _, tc := range []struct {
		name string
		want []event.Indicator
	}{
		{"a.evil.example", []event.Indicator{evilABC, evil}},
		{"c2.evil.example:443", []event.Indicator{c2, evilABC, evil}},
		{"http://x.evil.example/", []event.Indicator{evilABC, evil}},
		{"bad.example/gate.php?id=1", []event.Indicator{bad}},
		{"bad.example", nil},
		{"example", nil},
	} {
		if got := m.MatchName(tc.name, nil); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("MatchName(%s):\n got %v\nwant %v", tc.name, values(got), values(tc.want))
		}
	}
}

func TestMatchHTTPAllocs(t *testing.T) {
	m := NewMatcher(proxyIndicators())
	miss := &event.HTTP{Method: "GET", URL: "http://www.example.com/index.html", Host: "www.example.com",
		DstIP: netip.MustParseAddr("93.184.216.34")}
	hit := &event.HTTP{Method: "CONNECT", URL: "a.c2.evil.example:443", Host: "a.c2.evil.example",
		DstIP: netip.MustParseAddr("203.0.113.10")}
	dst := make([]event.Sighting, 0, 8)
	for _, tc := range []struct {
		name string
		h    *event.HTTP
	}{{"miss", miss}, {"hit", hit}} {
		if n := testing.AllocsPerRun(100, func() { dst = m.MatchHTTP(tc.h, "ingest", dst[:0]) }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tc.name, n)
		}
	}
}

// benchNames is a matcher of 1,000,000 domain indicators and requests to
// 1,024 hosts four labels deep under them (hits) and under other domains
// (misses).
var benchNames = sync.OnceValues(func() (*Matcher, [2][]event.HTTP) {
	const total = 1_000_000
	r := rand.New(rand.NewPCG(5, 6))
	inds := make([]event.Indicator, total)
	for i := range inds {
		inds[i] = newIndicator("bench", event.IndicatorDomain, fmt.Sprintf("d%x.example", r.Uint64()))
		inds[i].Active = true
	}
	m := NewMatcher(inds)
	var reqs [2][]event.HTTP
	for i := range 1024 {
		hit := "a.b." + inds[r.IntN(total)].Value
		miss := fmt.Sprintf("a.b.m%x.example", r.Uint64())
		for k, host := range []string{miss, hit} {
			reqs[k] = append(reqs[k], event.HTTP{Method: "CONNECT", URL: host + ":443", Host: host,
				DstIP: netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), DstPort: 443})
		}
	}
	return m, reqs
})

// BenchmarkMatchHTTP matches proxy requests (CONNECTs: host and server
// address, no URL) against 1M domain indicators.
func BenchmarkMatchHTTP(b *testing.B) {
	m, reqs := benchNames()
	for k, name := range []string{"miss", "hit"} {
		b.Run(name, func(b *testing.B) {
			dst := make([]event.Sighting, 0, 16)
			n, i := 0, 0
			b.ReportAllocs()
			for b.Loop() {
				dst = m.MatchHTTP(&reqs[k][i&1023], "ingest", dst[:0])
				n += len(dst)
				i++
			}
			if (n > 0) != (k == 1) {
				b.Fatalf("%s: %d sightings", name, n)
			}
		})
	}
}
