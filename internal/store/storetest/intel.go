package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// indicator returns an indicator of feed for an address.
func indicator(feed, value string) event.Indicator {
	return event.Indicator{ID: event.IndicatorID(feed, event.IndicatorIP, value), Type: event.IndicatorIP, Value: value,
		Feed: feed, Threat: "QakBot", Confidence: 100, FirstSeen: T0, LastSeen: T0, Active: true, Fields: `{"port":443}`}
}

// formatIndicators renders indicators for comparison, times in UTC.
func formatIndicators(ins []event.Indicator) string {
	var b strings.Builder
	for _, in := range ins {
		fmt.Fprintf(&b, "%s %s %s %s %s %d %s %s %v %s\n", in.ID, in.Type, in.Value, in.Feed, in.Threat, in.Confidence,
			in.FirstSeen.UTC().Format(time.RFC3339), in.LastSeen.UTC().Format(time.RFC3339), in.Active, in.Fields)
	}
	return b.String()
}

func testIndicators(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := indicator("feodo", "198.51.100.7"), indicator("feodo", "203.0.113.10")
	b.Active, b.Fields, b.Threat = false, "", "Emotet"
	write := func(step string, want store.IndicatorCounts, ins ...event.Indicator) {
		t.Helper()
		if c, err := s.WriteIndicators(ctx, ins); err != nil || c != want {
			t.Fatalf("%s: %+v, %v; want %+v", step, c, err, want)
		}
	}
	check := func(step string, active bool, want ...event.Indicator) {
		t.Helper()
		got, err := s.Indicators(ctx, active)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(want, func(x, y event.Indicator) int { return strings.Compare(x.ID, y.ID) })
		if g, w := formatIndicators(got), formatIndicators(want); g != w {
			t.Errorf("%s: indicators (active %v)\n got %s\nwant %s", step, active, g, w)
		}
	}
	write("first load, a repeated", store.IndicatorCounts{Added: 2}, a, a, b)
	write("empty load", store.IndicatorCounts{})
	stored := b
	stored.Fields = "{}"
	check("first load", false, a, stored)
	check("first load", true, a)
	write("same again", store.IndicatorCounts{Unchanged: 2}, a, b)

	// first_seen only moves back, last_seen only forward.
	later := a
	later.FirstSeen, later.LastSeen = T0.Add(time.Hour), T0.Add(-time.Hour)
	write("narrower times", store.IndicatorCounts{Unchanged: 1}, later)
	later.LastSeen = T0.Add(time.Hour)
	write("later last_seen", store.IndicatorCounts{Updated: 1}, later)
	earlier := a
	earlier.FirstSeen, earlier.LastSeen = T0.Add(-time.Hour), T0
	write("earlier first_seen", store.IndicatorCounts{Updated: 1}, earlier)
	a.FirstSeen, a.LastSeen = T0.Add(-time.Hour), T0.Add(time.Hour)
	check("refreshed times", false, a, stored)

	// Content changes refresh; the rest of the row stays.
	b.Active, b.Threat, b.Confidence, b.Fields = true, "Dridex", 75, `{"x":1}`
	write("reactivated", store.IndicatorCounts{Updated: 1, Unchanged: 1}, a, b)
	check("reactivated", true, a, b)
	if c := counts(t, s)["indicators"]; c != 2 {
		t.Errorf("%d indicators counted, want 2", c)
	}
	got := query(t, s, `SELECT value, threat, confidence, active FROM indicators ORDER BY value`)
	if want := "[[198.51.100.7 QakBot 100 1] [203.0.113.10 Dridex 75 1]]"; got != want {
		t.Errorf("rules see\n got %s\nwant %s", got, want)
	}
}

func testIndicatorsAndSightings(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.WriteNetwork(ctx, []event.Network{TestEvent(1), TestEvent(2)}); err != nil {
		t.Fatal(err)
	}
	ind := indicator("feodo", "198.51.100.7")
	for i, want := range []store.IndicatorCounts{{Added: 1}, {Unchanged: 1}} {
		c, err := s.WriteIndicators(ctx, []event.Indicator{ind, ind})
		if err != nil || c != want {
			t.Fatalf("load %d: %+v, %v; want %+v", i+1, c, err, want)
		}
	}
	ind.LastSeen = T0.Add(time.Hour)
	if c, err := s.WriteIndicators(ctx, []event.Indicator{ind}); err != nil || c != (store.IndicatorCounts{Updated: 1}) {
		t.Fatalf("refresh: %+v, %v", c, err)
	}
	m := []store.AddrMatch{{Addr: netip.MustParseAddr(ind.Value), IndicatorID: ind.ID}}
	for i, want := range []int{2, 0} {
		n, err := s.SightingsFromMatches(ctx, m, "retro-hunt")
		if err != nil || n != want {
			t.Fatalf("hunt %d: %d sightings, %v; want %d", i+1, n, err, want)
		}
	}
	got := query(t, s, `SELECT matched_ip, peer_ip, peer_port, port, protocol, source, action, peer_is_src FROM sightings ORDER BY peer_ip`)
	if want := "[[198.51.100.7 192.168.1.1 1900 22852 udp retro-hunt drop 0] [198.51.100.7 192.168.1.2 1900 22852 udp retro-hunt drop 0]]"; got != want {
		t.Errorf("sightings\n got %s\nwant %s", got, want)
	}
}

