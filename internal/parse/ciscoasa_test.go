package parse

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/homesoc/homesoc/internal/event"
)

// asaWant is what one line of testdata/cisco-asa/asa.log must give: a
// network event, a VPN session fact (ID and Raw checked apart), or a skip
// with its reason.
type asaWant struct {
	ev   *event.Network
	vpn  *event.VPNSession
	skip string
}

func TestCiscoASA(t *testing.T) {
	mod := utc(2024, 4, 20, 0, 0, 0)
	lines := readLines(t, "cisco-asa/asa.log")
	vpn := func(v event.VPNSession) asaWant {
		v.Format, v.Sensor = ciscoASAName, "asa-edge"
		return asaWant{vpn: &v}
	}
	fw := func(e event.Network) asaWant {
		e.Kind, e.Format = event.KindFirewall, ciscoASAName
		return asaWant{ev: &e}
	}
	kimura := func(kind string, t time.Time) event.VPNSession {
		return event.VPNSession{Time: t, Kind: kind, User: "kimura", Group: "RA-Staff", RemoteIP: addr("203.0.113.45")}
	}
	at := func(h, m, s int) time.Time { return utc(2024, 3, 14, h, m, s) }
	assign := kimura(event.VPNAssign, at(9, 15, 3))
	assign.AssignedIP = addr("172.16.1.10")
	end := kimura(event.VPNEnd, at(11, 15, 5))
	end.DurationS, end.BytesOut, end.BytesIn, end.Reason = 7203, 1048576, 524288, "User Requested"
	udpEnd := kimura(event.VPNEnd, at(10, 15, 2))
	udpEnd.Reason = "UDP SVC connection terminated without compression"
	want := []asaWant{
		vpn(kimura(event.VPNStart, at(9, 15, 2))),
		vpn(kimura(event.VPNStart, at(9, 15, 3))),
		vpn(assign),
		vpn(event.VPNSession{Time: at(9, 20, 0), Kind: event.VPNStart, User: "sato", Group: "Portal", RemoteIP: addr("198.51.100.7")}),
		vpn(event.VPNSession{Time: at(9, 40, 0), Kind: event.VPNEnd, User: "sato", Group: "Portal", RemoteIP: addr("198.51.100.7"), Reason: "User Requested"}),
		vpn(udpEnd),
		vpn(end),
		fw(event.Network{Time: at(9, 30, 0), Action: "allow", Direction: event.DirOutbound, Protocol: "tcp",
			SrcIP: addr("172.16.1.10"), SrcPort: 51515, DstIP: addr("93.184.216.34"), DstPort: 443,
			InIface: "inside", OutIface: "outside", NATIP: addr("203.0.113.1"), Sensor: "asa-edge"}),
		fw(event.Network{Time: at(9, 30, 0), EndTime: at(9, 31, 5), DurationS: 65, Action: "allow", Direction: event.DirOutbound,
			Protocol: "tcp", SrcIP: addr("172.16.1.10"), SrcPort: 51515, DstIP: addr("93.184.216.34"), DstPort: 443,
			BytesOut: 18230, InIface: "inside", OutIface: "outside", Sensor: "asa-edge", Status: "TCP FINs", UserName: "kimura"}),
		fw(event.Network{Time: mod, Action: "allow", Direction: event.DirInbound, Protocol: "udp",
			SrcIP: addr("198.51.100.9"), SrcPort: 5353, DstIP: addr("10.0.5.5"), DstPort: 53,
			InIface: "outside", OutIface: "dmz", NATIP: addr("203.0.113.5")}),
		fw(event.Network{Time: utc(2024, 4, 2, 3, 2, 4), EndTime: utc(2024, 4, 2, 3, 4, 5), DurationS: 121, Action: "allow",
			Direction: event.DirUnknown, Protocol: "udp", SrcIP: addr("198.51.100.9"), SrcPort: 5353, DstIP: addr("10.0.5.5"), DstPort: 53,
			BytesOut: 312, InIface: "outside", OutIface: "dmz", Sensor: "fw1"}),
		fw(event.Network{Time: at(9, 16, 0), Action: "drop", Direction: event.DirUnknown, Protocol: "icmp",
			SrcIP: addr("192.0.2.66"), DstIP: addr("172.16.1.10"), ICMPType: 8, InIface: "outside", OutIface: "inside",
			RuleName: "outside_access_in"}),
		fw(event.Network{Time: at(9, 16, 1), Action: "drop", Direction: event.DirUnknown, Protocol: "tcp",
			SrcIP: addr("192.0.2.66"), SrcPort: 40000, DstIP: addr("172.16.1.10"), DstPort: 22, InIface: "outside", OutIface: "inside",
			RuleName: "outside_access_in", Sensor: "asa-edge"}),
		fw(event.Network{Time: at(9, 16, 2), Action: "drop", Direction: event.DirUnknown, Protocol: "tcp",
			SrcIP: addr("172.16.1.10"), SrcPort: 51600, DstIP: addr("192.0.2.66"), DstPort: 6667, InIface: "inside", OutIface: "outside",
			RuleName: "inside_in", Sensor: "asa-edge"}),
		fw(event.Network{Time: at(9, 17, 0), Action: "allow", Direction: event.DirInbound, Protocol: "tcp",
			SrcIP: addr("192.0.2.10"), SrcPort: 5555, DstIP: addr("10.0.0.8"), DstPort: 443, InIface: "outside", OutIface: "inside",
			NATIP: addr("203.0.113.8"), UserName: `LOCAL\alice`, Sensor: "ftd1"}),
		{skip: "message 725001: nothing to store"},
		{skip: "no %ASA- or %FTD- message tag: nothing to store"},
		{skip: "message 113019 of a LAN-to-LAN tunnel: nothing to store"},
		vpn(event.VPNSession{Time: at(12, 0, 1), Kind: event.VPNAssign, User: "tanaka", Group: "RA-Staff",
			RemoteIP: addr("2001:db8::45"), AssignedIP: addr("2001:db8:ffff::10")}),
	}
	if len(want) != len(lines) {
		t.Fatalf("%d lines, %d wants", len(lines), len(want))
	}
	p := newCiscoASAParser(Options{ModTime: mod})
	ids := map[event.ID]int{}
	for i, line := range lines {
		var ev event.Network
		err := p.Parse(line, &ev)
		w := want[i]
		switch {
		case w.skip != "":
			if !errors.Is(err, ErrSkip) || err.Error() != w.skip {
				t.Errorf("line %d: got %v, want skip %q", i+1, err, w.skip)
			}
		case w.vpn != nil:
			if !errors.Is(err, ErrExtraOnly) || len(p.Extra().VPNSessions) != 1 {
				t.Errorf("line %d: got %v with %d facts, want one VPN fact", i+1, err, len(p.Extra().VPNSessions))
				continue
			}
			got := p.Extra().VPNSessions[0]
			if got.ID.IsZero() || got.Raw != string(line) {
				t.Errorf("line %d: zero ID or Raw %q", i+1, got.Raw)
			}
			if j, dup := ids[got.ID]; dup {
				t.Errorf("line %d: same ID as line %d", i+1, j)
			}
			ids[got.ID] = i + 1
			got.ID, got.Raw = event.ID{}, ""
			if !reflect.DeepEqual(got, *w.vpn) || got.Time.Location() != time.UTC {
				t.Errorf("line %d:\n got %+v\nwant %+v", i+1, got, *w.vpn)
			}
		default:
			if err != nil {
				t.Errorf("line %d: %v", i+1, err)
				continue
			}
			w.ev.ID = event.NewID(ciscoASAName, line)
			checkEvent(t, *w.ev, ev)
			checkInvariants(t, ciscoASAName, line, &ev)
		}
	}
}

