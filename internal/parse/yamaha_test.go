package parse

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// yamahaOpts places the fixtures' year-less stamps in 2024; lines without
// a stamp take ModTime.
var yamahaOpts = Options{ModTime: utc(2024, 4, 20, 0, 0, 0)}

// rtx is a firewall event of the yamaha-rtx format.
func rtx(e event.Network) event.Network {
	e.Kind, e.Format = event.KindFirewall, yamahaName
	return e
}

// TestYamahaGood checks every field of the events of testdata/yamaha-rtx.log:
// reject and pass filters on PP, LAN and TUNNEL interfaces or none, TCP,
// UDP, ICMP, ICMPv6, GRE and ESP, IPv6 in RTX's addr.port form and in
// brackets, [INSPECT] sessions, and each header shape (RFC 3164 with a host
// or an empty one, RFC 5424, the raw <pri>, show log).
func TestYamahaGood(t *testing.T) {
	const host = "192.168.100.1"
	received := utc(2024, 4, 20, 0, 0, 0)
	want := []event.Network{
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 15, 1), Action: "drop", Direction: event.DirInbound, Protocol: "tcp",
			SrcIP: addr("198.51.100.7"), SrcPort: 44321, DstIP: addr("192.0.2.1"), DstPort: 445, RuleName: "200020",
			InIface: "PP[01]", Sensor: host}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 15, 2), Action: "drop", Direction: event.DirInbound, Protocol: "tcp",
			SrcIP: addr("203.0.113.9"), SrcPort: 51234, DstIP: addr("192.0.2.1"), DstPort: 23, RuleName: "1000", Sensor: host}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 15, 3), Action: "drop", Direction: event.DirOutbound, Protocol: "udp",
			SrcIP: addr("192.168.0.10"), SrcPort: 137, DstIP: addr("203.0.113.5"), DstPort: 137, RuleName: "3000",
			OutIface: "LAN2", Sensor: "rtx830"}),
		rtx(event.Network{Time: received, Action: "drop", Direction: event.DirInbound, Protocol: "udp",
			SrcIP: addr("192.168.10.1"), SrcPort: 67, DstIP: addr("255.255.255.255"), DstPort: 68, RuleName: "300",
			InIface: "TUNNEL[1]"}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 15, 5), Action: "allow", Direction: event.DirInbound, Protocol: "udp",
			SrcIP: addr("203.0.113.53"), SrcPort: 53, DstIP: addr("192.0.2.1"), DstPort: 52111, RuleName: "200099",
			InIface: "PP[01]", Sensor: host}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 15, 6), Action: "drop", Direction: event.DirInbound, Protocol: "icmp",
			SrcIP: addr("198.51.100.9"), DstIP: addr("192.0.2.1"), ICMPType: 8, RuleName: "1010", InIface: "LAN2", Sensor: host}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 20, 30), Action: "allow", Direction: event.DirOutbound, Protocol: "tcp",
			SrcIP: addr("192.168.100.2"), SrcPort: 62124, DstIP: addr("203.0.113.1"), DstPort: 80, RuleName: "101098",
			OutIface: "LAN2", Sensor: host}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 20, 31), Action: "allow", Direction: event.DirInbound, Protocol: "udp",
			SrcIP: addr("203.0.113.7"), SrcPort: 123, DstIP: addr("192.0.2.1"), DstPort: 123, RuleName: "101", InIface: "PP[01]"}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 20, 40), Action: "allow", Direction: event.DirOutbound, Protocol: "tcp",
			SrcIP: addr("2001:db8:1::10"), SrcPort: 56609, DstIP: addr("2001:db8:ffff::1"), DstPort: 443, RuleName: "31",
			OutIface: "LAN2", Sensor: host}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 20, 51), Action: "drop", Direction: event.DirInbound, Protocol: "tcp",
			SrcIP: addr("2001:db8:ffff::1"), SrcPort: 443, DstIP: addr("2001:db8:1::10"), DstPort: 56609, RuleName: "11",
			InIface: "LAN2", Sensor: host}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 20, 52), Action: "drop", Direction: event.DirInbound, Protocol: "ipv6-icmp",
			SrcIP: addr("2001:db8:ffff::1"), DstIP: addr("2001:db8:1::10"), ICMPType: 128, RuleName: "12", InIface: "LAN2", Sensor: host}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 21, 0), Action: "drop", Direction: event.DirOutbound, Protocol: "udp",
			SrcIP: addr("192.168.1.1"), SrcPort: 10395, DstIP: addr("203.0.113.2"), DstPort: 500, RuleName: "default", OutIface: "PP[01]"}),
		rtx(event.Network{Time: utc(2024, 3, 4, 1, 21, 1), Action: "drop", Direction: event.DirInbound, Protocol: "gre",
			SrcIP: addr("198.51.100.20"), DstIP: addr("192.0.2.1"), RuleName: "1010", InIface: "LAN2", Sensor: "rtx1210"}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 21, 2), Action: "allow", Direction: event.DirOutbound, Protocol: "esp",
			SrcIP: addr("192.0.2.1"), DstIP: addr("198.51.100.21"), RuleName: "200098", OutIface: "PP[01]", Sensor: host}),
		rtx(event.Network{Time: utc(2024, 3, 4, 10, 21, 0), Action: "allow", Direction: event.DirOutbound, Protocol: "tcp",
			SrcIP: addr("192.168.100.3"), SrcPort: 50000, DstIP: addr("203.0.113.1"), DstPort: 443, RuleName: "101098", OutIface: "LAN2"}),
		rtx(event.Network{Time: received, Action: "allow", Direction: event.DirOutbound, Protocol: "udp",
			SrcIP: addr("2001:db8:1::10"), SrcPort: 500, DstIP: addr("2001:db8:ffff::2"), DstPort: 500, RuleName: "400", OutIface: "TUNNEL[1]"}),
	}
	lines := readLines(t, "yamaha-rtx.log")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	p := newYamahaParser(yamahaOpts)
	for i, line := range lines {
		t.Run(fmt.Sprint(i+1), func(t *testing.T) {
			var got event.Network
			if err := p.Parse(line, &got); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			w := want[i]
			w.ID = event.NewID(yamahaName, line)
			checkEvent(t, w, got)
			checkInvariants(t, yamahaName, line, &got)
		})
	}
}

