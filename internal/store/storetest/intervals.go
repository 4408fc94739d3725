package storetest

import (
	"context"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/geoip"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store"
)

// TestInterval is a VPN interval of user on assigned from minute start to
// minute end after T0, every column given, built from n facts.
func TestInterval(user string, assigned netip.Addr, start, end int, kind string) identity.Interval {
	iv := identity.Interval{
		Start: T0.Add(time.Duration(start) * time.Minute), End: T0.Add(time.Duration(end) * time.Minute), EndKind: kind,
		User: user, Group: "RA-Ä", RemoteIP: netip.MustParseAddr("81.2.69.142"), RemotePort: 50123,
		Remote:     geoip.Info{Country: "GB", ASN: 64500, ASOrg: "Example 'Net'", Lat: 51.5, Lon: -0.12, Located: true},
		AssignedIP: assigned, SessionID: "s-" + user, DeviceID: "dev-" + user, Hostname: user + "-laptop",
		BytesIn: 1 << 40, BytesOut: 12345, Reason: "User Requested", Sensor: "asa1", Format: "cisco-asa",
		Facts: []event.ID{event.NewID("test", []byte(user+"a")), event.NewID("test", []byte(user+"b"))},
	}
	iv.ID = identity.IntervalID(user, assigned, iv.Start)
	return iv
}

func sortIntervals(ivs []identity.Interval) {
	slices.SortFunc(ivs, func(a, b identity.Interval) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.User, b.User)
	})
}