// TestCiscoASAReject checks what malformed lines are rejected with, and
// that stamps without a zone are read in Options.Location.
func TestCiscoASAReject(t *testing.T) {
	for _, c := range []struct{ line, err string }{
		{`%ASA-4-722051: Group <g> User <u> IP <203.0.113.300> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session`, `message 722051: bad IP "203.0.113.300"`},
		{`%ASA-4-722051: Group <g> User <u> IP <203.0.113.3> IPv4 Address <10.0.0> IPv6 address <::> assigned to session`, `message 722051: bad assigned address "10.0.0" / "::"`},
		{`%ASA-4-722051: Group <g> User <u> IP <203.0.113.3> assigned to session`, `message 722051: missing IPv4 Address`},
		{`%ASA-6-113039: Group <g> AnyConnect parent session started.`, `message 113039: missing User`},
		{`%ASA-4-113019: Group = g, Username = u, IP = 192.0.2.1, Session disconnected. Session Type: SSL, Duration: 2x, Bytes xmt: 1, Bytes rcv: 2, Reason: Idle Timeout`, `message 113019: bad Duration "2x"`},
		{`%ASA-6-302014: Teardown TCP connection 1 for outside:192.0.2.1/1 to inside:10.0.0.1/2 duration 0:1:05 bytes 3`, `message 302014: bad duration "0:1:05"`},
		{`%ASA-6-302013: Built sideways TCP connection 1 for outside:192.0.2.1/1 (192.0.2.1/1) to inside:10.0.0.1/2 (10.0.0.1/2)`, `message 302013: bad direction "sideways"`},
		{`%ASA-6-302013: Built inbound TCP connection 1 for outside:192.0.2.1/70000 (192.0.2.1/1) to inside:10.0.0.1/2 (10.0.0.1/2)`, `message 302013: bad port "70000"`},
		{`%ASA-4-106023: Deny tcp src outside:192.0.2.1/1 to inside:10.0.0.1/2 by access-group "x"`, `message 106023: missing dst`},
		{`%ASA-6-106100: access-list a maybe tcp in/10.0.0.1(1) -> out/192.0.2.1(2) hit-cnt 1`, `message 106100: bad verdict "maybe"`},
		{`Mar 14 2024 25:00:00 asa : %ASA-6-302013: Built`, `bad timestamp "Mar 14 25:00:00"`},
		{`2024/03/14 09:00:00 asa : %ASA-6-302013: Built`, `not a cisco-asa line we can read: unrecognised header "2024/03/14 09:00:00 asa :"`},
	} {
		p := newCiscoASAParser(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
		var ev event.Network
		err := p.Parse([]byte(c.line), &ev)
		if err == nil || errors.Is(err, ErrSkip) || errors.Is(err, ErrExtraOnly) || err.Error() != c.err {
			t.Errorf("%s\n got %v\nwant %s", c.line, err, c.err)
		}
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip(err)
	}
	p := newCiscoASAParser(Options{ModTime: utc(2024, 4, 20, 0, 0, 0), Location: tokyo})
	var ev event.Network
	if err := p.Parse([]byte(`Mar 14 2024 09:16:01 asa : %ASA-4-106023: Deny tcp src outside:192.0.2.66/40000 dst inside:172.16.1.10/22 by access-group "in"`), &ev); err != nil {
		t.Fatal(err)
	}
	if want := utc(2024, 3, 14, 0, 16, 1); !ev.Time.Equal(want) || ev.Time.Location() != time.UTC {
		t.Errorf("time in Asia/Tokyo: got %v, want %v", ev.Time, want)
	}
}

// TestCiscoASASniff checks that Detect picks the format from ASA lines.
func TestCiscoASASniff(t *testing.T) {
	lines := readLines(t, "cisco-asa/asa.log")
	f, err := Detect(lines)
	if err != nil || f.Name != ciscoASAName {
		t.Fatalf("Detect = %v, %v", f.Name, err)
	}
	if sniffCiscoASA([]byte("Group <g> User <u> IP <1.2.3.4> SVC closing connection")) {
		t.Error("a body without a tag sniffed as cisco-asa")
	}
}

func FuzzCiscoASA(f *testing.F) {
	fm := seedFuzz(f, ciscoASAName, "cisco-asa/asa.log")
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		p := fm.New(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
		xp := p.(ExtraParser)
		for _, line := range splitLines(in) {
			var ev event.Network
			err := p.Parse(line, &ev)
			n := xp.Extra().Len()
			switch {
			case errors.Is(err, ErrExtraOnly):
				if n == 0 {
					t.Fatalf("ErrExtraOnly without facts for %q", line)
				}
				for _, s := range xp.Extra().VPNSessions {
					checkVPNFact(t, line, &s)
				}
			case n != 0:
				t.Fatalf("%d facts with error %v for %q", n, err, line)
			case errors.Is(err, ErrSkip):
			case err != nil:
				if err.Error() == "" {
					t.Fatalf("empty error for %q", line)
				}
			default:
				checkInvariants(t, ciscoASAName, line, &ev)
			}
		}
	})
}

