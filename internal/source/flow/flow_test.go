package flow

import (
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/source"
)

var update = flag.Bool("update", false, "rewrite testdata fixtures and fuzz seeds")

const secs = 1700000000 // 2023-11-14T22:13:20Z

var (
	v9Fields = []field{
		{8, ip("192.168.1.10")}, {12, ip("203.0.113.5")}, {7, u16(50000)}, {11, u16(443)}, {4, u8(6)},
		{6, u8(0x1b)}, {231, u32(1200)}, {232, u32(5400)}, {298, u32(10)}, {299, u32(8)},
		{22, u32(90000)}, {21, u32(99500)}, {10, u16(2)}, {14, u16(1)},
		{225, ip("198.51.100.7")}, {226, ip("203.0.113.5")}, {233, u8(1)},
	}
	ipfixFields = []field{
		{27, ip("2001:db8::10")}, {28, ip("2001:db8:ffff::53")}, {7, u16(5353)}, {11, u16(53)}, {4, u8(17)},
		{1, u64(300)}, {2, u64(3)}, {152, u64(secs*1000 - 4000)}, {153, u64(secs*1000 - 1500)},
		{10, u32(7)}, {14, u32(8)}, {233, u8(3)}, {56, []byte{0x02, 0, 0, 0, 0, 0x0a}},
	}
	ipfixTpl = templateSet(2, 300, ipfixFields)
	v9Tpl    = templateSet(0, 256, v9Fields)
)

// fixtures are our own datagrams, in the order they are sent.
func fixtures() map[string][][]byte {
	return map[string][][]byte{
		"v5": {v5Datagram(100000, secs, 0, 42,
			v5Flow{src: "10.0.0.2", dst: "198.51.100.1", next: "10.0.0.1", in: 3, out: 4, packets: 5, octets: 420,
				first: 90000, last: 99000, sport: 40000, dport: 22, flags: 0x02, proto: 6},
			v5Flow{src: "10.0.0.2", dst: "198.51.100.1", next: "10.0.0.1", in: 3, out: 4, packets: 1, octets: 84,
				first: 95000, last: 95000, dport: 8<<8 | 0, proto: 1})},
		"v9":    {v9Datagram(100000, secs, 7, 1, v9Tpl), v9Datagram(100000, secs, 8, 1, dataSet(256, v9Fields))},
		"ipfix": {ipfixDatagram(secs, 1, 9, ipfixTpl), ipfixDatagram(secs, 2, 9, dataSet(300, ipfixFields))},
		"sflow": {sflowDatagram("192.0.2.9", 11, 512, 3, 4, 1514, tcpFrame("10.1.1.1", "10.2.2.2", 51000, 80, 0x12))},
	}
}

func utc(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }

