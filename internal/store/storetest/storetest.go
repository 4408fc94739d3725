// Package storetest is the conformance suite every store.Store engine must
// pass: the behaviour of each method, as rules, ingest and the retro-hunt
// rely on it, whatever engine stands behind the interface. An engine's
// tests call Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// T0 is the time of the suite's first event.
var T0 = time.Date(2026, 4, 6, 16, 5, 29, 0, time.UTC)

// Run runs the suite, each test on a store of its own from open, which must
// return a fresh empty store and arrange for it to be closed. The tests run
// in parallel.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"WriteNetworkDedup", testWriteNetworkDedup},
		{"Silences", testSilences},
		{"WriteNetworkReingest", testWriteNetworkReingest},
		{"WriteNetworkMixed", testWriteNetworkMixed},
		{"WriteNetworkOne", testWriteNetworkOne},
		{"WriteNetworkConcurrent", testWriteNetworkConcurrent},
		{"WriteNetworkCancel", testWriteNetworkCancel},
		{"WriteNetworkColumns", testWriteNetworkColumns},
		{"ScopeColumns", testScopeColumns},
		{"WriteEndpointStates", testWriteEndpointStates},
		{"EndpointStatesConcurrent", testEndpointStatesConcurrent},
		{"WriteVPNSessions", testWriteVPNSessions},
		{"WriteHTTP", testWriteHTTP},
		{"VPNHTTPConcurrent", testVPNHTTPConcurrent},
		{"VPNHTTPFixtures", testVPNHTTPFixtures},
		{"Rejects", testRejects},
		{"RejectsAnyBytes", testRejectsAnyBytes},
		{"Indicators", testIndicators},
		{"IndicatorsAndSightings", testIndicatorsAndSightings},
		{"WriteSightings", testWriteSightings},
		{"EventAddresses", testEventAddresses},
		{"SightingsFromMatches", testSightingsFromMatches},
		{"UpsertAlerts", testUpsertAlerts},
		{"AlertsOrder", testAlertsOrder},
		{"QueryTypes", testQueryTypes},
		{"QueryJoin", testQueryJoin},
		{"LoadRowsDefaults", testLoadRowsDefaults},
		{"LoadRowsUnknownTable", testLoadRowsUnknownTable},
		{"Counts", testCounts},
		{"ReadQuery", testReadQuery},
		{"Events", testEvents},
		{"Schema", testSchema},
		{"IngestSpans", testIngestSpans},
		{"Watermarks", testWatermarks},
		{"IndicatorsChangedSince", testIndicatorsChangedSince},
		{"UpsertManyAlerts", testUpsertManyAlerts},
		{"VPNIntervals", testVPNIntervals},
		{"VPNFacts", testVPNFacts},
		{"DeviceRecords", testDeviceRecords},
	}
	tests = append(tests, scanTests...)
	tests = append(tests, proxyHuntTests...)
	tests = append(tests, assetTests...)
	tests = append(tests, alertIdentityTests...)
	tests = append(tests, alertLifecycleTests...)
	tests = append(tests, notifyTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // stores are independent; a cluster's DDL is slow to wait for
			tc.fn(t, open(t))
		})
	}
}

// TestEvent is a small firewall event i, one second after event i-1; events
// differ in their raw line, time and destination.
func TestEvent(i int) event.Network {
	raw := fmt.Sprintf("line %d", i)
	return event.Network{
		ID: event.NewID("test", []byte(raw)), Time: T0.Add(time.Duration(i) * time.Second),
		Kind: event.KindFirewall, Action: "drop", Direction: event.DirInbound, Protocol: "udp",
		SrcIP: netip.MustParseAddr("198.51.100.7"), SrcPort: 22852,
		DstIP: netip.AddrFrom4([4]byte{192, 168, 1, byte(i % 250)}), DstPort: 1900,
		TTL: 242, InIface: "ppp0", Sensor: "router", Format: "netfilter", Raw: raw,
	}
}

// NetfilterEvent is event i as the netfilter parser makes it from a
// realistic kernel LOG line (~130 bytes of raw text).
func NetfilterEvent(i int) event.Network {
	t := T0.Add(time.Duration(i) * time.Second)
	src := netip.AddrFrom4([4]byte{198, 51, byte(i >> 16), byte(i >> 8)})
	dst := netip.AddrFrom4([4]byte{192, 168, 1, byte(i)})
	sport, dport := uint16(1024+i%60000), uint16(22+i%7)
	raw := fmt.Sprintf("%s router kernel: DROP IN=ppp0 OUT= MAC= SRC=%s DST=%s LEN=60 TTL=242 ID=%d PROTO=TCP SPT=%d DPT=%d SYN",
		t.Format("2006-01-02T15:04:05"), src, dst, i%65536, sport, dport)
	return event.Network{
		ID: event.NewID("netfilter", []byte(raw)), Time: t,
		Kind: event.KindFirewall, Action: "drop", Direction: event.DirInbound, Protocol: "tcp",
		SrcIP: src, SrcPort: sport, DstIP: dst, DstPort: dport,
		TTL: 242, TCPFlags: "SYN", InIface: "ppp0", Sensor: "router", Format: "netfilter", Raw: raw,
	}
}

// MixedEvent is event i of a batch that varies every column, with IPv6
// addresses, flows with an end time and NAT address.
func MixedEvent(i int) event.Network {
	ev := NetfilterEvent(i)
	switch i % 3 {
	case 0: // a flow over IPv6, with every field set
		ev.Kind, ev.Format, ev.Protocol, ev.Direction = event.KindFlow, "flowjson", "udp", event.DirOutbound
		ev.SrcIP = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)})
		ev.DstIP = netip.MustParseAddr("2001:db8::53")
		ev.EndTime = ev.Time.Add(time.Duration(i%50) * time.Second)
		ev.DurationS = float64(i%50) + 0.25
		ev.BytesOut, ev.BytesIn, ev.PacketsOut, ev.PacketsIn = uint64(i)<<20, uint64(i), uint64(i%7), 3
		ev.TCPFlags, ev.OutIface, ev.DeviceID, ev.Hostname = "", "eth1", fmt.Sprint("dev-", i%4), "host-ä"
		ev.UserName, ev.Status = "alice", "SF"
		ev.NATIP = netip.MustParseAddr("::ffff:203.0.113.9") // stored unmapped
	case 1: // IPv4-mapped IPv6 source, stored as IPv4
		ev.SrcIP = netip.AddrFrom16(ev.SrcIP.As16())
	}
	return ev
}

// AddrText is an address as every engine stores it: canonical text, IPv4
// unmapped, "" when there is none.
func AddrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}

// query runs q and returns its rows in fmt.Sprint form.
func query(t *testing.T, s store.Store, q string) string {
	t.Helper()
	res, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return fmt.Sprint(res.Rows)
}

// counts returns the store's counts, failing the test on an error.
func counts(t *testing.T, s store.Store) map[string]int64 {
	t.Helper()
	c, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
