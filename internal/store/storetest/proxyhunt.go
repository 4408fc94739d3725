package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// proxyHuntTests are the conformance tests of the retro-hunt over
// http_events.
var proxyHuntTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"EventAddressesHTTP", testEventAddressesHTTP},
	{"HTTPNames", testHTTPNames},
	{"SightingsFromMatchesHTTP", testSightingsFromMatchesHTTP},
	{"SightingsFromNames", testSightingsFromNames},
}

// proxyRequests are three requests: an allowed GET (HTTPEvent(1), server
// 93.184.216.34), a CONNECT with no server address (HTTPEvent(2)), and a
// CONNECT to 203.0.113.10 the proxy denied.
func proxyRequests() []event.HTTP {
	denied := HTTPEvent(3)
	denied.Method, denied.URL, denied.Host = "CONNECT", "203.0.113.10:443", "203.0.113.10"
	denied.DstIP, denied.DstPort, denied.Action = netip.MustParseAddr("203.0.113.10"), 443, "TCP_DENIED"
	denied.ID = event.NewID("test", []byte("denied"))
	return []event.HTTP{HTTPEvent(1), HTTPEvent(2), denied}
}

func writeProxyRequests(t *testing.T, s store.Store) []event.HTTP {
	t.Helper()
	hs := proxyRequests()
	if n, err := s.WriteHTTP(context.Background(), hs); err != nil || n != len(hs) {
		t.Fatalf("WriteHTTP: %d, %v", n, err)
	}
	return hs
}

func testEventAddressesHTTP(t *testing.T, s store.Store) {
	ctx := context.Background()
	writeProxyRequests(t, s)
	ev := TestEvent(1) // from 198.51.100.7, to the proxy's server
	ev.DstIP = netip.MustParseAddr("93.184.216.34")
	if _, err := s.WriteNetwork(ctx, []event.Network{ev}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := s.EventAddresses(ctx, func(a netip.Addr) error {
		got = append(got, a.String())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	// Each address once; a proxy's clients are not hunted (they are ours).
	want := []string{"198.51.100.7", "203.0.113.10", "93.184.216.34"}
	if !slices.Equal(got, want) {
		t.Errorf("addresses %v, want %v", got, want)
	}
}

func testHTTPNames(t *testing.T, s store.Store) {
	ctx := context.Background()
	writeProxyRequests(t, s)
	var got []string
	if err := s.HTTPNames(ctx, func(n string) error {
		got = append(got, n)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{"203.0.113.10", "203.0.113.10:443", "example.com", "example.com:443", "example.org", "http://example.org/a?b=c'd"}
	if !slices.Equal(got, want) {
		t.Errorf("names %q, want %q", got, want)
	}
	stop := fmt.Errorf("stop")
	if err := s.HTTPNames(ctx, func(string) error { return stop }); err != stop {
		t.Errorf("fn's error: got %v", err)
	}
}

func testSightingsFromMatchesHTTP(t *testing.T, s store.Store) {
	ctx := context.Background()
	hs := writeProxyRequests(t, s)
	ms := []store.AddrMatch{{Addr: netip.MustParseAddr("203.0.113.10"), IndicatorID: "c2"},
		{Addr: netip.MustParseAddr("93.184.216.34"), IndicatorID: "web"}}
	for i, want := range []int{2, 0} {
		if n, err := s.SightingsFromMatches(ctx, ms, "retro-hunt"); err != nil || n != want {
			t.Fatalf("hunt %d: %d sightings, %v; want %d", i+1, n, err, want)
		}
	}
	got := query(t, s, `SELECT event_id, indicator_id, time, matched_ip, peer_ip, peer_port, port, protocol, action,
		peer_is_src, source FROM sightings ORDER BY time, indicator_id`)
	want := fmt.Sprintf("[[%s web %s 93.184.216.34 192.168.1.11 50000 80 http allow 1 retro-hunt] "+
		"[%s c2 %s 203.0.113.10 192.168.1.13 50000 443 http deny 1 retro-hunt]]", hs[0].ID, hs[0].Time, hs[2].ID, hs[2].Time)
	if got != want {
		t.Errorf("sightings\n got %s\nwant %s", got, want)
	}
}

func testSightingsFromNames(t *testing.T, s store.Store) {
	ctx := context.Background()
	hs := writeProxyRequests(t, s)
	// A request matched by host and by URL for one indicator is one
	// sighting; a name no request carries matches nothing.
	ms := []store.NameMatch{{Name: "example.org", IndicatorID: "dom"}, {Name: "http://example.org/a?b=c'd", IndicatorID: "dom"},
		{Name: "http://example.org/a?b=c'd", IndicatorID: "url"}, {Name: "example.com:443", IndicatorID: "dom-com"},
		{Name: "nowhere.example", IndicatorID: "none"}}
	for i, want := range []int{3, 0} {
		if n, err := s.SightingsFromNames(ctx, ms, "retro-hunt"); err != nil || n != want {
			t.Fatalf("hunt %d: %d sightings, %v; want %d", i+1, n, err, want)
		}
	}
	if n, err := s.SightingsFromNames(ctx, nil, "retro-hunt"); err != nil || n != 0 {
		t.Fatalf("no matches: %d sightings, %v", n, err)
	}
	got := query(t, s, `SELECT event_id, indicator_id, time, matched_ip, peer_ip, peer_port, port, protocol, action,
		peer_is_src, source FROM sightings ORDER BY time, indicator_id`)
	want := fmt.Sprintf("[[%[1]s dom %[2]s 93.184.216.34 192.168.1.11 50000 80 http allow 1 retro-hunt] "+
		"[%[1]s url %[2]s 93.184.216.34 192.168.1.11 50000 80 http allow 1 retro-hunt] "+
		"[%[3]s dom-com %[4]s  192.168.1.12 50000 0 http allow 1 retro-hunt]]", hs[0].ID, hs[0].Time, hs[1].ID, hs[1].Time)
	if got != want {
		t.Errorf("sightings\n got %s\nwant %s", got, want)
	}
}