func testWriteSightings(t *testing.T, s store.Store) {
	ctx := context.Background()
	e1, e2 := TestEvent(1), TestEvent(2)
	sighting := func(e event.Network, ind string) event.Sighting {
		return event.Sighting{EventID: e.ID, IndicatorID: ind, Time: e.Time, MatchedIP: e.SrcIP, PeerIP: e.DstIP,
			PeerPort: e.DstPort, Port: e.SrcPort, Protocol: e.Protocol, Action: e.Action, Source: "ingest"}
	}
	s1, s2, s3 := sighting(e1, "ind-a"), sighting(e2, "ind-a"), sighting(e1, "ind-b")
	s3.PeerIsSource, s3.MatchedIP, s3.PeerIP = true, e1.DstIP, e1.SrcIP
	steps := []struct {
		ss   []event.Sighting
		want int
	}{
		{[]event.Sighting{s1, s2, s1}, 2},
		{[]event.Sighting{s1, s3}, 1},
		{[]event.Sighting{s3, s2, s1}, 0},
		{nil, 0},
	}
	for i, st := range steps {
		if n, err := s.WriteSightings(ctx, st.ss); err != nil || n != st.want {
			t.Fatalf("write %d: %d added, %v; want %d", i+1, n, err, st.want)
		}
	}
	got := query(t, s, `SELECT event_id, indicator_id, time, matched_ip, peer_ip, peer_port, port, protocol, action,
		peer_is_src, source FROM sightings ORDER BY indicator_id, time`)
	want := fmt.Sprintf("[[%s ind-a %s 198.51.100.7 192.168.1.1 1900 22852 udp drop 0 ingest] "+
		"[%s ind-a %s 198.51.100.7 192.168.1.2 1900 22852 udp drop 0 ingest] "+
		"[%s ind-b %s 192.168.1.1 198.51.100.7 1900 22852 udp drop 1 ingest]]", e1.ID, e1.Time, e2.ID, e2.Time, e1.ID, e1.Time)
	if got != want {
		t.Errorf("sightings\n got %s\nwant %s", got, want)
	}
}

func testEventAddresses(t *testing.T, s store.Store) {
	ctx := context.Background()
	evs := []event.Network{TestEvent(1), TestEvent(2), TestEvent(251), MixedEvent(3)} // 251 repeats 1's addresses
	noDst := TestEvent(5)
	noDst.DstIP = netip.Addr{}
	if _, err := s.WriteNetwork(ctx, append(evs, noDst)); err != nil {
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
	want := []string{"192.168.1.1", "192.168.1.2", "198.51.100.7", "2001:db8::3", "2001:db8::53"}
	if !slices.Equal(got, want) {
		t.Errorf("addresses %v, want %v", got, want)
	}
	stop := fmt.Errorf("stop")
	if err := s.EventAddresses(ctx, func(netip.Addr) error { return stop }); err != stop {
		t.Errorf("fn's error: got %v", err)
	}
}

func testSightingsFromMatches(t *testing.T, s store.Store) {
	ctx := context.Background()
	c2, host := netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("192.168.1.10")
	in, out, other := TestEvent(1), TestEvent(2), TestEvent(3)
	in.SrcIP, in.Action = c2, "allow" // the C2 connects in
	out.SrcIP, out.DstIP = host, c2   // our host connects out
	other.SrcIP = netip.MustParseAddr("198.51.100.99")
	if _, err := s.WriteNetwork(ctx, []event.Network{in, out, other}); err != nil {
		t.Fatal(err)
	}
	ms := []store.AddrMatch{{Addr: c2, IndicatorID: "c2"}, {Addr: host, IndicatorID: "watch"}, {Addr: c2, IndicatorID: "c2"},
		{Addr: netip.AddrFrom16(c2.As16()), IndicatorID: "c2-mapped"}}
	for i, want := range []int{5, 0} {
		if n, err := s.SightingsFromMatches(ctx, ms, "retro-hunt"); err != nil || n != want {
			t.Fatalf("hunt %d: %d sightings, %v; want %d", i+1, n, err, want)
		}
	}
	if n, err := s.SightingsFromMatches(ctx, nil, "retro-hunt"); err != nil || n != 0 {
		t.Fatalf("no matches: %d sightings, %v", n, err)
	}
	later := TestEvent(4)
	later.DstIP = c2
	if _, err := s.WriteNetwork(ctx, []event.Network{later}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SightingsFromMatches(ctx, ms[:1], "retro-hunt"); err != nil || n != 1 {
		t.Fatalf("hunt after new event: %d sightings, %v; want 1", n, err)
	}
	got := query(t, s, `SELECT indicator_id, time, matched_ip, peer_ip, peer_port, port, action, peer_is_src, source
		FROM sightings ORDER BY time, indicator_id`)
	want := fmt.Sprintf("[[c2 %[1]s 203.0.113.10 192.168.1.1 1900 22852 allow 0 retro-hunt] "+
		"[c2-mapped %[1]s 203.0.113.10 192.168.1.1 1900 22852 allow 0 retro-hunt] "+
		"[c2 %[2]s 203.0.113.10 192.168.1.10 22852 1900 drop 1 retro-hunt] "+
		"[c2-mapped %[2]s 203.0.113.10 192.168.1.10 22852 1900 drop 1 retro-hunt] "+
		"[watch %[2]s 192.168.1.10 203.0.113.10 1900 22852 drop 0 retro-hunt] "+
		"[c2 %[3]s 203.0.113.10 198.51.100.7 22852 1900 drop 1 retro-hunt]]", in.Time, out.Time, later.Time)
	if got != want {
		t.Errorf("sightings\n got %s\nwant %s", got, want)
	}
}