// checkVPNFact fails t if a VPN session fact breaks what stores and
// attribution rely on.
func checkVPNFact(t *testing.T, line []byte, s *event.VPNSession) {
	t.Helper()
	ok := !s.ID.IsZero() && !s.Time.IsZero() && s.Time.Location() == time.UTC && s.Time.Nanosecond() == 0 &&
		s.Format == ciscoASAName && s.Raw == string(line) && s.RemoteIP.IsValid() &&
		(s.Kind == event.VPNStart || s.Kind == event.VPNEnd || s.Kind == event.VPNAssign && s.AssignedIP.IsValid()) &&
		utf8Valid(s.User, s.Group, s.Reason, s.Sensor)
	if !ok {
		t.Fatalf("accepted %q into %+v", line, *s)
	}
}

func splitLines(in []byte) [][]byte { return bytes.Split(in, []byte("\n")) }

func utf8Valid(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

// BenchmarkCiscoASA parses the sample file: session facts, connections,
// denies and skipped messages.
func BenchmarkCiscoASA(b *testing.B) {
	lines := readLines(b, "cisco-asa/asa.log")
	p := newCiscoASAParser(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	var ev event.Network
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.Parse(lines[i%len(lines)], &ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkCiscoASAConn parses connection lines only, the bulk of a real
// ASA log.
func BenchmarkCiscoASAConn(b *testing.B) {
	lines := readLines(b, "cisco-asa/asa.log")[7:15]
	p := newCiscoASAParser(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
	var ev event.Network
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Parse(lines[i%len(lines)], &ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