// wantEvents are the fixtures' records (ID and Raw checked apart).
var wantEvents = map[string][]event.Network{
	"v5": {
		{Time: utc("2023-11-14T22:13:10Z"), EndTime: utc("2023-11-14T22:13:19Z"), DurationS: 9, Kind: "flow", Action: "allow",
			Direction: "unknown", Protocol: "tcp", SrcIP: addr("10.0.0.2"), SrcPort: 40000, DstIP: addr("198.51.100.1"), DstPort: 22,
			BytesOut: 420, PacketsOut: 5, TCPFlags: "SYN", InIface: "3", OutIface: "4", Format: "netflow"},
		{Time: utc("2023-11-14T22:13:15Z"), EndTime: utc("2023-11-14T22:13:15Z"), Kind: "flow", Action: "allow",
			Direction: "unknown", Protocol: "icmp", SrcIP: addr("10.0.0.2"), DstIP: addr("198.51.100.1"), ICMPType: 8,
			BytesOut: 84, PacketsOut: 1, InIface: "3", OutIface: "4", Format: "netflow"},
	},
	"v9": {
		{Time: utc("2023-11-14T22:13:10Z"), EndTime: utc("2023-11-14T22:13:19Z"), DurationS: 9.5, Kind: "flow", Action: "allow",
			Direction: "unknown", Protocol: "tcp", SrcIP: addr("192.168.1.10"), SrcPort: 50000, DstIP: addr("203.0.113.5"), DstPort: 443,
			BytesOut: 1200, BytesIn: 5400, PacketsOut: 10, PacketsIn: 8, TCPFlags: "FIN SYN PSH ACK", InIface: "2", OutIface: "1",
			NATIP: addr("198.51.100.7"), Status: "flow-created", Format: "netflow"},
	},
	"ipfix": {
		{Time: utc("2023-11-14T22:13:16Z"), EndTime: utc("2023-11-14T22:13:18Z"), DurationS: 2.5, Kind: "flow", Action: "deny",
			Direction: "unknown", Protocol: "udp", SrcIP: addr("2001:db8::10"), SrcPort: 5353, DstIP: addr("2001:db8:ffff::53"), DstPort: 53,
			BytesOut: 300, PacketsOut: 3, InIface: "7", OutIface: "8", SrcMAC: "02:00:00:00:00:0a", Status: "flow-denied", Format: "ipfix"},
	},
	"sflow": {
		{Kind: "flow", Action: "allow", Direction: "unknown", Protocol: "tcp", SrcIP: addr("10.1.1.1"), SrcPort: 51000,
			DstIP: addr("10.2.2.2"), DstPort: 80, BytesOut: 1514, PacketsOut: 1, TTL: 64, TCPFlags: "SYN ACK", IPID: 0x1234,
			TCPWindow: 0xfaf0, PacketLen: 60, SrcMAC: "02:00:00:00:00:01", DstMAC: "02:00:00:00:00:02", InIface: "3", OutIface: "4",
			Format: "sflow"},
	},
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestFixtures sends our own datagrams over loopback and checks every
// field of what the listener hands on; the fixtures in testdata are what
// the encoder writes (-update rewrites them).
func TestFixtures(t *testing.T) {
	for name, dgs := range fixtures() {
		t.Run(name, func(t *testing.T) {
			for i, d := range dgs {
				file := filepath.Join("testdata", fmt.Sprintf("%s-%d.bin", name, i))
				if *update {
					if err := os.WriteFile(file, d, 0o644); err != nil {
						t.Fatal(err)
					}
					seed := filepath.Join("testdata", "fuzz", "FuzzDatagram", fmt.Sprintf("%s-%d", name, i))
					if err := os.WriteFile(seed, fmt.Appendf(nil, "go test fuzz v1\nstring(%q)\n[]byte(%q)\n", protocolOf(name), d), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if b, err := os.ReadFile(file); err != nil || !bytes.Equal(b, d) {
					t.Fatalf("%s differs from the encoder's output (go test -run TestFixtures -update): %v", file, err)
				}
			}
			sink := &collectSink{}
			l := startListener(t, protocolOf(name), sink)
			start := time.Now()
			sendFrom(t, l, "127.0.0.1", dgs...)
			recs := sink.records()
			want := wantEvents[name]
			if len(recs) != len(want) {
				t.Fatalf("%d records, want %d: %+v", len(recs), len(want), recs)
			}
			scheme := "netflow://"
			if name == "sflow" {
				scheme = "sflow://"
			}
			for i, r := range recs {
				ev := *r.Event
				if r.Source != scheme+"127.0.0.1" || r.Format != want[i].Format || r.Reject != "" || r.Received.Before(start) {
					t.Errorf("record %d: source %q format %q reject %q received %v", i, r.Source, r.Format, r.Reject, r.Received)
				}
				if ev.Raw != string(r.Line) || ev.ID.IsZero() || ev.Sensor != "127.0.0.1" {
					t.Errorf("record %d: raw %q line %q id %v sensor %q", i, ev.Raw, r.Line, ev.ID, ev.Sensor)
				}
				if name == "sflow" {
					if ev.Time.Before(start.Truncate(time.Second)) || ev.Time.After(time.Now()) {
						t.Errorf("sflow time %v not when received", ev.Time)
					}
					ev.Time = time.Time{}
				}
				ev.ID, ev.Raw, ev.Sensor = event.ID{}, "", ""
				if !reflect.DeepEqual(ev, want[i]) {
					t.Errorf("record %d:\n got %+v\nwant %+v\nline %s", i, ev, want[i], r.Line)
				}
			}
			wantSkipped := uint64(0)
			if name == "sflow" {
				wantSkipped = 1 // the counter sample
			}
			if s := l.Stats(); s.DecodeErrors != 0 || s.Exporters["127.0.0.1"] != uint64(len(dgs)) || s.Skipped != wantSkipped {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func protocolOf(fixture string) string {
	if fixture == "sflow" {
		return ProtocolSFlow
	}
	return ProtocolNetFlow
}

// TestLine pins the text form of a record: it is the stored raw record.
func TestLine(t *testing.T) {
	d := newDecoder(ProtocolNetFlow)
	now := time.Unix(secs, 0)
	var out []source.Record
	for _, dg := range fixtures()["v9"] {
		out = d.datagram(addr("192.0.2.1"), dg, now, out)
	}
	want := "v9 exporter=192.0.2.1 domain=1 seq=8 uptime=100000 unixSecs=1700000000 template=256" +
		" sourceIPv4Address=192.168.1.10 destinationIPv4Address=203.0.113.5 sourceTransportPort=50000" +
		" destinationTransportPort=443 protocolIdentifier=6 tcpControlBits=27 initiatorOctets=1200 responderOctets=5400" +
		" initiatorPackets=10 responderPackets=8 flowStartSysUpTime=90000 flowEndSysUpTime=99500 ingressInterface=2" +
		" egressInterface=1 postNATSourceIPv4Address=198.51.100.7 postNATDestinationIPv4Address=203.0.113.5 firewallEvent=1"
	if len(out) != 1 || string(out[0].Line) != want {
		t.Fatalf("got %+v\nwant %q", out, want)
	}
}

// TestSameDatagramSameID: a re-sent datagram makes the same ids (the
// store keeps it once); distinct records and exporters make distinct ids.
func TestSameDatagramSameID(t *testing.T) {
	d := newDecoder(ProtocolNetFlow)
	now := time.Unix(secs, 0)
	dg := fixtures()["v5"][0]
	a := d.datagram(addr("192.0.2.1"), dg, now, nil)
	b := d.datagram(addr("192.0.2.1"), dg, now.Add(time.Minute), nil)
	c := d.datagram(addr("192.0.2.2"), dg, now, nil)
	if len(a) != 2 || a[0].Event.ID != b[0].Event.ID || a[1].Event.ID != b[1].Event.ID {
		t.Fatalf("re-sent datagram: ids differ")
	}
	if a[0].Event.ID == a[1].Event.ID || a[0].Event.ID == c[0].Event.ID {
		t.Fatalf("distinct records share an id")
	}
}

// TestDataBeforeTemplate: data that comes before its template is held and
// decoded when the template comes; templates are per exporter; held data
// whose template does not come in time is counted as a no-template drop.
func TestDataBeforeTemplate(t *testing.T) {
	dgs := fixtures()["ipfix"]
	sink := &collectSink{}
	l := startListener(t, ProtocolNetFlow, sink)
	sendFrom(t, l, "127.0.0.2", dgs[1])
	sendFrom(t, l, "127.0.0.3", dgs[0]) // another exporter's template
	if s := l.Stats(); len(sink.records()) != 0 || s.TemplateMisses != 1 || s.Pending != 1 {
		t.Fatalf("before its template: %d records, stats %+v", len(sink.records()), s)
	}
	sendFrom(t, l, "127.0.0.2", dgs[0])
	recs := sink.records()
	if s := l.Stats(); len(recs) != 1 || s.Pending != 0 || s.NoTemplateDrops != 0 || s.Records != 1 {
		t.Fatalf("after its template: %d records, stats %+v", len(recs), s)
	}
	if recs[0].Event.SrcIP != addr("2001:db8::10") || recs[0].Source != "netflow://127.0.0.2" {
		t.Errorf("held record: %+v", recs[0])
	}

	d := newDecoder(ProtocolNetFlow)
	now := time.Unix(secs, 0)
	d.datagram(addr("192.0.2.1"), dgs[1], now, nil)
	d.datagram(addr("192.0.2.1"), dgs[1], now.Add(pendingTTL+time.Second), nil)
	if s := d.stats(); s.NoTemplateDrops != 1 || s.Pending != 1 || s.TemplateMisses != 2 {
		t.Fatalf("expiry: %+v", s)
	}
	for range maxPendingPerExp {
		d.datagram(addr("192.0.2.1"), dgs[1], now.Add(pendingTTL+time.Second), nil)
	}
	if s := d.stats(); s.NoTemplateDrops != 2 || s.Pending != maxPendingPerExp {
		t.Fatalf("bound: %+v", s)
	}
}

// TestRejects: datagrams that cannot be decoded are handed on as rejects
// with their bytes in hex and a reason, and the listener goes on.
func TestRejects(t *testing.T) {
	emptyTpl := v9Datagram(1, secs, 1, 0, set(0, []byte{1, 0, 0, 0}), set(256, make([]byte, 8)))
	cases := []struct {
		name, protocol, reason string
		dg                     []byte
	}{
		{"one byte", ProtocolNetFlow, "too short for a version", []byte{9}},
		{"version 7", ProtocolNetFlow, "unsupported version 7", []byte{0, 7, 0, 0}},
		{"v5 truncated", ProtocolNetFlow, "2 records need 120", fixtures()["v5"][0][:100]},
		{"v9 truncated header", ProtocolNetFlow, "netflow v9", fixtures()["v9"][0][:10]},
		{"empty template", ProtocolNetFlow, "template whose records hold no bytes", emptyTpl},
		{"sflow version 4", ProtocolSFlow, "unknown version 4", append(u32(4), make([]byte, 40)...)},
		{"sflow huge expanded sample", ProtocolSFlow, "expanded flow sample with", expandedSFlow(1 << 30)},
		{"big garbage", ProtocolNetFlow, "unsupported version", bytes.Repeat([]byte{0xff}, 3000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sink := &collectSink{}
			l := startListener(t, c.protocol, sink)
			sendFrom(t, l, "127.0.0.1", c.dg)
			recs := sink.records()
			if len(recs) != 1 || !strings.Contains(recs[0].Reject, c.reason) || recs[0].Event != nil {
				t.Fatalf("got %+v, want one reject with %q", recs, c.reason)
			}
			n := min(len(c.dg), maxRejectHex)
			if string(recs[0].Line) != fmt.Sprintf("%x", c.dg[:n]) {
				t.Errorf("line %q", recs[0].Line)
			}
			if s := l.Stats(); s.DecodeErrors != 1 {
				t.Errorf("stats %+v", s)
			}
			// The listener still decodes what comes next.
			if c.protocol == ProtocolNetFlow {
				sendFrom(t, l, "127.0.0.1", fixtures()["v5"][0])
				if got := len(sink.records()); got != 3 {
					t.Errorf("after the reject: %d records, want 3", got)
				}
			}
		})
	}
}

// expandedSFlow is an sFlow datagram with one expanded flow sample that
// claims n records.
func expandedSFlow(n uint32) []byte {
	b := append(u32(5), u32(1)...)
	b = append(b, ip("192.0.2.1")...)
	b = append(b, u32(0)...)
	b = append(b, u32(1)...)
	b = append(b, u32(1)...)
	b = append(b, u32(1)...)
	s := make([]byte, 40)
	s = append(s, u32(n)...)
	b = append(b, u32(3)...)
	b = append(b, u32(uint32(len(s)))...)
	return append(b, s...)
}

// TestBackPressure: what the sink has no room for is counted as dropped.
func TestBackPressure(t *testing.T) {
	sink := &collectSink{room: 3}
	l := startListener(t, ProtocolNetFlow, sink)
	dg := fixtures()["v5"][0]
	sendFrom(t, l, "127.0.0.1", dg, dg, dg)
	if s := l.Stats(); len(sink.records()) != 2 || s.Dropped != 4 || s.Records != 6 {
		t.Fatalf("%d records, stats %+v", len(sink.records()), s)
	}
}

// TestListenErrors: bad configs fail with the address in the error.
func TestListenErrors(t *testing.T) {
	if _, err := Listen(Config{Listen: "127.0.0.1:0", Protocol: "jflow"}); err == nil || !strings.Contains(err.Error(), `unknown protocol "jflow"`) {
		t.Errorf("protocol: %v", err)
	}
	if _, err := Listen(Config{Listen: "127.0.0.1:99999"}); err == nil || !strings.Contains(err.Error(), "netflow udp 127.0.0.1:99999") {
		t.Errorf("address: %v", err)
	}
}