// TestYamahaBad checks the reason of each broken line of
// testdata/yamaha-rtx.bad.log, in order: each is rejected, not skipped.
func TestYamahaBad(t *testing.T) {
	want := []string{
		`bad filter reference "SIDEWAYS(1)", want IN(n) or OUT(n)`,
		`bad filter number "1 0"`,
		`missing ")" after the filter number`,
		`missing "filter:" after the filter number 1000`,
		"missing protocol",
		"missing destination address",
		`missing ">" after the source address "203.0.113.9:51234"`,
		`bad source address "203.0.113.999:51234"`,
		`bad source address "203.0.113.9:99999"`,
		`bad destination address "192.0.2:23"`,
		`unexpected text after the destination: "junk"`,
		`bad protocol "T!P"`,
		`port on an icmp address "198.51.100.9:5" > "192.0.2.1"`,
		`bad [INSPECT] interface "LAN2[sideways][101098]", want iface[in|out][n]`,
		`impossible date "2024/02/30"`,
		`unexpected text after the destination: "yesterday", want (yyyy/mm/dd hh:mm:ss)`,
		"impossible date Mar 44",
		`unrecognised text before the filter record: "rtx PP[01]"`,
		`unrecognised text before the filter record: "192.168.100.1 rtx PP[01]"`,
	}
	lines := readLines(t, "yamaha-rtx.bad.log")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	p := newYamahaParser(yamahaOpts)
	for i, line := range lines {
		var ev event.Network
		err := p.Parse(line, &ev)
		if err == nil || err.Error() != want[i] || errors.Is(err, ErrSkip) {
			t.Errorf("line %d: error = %v, want %q", i+1, err, want[i])
		}
	}
}

// TestYamahaOther checks lines that are not IP filter records: the
// router's other messages and Ethernet filter records are skipped, junk is
// rejected.
func TestYamahaOther(t *testing.T) {
	tests := []struct{ line, want string }{
		{"Mar  4 10:15:01 192.168.100.1 PP[01] Connecting to PPPoE server",
			`router message "192.168.100.1 PP[01] Connecting to PPPoE server" is not a filter log: nothing to store`},
		{"<190>[DHCPD] LAN1(port1) Extends 192.168.1.155: ac:44:f2:5a:d7:20",
			`router message "[DHCPD] LAN1(port1) Extends 192.168.1.155: ac:44:f2:5a:d7:20" is not a filter log: nothing to store`},
		{"2018/10/25 15:46:26: same message repeated 3 times",
			`router message "same message repeated 3 times" is not a filter log: nothing to store`},
		{"Login succeeded for TELNET: 192.168.100.2",
			`router message "Login succeeded for TELNET: 192.168.100.2" is not a filter log: nothing to store`},
		{"Mar  4 10:15:01 192.168.100.1 LAN1(port1) Rejected at IN(100) filter: 00:a0:de:01:02:03 > ff:ff:ff:ff:ff:ff IP",
			"ethernet filter record (MAC addresses, no IP): nothing to store"},
		{"  ", "nothing to store"},
		{"PP[01] Rejected at IN(1) filter: TCP 203.0.113.9:1 > 192.0.2.1:2\x01", "not a Yamaha RTX line: binary data at byte 64"},
		{"<134>1 2024-03-04T10:21:01+09:00 rtx1210 - - - [x LAN2 Rejected", `bad RFC 5424 header "2024-03-04T10:21:01+09:00 rtx1210 - - - [x LAN2 Rejected"`},
		{"<189>host [INSPECT] LAN2[out][1] TCP 192.0.2.1:1 > 203.0.113.1:2", `unrecognised text before [INSPECT]: "host"`},
	}
	p := newYamahaParser(yamahaOpts)
	for _, tt := range tests {
		var ev event.Network
		err := p.Parse([]byte(tt.line), &ev)
		checkLineError(t, err, tt.want, 0)
	}
}