func checkIntervals(t *testing.T, what string, got, want []identity.Interval) {
	t.Helper()
	sortIntervals(got)
	if len(got) != len(want) {
		t.Fatalf("%s: %d intervals, want %d: %+v", what, len(got), len(want), got)
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s: interval %d\n got %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

func intervalSpans(t *testing.T, s store.Store, after int64) []store.IngestSpan {
	t.Helper()
	spans, err := s.IngestedSince(context.Background(), after)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.IngestSpan
	for _, sp := range spans {
		if sp.Table == "vpn_intervals" {
			sp.AddedAt = time.Time{}
			out = append(out, sp)
		}
	}
	return out
}

func testVPNIntervals(t *testing.T, s store.Store) {
	ctx := context.Background()
	p10, p11 := netip.MustParseAddr("172.16.1.10"), netip.MustParseAddr("172.16.1.11")
	a := TestInterval("kimura", p10, 0, 60, identity.EndLogged)
	b := TestInterval("sato", p10, 60, 120, identity.EndMax)
	c := TestInterval("ito", p11, 30, 45, identity.EndReassigned)
	from, to := T0.Add(-time.Hour), T0.Add(3*time.Hour)
	got, err := s.ReplaceVPNIntervals(ctx, from, to, []identity.Interval{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	if got != (store.IntervalCounts{Written: 3}) {
		t.Errorf("first replace: %+v", got)
	}
	h := func(m int) time.Time { return T0.Add(time.Duration(m) * time.Minute) }
	// The spans cover the starts and ends of a, b and c, 6 times.
	var lo, hi time.Time
	var rows int64
	for i, sp := range intervalSpans(t, s, 0) {
		if i == 0 || sp.Min.Before(lo) {
			lo = sp.Min
		}
		hi, rows = store.MaxTime(hi, sp.Max), rows+sp.Rows
	}
	if !lo.Equal(h(0)) || !hi.Equal(h(120)) || rows != 6 {
		t.Errorf("spans from %v to %v with %d rows, want %v to %v with 6", lo, hi, rows, h(0), h(120))
	}
	span := func(a netip.Addr, from, to time.Time) identity.Query {
		return identity.Query{Addr: a, From: from, To: to}
	}
	ivs, err := s.VPNIntervals(ctx, []identity.Query{span(p10, h(30), h(30))})
	if err != nil {
		t.Fatal(err)
	}
	checkIntervals(t, "172.16.1.10 at 00:30", ivs, []identity.Interval{a})
	ivs, err = s.VPNIntervals(ctx, []identity.Query{span(p10, h(40), h(90)), span(p11, h(40), h(90)), span(netip.MustParseAddr("10.0.0.1"), h(40), h(90))})
	if err != nil {
		t.Fatal(err)
	}
	checkIntervals(t, "both over 00:40-01:30", ivs, []identity.Interval{a, c, b})
	ivs, err = s.VPNIntervals(ctx, []identity.Query{span(p11, h(46), h(50))})
	if err != nil {
		t.Fatal(err)
	}
	checkIntervals(t, "172.16.1.11 after its end", ivs, nil)

	// Again: nothing changes, no span.
	seq := maxSeq(t, s)
	if got, err = s.ReplaceVPNIntervals(ctx, from, to, []identity.Interval{c, b, a}); err != nil {
		t.Fatal(err)
	}
	if got != (store.IntervalCounts{Unchanged: 3}) {
		t.Errorf("same replace: %+v", got)
	}
	if sp := intervalSpans(t, s, seq); len(sp) != 0 {
		t.Errorf("same replace recorded spans %+v", sp)
	}
	// b's end arrives, c is no longer built.
	b2 := b
	b2.End, b2.EndKind = h(90), identity.EndLogged
	if got, err = s.ReplaceVPNIntervals(ctx, from, to, []identity.Interval{a, b2}); err != nil {
		t.Fatal(err)
	}
	if got != (store.IntervalCounts{Written: 1, Removed: 1, Unchanged: 1}) {
		t.Errorf("rebuild: %+v", got)
	}
	ivs, err = s.VPNIntervals(ctx, []identity.Query{span(p10, from, to), span(p11, from, to)})
	if err != nil {
		t.Fatal(err)
	}
	checkIntervals(t, "after the rebuild", ivs, []identity.Interval{a, b2})
	res, err := s.Query(ctx, "SELECT count(*) FROM vpn_intervals")
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Rows[0][0]; n != int64(2) && n != uint64(2) {
		t.Errorf("vpn_intervals holds %v rows, want 2", n)
	}
	// A replace of another range leaves these.
	if got, err = s.ReplaceVPNIntervals(ctx, to.Add(time.Second), to.Add(time.Hour), nil); err != nil || got != (store.IntervalCounts{}) {
		t.Errorf("empty replace: %+v, %v", got, err)
	}
}

func maxSeq(t *testing.T, s store.Store) int64 {
	t.Helper()
	spans, err := s.IngestedSince(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var seq int64
	for _, sp := range spans {
		seq = max(seq, sp.Seq)
	}
	return seq
}

func testVPNFacts(t *testing.T, s store.Store) {
	ctx := context.Background()
	var vs []event.VPNSession
	for i := range 6 {
		vs = append(vs, VPNSession(i))
	}
	if _, err := s.WriteVPNSessions(ctx, vs); err != nil {
		t.Fatal(err)
	}
	got, err := s.VPNFacts(ctx, T0.Add(time.Second), T0.Add(4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b event.VPNSession) int { return a.Time.Compare(b.Time) })
	want := slices.Clone(vs[1:5])
	for i := range want {
		want[i].AssignedIP = want[i].AssignedIP.Unmap()
		want[i].BytesOut = min(want[i].BytesOut, math.MaxInt64)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("VPNFacts\n got %+v\nwant %+v", got, want)
	}
}

func testDeviceRecords(t *testing.T, s store.Store) {
	ctx := context.Background()
	home := netip.MustParseAddr("192.168.1.10")
	state := func(raw, device, kind string, addr netip.Addr, min int) event.EndpointState {
		return event.EndpointState{ID: event.NewID("test", []byte(raw)), Time: T0.Add(time.Duration(min) * time.Minute),
			DeviceID: device, Hostname: device + "-host", Kind: kind, Address: addr, Sensor: "defender", Format: "defender", Raw: raw}
	}
	sts := []event.EndpointState{
		state("s1", "laptop-a", event.StateInterface, home, 0),
		state("s2", "laptop-b", event.StateInterface, home, 5),
		state("s3", "laptop-c", event.StateInterface, netip.MustParseAddr("192.168.1.20"), 5),
		state("s4", "laptop-d", event.StateListen, home, 5),
		state("s5", "", event.StateInterface, home, 5),
		state("s6", "laptop-e", event.StateInterface, home, 90),
	}
	if _, err := s.WriteEndpointStates(ctx, sts); err != nil {
		t.Fatal(err)
	}
	conn := func(raw, device, dir string, src, dst netip.Addr, min int) event.Network {
		return event.Network{ID: event.NewID("test", []byte(raw)), Time: T0.Add(time.Duration(min) * time.Minute),
			Kind: "endpoint", Direction: dir, Protocol: "tcp", SrcIP: src, SrcPort: 50000, DstIP: dst, DstPort: 443,
			DeviceID: device, Hostname: device + "-host", Sensor: "crowdstrike", Format: "crowdstrike-fdr", Raw: raw}
	}
	remote := netip.MustParseAddr("203.0.113.5")
	evs := []event.Network{
		conn("n1", "laptop-f", "outbound", home, remote, 10),
		conn("n2", "laptop-g", "inbound", remote, home, 15),
		conn("n3", "laptop-h", "outbound", remote, home, 15), // home is the peer, not the device
		conn("n4", "", "outbound", home, remote, 15),
	}
	if _, err := s.WriteNetwork(ctx, evs); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeviceRecords(ctx, []netip.Addr{home}, T0, T0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b identity.DeviceRecord) int { return strings.Compare(a.DeviceID, b.DeviceID) })
	rec := func(table string, id event.ID, device string, min int, sensor, format string) identity.DeviceRecord {
		return identity.DeviceRecord{Table: table, ID: id.String(), Time: T0.Add(time.Duration(min) * time.Minute),
			DeviceID: device, Hostname: device + "-host", Addr: home, Sensor: sensor, Format: format}
	}
	want := []identity.DeviceRecord{
		rec("endpoint_states", sts[0].ID, "laptop-a", 0, "defender", "defender"),
		rec("endpoint_states", sts[1].ID, "laptop-b", 5, "defender", "defender"),
		rec("network_events", evs[0].ID, "laptop-f", 10, "crowdstrike", "crowdstrike-fdr"),
		rec("network_events", evs[1].ID, "laptop-g", 15, "crowdstrike", "crowdstrike-fdr"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DeviceRecords\n got %+v\nwant %+v", got, want)
	}
	if got, err := s.DeviceRecords(ctx, nil, T0, T0.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("no addresses: %v, %v", got, err)
	}
}