// TestYamahaHostOrIface checks how the word between a syslog stamp and the
// record is read: an RTX interface name is the interface, anything else the
// host.
func TestYamahaHostOrIface(t *testing.T) {
	tests := []struct{ word, host, iface string }{
		{"192.168.100.1", "192.168.100.1", ""},
		{"rtx830", "rtx830", ""},
		{"LAN2", "", "LAN2"},
		{"PP[01]", "", "PP[01]"},
		{"TUNNEL[12]", "", "TUNNEL[12]"},
		{"WAN1", "", "WAN1"},
		{"LANDING", "LANDING", ""},
	}
	p := newYamahaParser(yamahaOpts)
	for _, tt := range tests {
		line := "Mar  4 10:15:01 " + tt.word + " Rejected at IN(1) filter: TCP 203.0.113.9:1 > 192.0.2.1:2"
		var ev event.Network
		if err := p.Parse([]byte(line), &ev); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if ev.Sensor != tt.host || ev.InIface != tt.iface {
			t.Errorf("%s: sensor %q, interface %q; want %q, %q", tt.word, ev.Sensor, ev.InIface, tt.host, tt.iface)
		}
	}
}

// TestYamahaAddrPort checks the address forms: IPv4 with and without a
// port, IPv6 with RTX's ".port", in brackets, alone, and IPv4-mapped.
func TestYamahaAddrPort(t *testing.T) {
	tests := []struct {
		in   string
		addr string
		port uint16
		ok   bool
	}{
		{"192.0.2.1:80", "192.0.2.1", 80, true},
		{"192.0.2.1", "192.0.2.1", 0, true},
		{"2001:db8::1.443", "2001:db8::1", 443, true},
		{"2001:db8::1", "2001:db8::1", 0, true},
		{"[2001:db8::1]:443", "2001:db8::1", 443, true},
		{"[2001:db8::1]", "2001:db8::1", 0, true},
		{"::ffff:192.0.2.1", "::ffff:192.0.2.1", 0, true},
		{"::ffff:192.0.2.1.80", "::ffff:192.0.2.1", 80, true},
		{"192.0.2.1:", "", 0, false},
		{"192.0.2.1:65536", "", 0, false},
		{"2001:db8::1.", "", 0, false},
		{"[2001:db8::1]443", "", 0, false},
		{"[192.0.2.1]:443", "", 0, false},
		{"host:80", "", 0, false},
		{"", "", 0, false},
	}
	for _, tt := range tests {
		a, port, _, ok := yamahaAddrPort([]byte(tt.in))
		if ok != tt.ok || (ok && (a != netip.MustParseAddr(tt.addr) || port != tt.port)) {
			t.Errorf("yamahaAddrPort(%q) = %v, %d, %v; want %s, %d, %v", tt.in, a, port, ok, tt.addr, tt.port, tt.ok)
		}
	}
}

// TestYamahaSniff checks that Detect picks yamaha-rtx from filter records
// and [INSPECT] lines, and that the sniff leaves other formats' lines alone.
func TestYamahaSniff(t *testing.T) {
	for line, want := range map[string]bool{
		"Mar  4 10:15:01 192.168.100.1 PP[01] Rejected at IN(200020) filter: TCP 198.51.100.7:44321 > 192.0.2.1:445": true,
		"Passed at OUT(3000) filter: UDP 192.168.0.10:137 > 203.0.113.5:137":                                         true,
		"<13> [INSPECT] LAN2[out][200102] TCP 192.0.2.1:40980 > 203.0.113.1:80 (2012/06/19 10:10:44)":                true,
		"Mar  4 10:15:01 192.168.100.1 PP[01] Connecting to PPPoE server":                                            false,
		"Mar  4 10:15:01 fw kernel: [WAN_IN-10-D]IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8":                               false,
		"<134>Jul  3 19:10:30 filterlog[72237]: 146,,,1535324496,igb1.12,match,block,in,4":                           false,
		"Rejected at IN(1) by the user": false,
	} {
		if got := sniffYamaha([]byte(line)); got != want {
			t.Errorf("sniffYamaha(%q) = %v, want %v", line, got, want)
		}
	}
	fm, err := Detect(readLines(t, "yamaha-rtx.log"))
	if err != nil || fm.Name != yamahaName {
		t.Errorf("Detect = %q, %v; want %s", fm.Name, err, yamahaName)
	}
	// A stream mostly of the router's other messages is still the router's.
	mixed := [][]byte{
		[]byte("Mar  4 10:15:01 192.168.100.1 PP[01] Connecting to PPPoE server"),
		[]byte("Mar  4 10:15:02 192.168.100.1 PP[01] PPP/IPCP up"),
		[]byte("Mar  4 10:15:03 192.168.100.1 PP[01] Rejected at IN(200020) filter: TCP 198.51.100.7:44321 > 192.0.2.1:445"),
	}
	if fm, err := Detect(mixed); err != nil || fm.Name != yamahaName {
		t.Errorf("Detect(mixed) = %q, %v; want %s", fm.Name, err, yamahaName)
	}
}

// TestYamahaLocation checks that the router's own stamps ([INSPECT], show
// log) and year-less syslog stamps are read in Options.Location.
func TestYamahaLocation(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	p := newYamahaParser(Options{ModTime: utc(2024, 4, 20, 0, 0, 0), Location: tokyo})
	for line, want := range map[string]time.Time{
		"<189>[INSPECT] LAN2[out][1] TCP 192.0.2.1:1 > 203.0.113.1:2 (2024/03/04 10:20:30)":       utc(2024, 3, 4, 1, 20, 30),
		"2024/03/04 10:21:00: PP[01] Rejected at IN(1) filter: TCP 203.0.113.9:1 > 192.0.2.1:2":   utc(2024, 3, 4, 1, 21, 0),
		"Mar  4 10:15:01 192.168.100.1 Rejected at IN(1) filter: TCP 203.0.113.9:1 > 192.0.2.1:2": utc(2024, 3, 4, 1, 15, 1),
	} {
		var ev event.Network
		if err := p.Parse([]byte(line), &ev); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if !ev.Time.Equal(want) || ev.Time.Location() != time.UTC {
			t.Errorf("%s: time %v, want %v UTC", line, ev.Time, want)
		}
	}
}

// TestYamahaSniffsAlone checks that only yamaha-rtx claims the lines of
// its fixtures, and that it claims no line of the other formats' fixtures.
func TestYamahaSniffsAlone(t *testing.T) {
	for _, file := range []string{"yamaha-rtx.log", "yamaha-rtx.bad.log"} {
		for i, line := range readLines(t, file) {
			for _, f := range Formats() {
				if f.Name != yamahaName && f.Sniff(line) {
					t.Errorf("%s:%d: %s claims it", file, i+1, f.Name)
				}
			}
		}
	}
	for _, file := range []string{"netfilter.good.log", "filterlog.good.log", "filterlog.bad.log", "conn.log", "conn.json",
		"flows.jsonl", "cisco-asa/asa.log", "fortigate/fortigate.log", "openvpn/server.log", "squid/access.log",
		"crowdstrike/fdr.jsonl", "defender/streaming.jsonl"} {
		for i, line := range readLines(t, file) {
			if sniffYamaha(line) {
				t.Errorf("%s:%d: yamaha-rtx claims it", file, i+1)
			}
		}
	}
}

// TestYamahaListenerLine checks the lines homesoc's syslog listener makes
// of the router's header-less datagrams: an RFC 3339 stamp and the sender's
// address put before the message.
func TestYamahaListenerLine(t *testing.T) {
	p := newYamahaParser(yamahaOpts)
	for line, want := range map[string]event.Network{
		"2024-03-04T01:20:45Z 192.168.100.1 [INSPECT] LAN2[out][101098] TCP 192.168.100.2:62124 > 203.0.113.1:80 (2024/03/04 10:20:30)": rtx(event.Network{
			Time: utc(2024, 3, 4, 10, 20, 30), Action: "allow", Direction: event.DirOutbound, Protocol: "tcp", SrcIP: addr("192.168.100.2"),
			SrcPort: 62124, DstIP: addr("203.0.113.1"), DstPort: 80, RuleName: "101098", OutIface: "LAN2", Sensor: "192.168.100.1"}),
		"2024-03-04T01:15:01Z 192.168.100.1 PP[01] Rejected at IN(200020) filter: TCP 198.51.100.7:44321 > 192.0.2.1:445": rtx(event.Network{
			Time: utc(2024, 3, 4, 1, 15, 1), Action: "drop", Direction: event.DirInbound, Protocol: "tcp", SrcIP: addr("198.51.100.7"),
			SrcPort: 44321, DstIP: addr("192.0.2.1"), DstPort: 445, RuleName: "200020", InIface: "PP[01]", Sensor: "192.168.100.1"}),
	} {
		var got event.Network
		if err := p.Parse([]byte(line), &got); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		want.ID = event.NewID(yamahaName, []byte(line))
		checkEvent(t, want, got)
	}
}
