package parse

import (
	"errors"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

// filterlogOpts places the fixtures' year-less stamps in 2024.
var filterlogOpts = Options{ModTime: utc(2024, 4, 20, 0, 0, 0)}

// fw is a firewall event of the filterlog format.
func fw(e event.Network) event.Network {
	e.Kind, e.Format = event.KindFirewall, filterlogName
	return e
}

// TestFilterlogGood checks every field of the events of
// testdata/filterlog.good.log: IPv4 TCP, UDP and ICMP, IPv6 TCP (RFC 5424),
// UDP and ICMPv6, IGMP, and an ICMP port unreachable.
func TestFilterlogGood(t *testing.T) {
	lines := readLines(t, "filterlog.good.log")
	want := []event.Network{
		fw(event.Network{Time: utc(2024, 3, 4, 10, 15, 1), Action: "drop", Direction: event.DirInbound, Protocol: "tcp",
			SrcIP: addr("203.0.113.9"), SrcPort: 51234, DstIP: addr("198.51.100.2"), DstPort: 22, TTL: 51,
			TCPFlags: "SYN", IPID: 28041, TCPWindow: 29200, PacketLen: 60, RuleName: "1000000103", InIface: "em0"}),
		fw(event.Network{Time: utc(2024, 3, 4, 10, 15, 2), Action: "allow", Direction: event.DirOutbound, Protocol: "udp",
			SrcIP: addr("192.168.1.10"), SrcPort: 53001, DstIP: addr("9.9.9.9"), DstPort: 53, TTL: 64,
			IPID: 4711, PacketLen: 73, RuleName: "1600000001", OutIface: "igb0", Sensor: "fw.example.net"}),
		fw(event.Network{Time: utc(2024, 3, 4, 10, 15, 3), Action: "drop", Direction: event.DirInbound, Protocol: "icmp",
			SrcIP: addr("203.0.113.50"), DstIP: addr("198.51.100.2"), TTL: 57, ICMPType: 8, PacketLen: 84,
			RuleName: "1000000104", InIface: "em0"}),
		fw(event.Network{Time: utc(2024, 3, 4, 9, 15, 4), Action: "allow", Direction: event.DirOutbound, Protocol: "tcp",
			SrcIP: addr("2001:db8::10"), SrcPort: 44310, DstIP: addr("2001:db8:ffff::1"), DstPort: 443, TTL: 64,
			TCPFlags: "ACK SYN", TCPWindow: 65535, PacketLen: 80, RuleName: "02f4bab031b57d1e30553ce08e0ec131",
			OutIface: "vtnet1", Sensor: "opnsense.example.net"}),
		fw(event.Network{Time: utc(2024, 3, 4, 10, 15, 5), Action: "drop", Direction: event.DirInbound, Protocol: "udp",
			SrcIP: addr("fe80::208:9bff:fef3:652b"), SrcPort: 546, DstIP: addr("ff02::1:2"), DstPort: 547, TTL: 1,
			PacketLen: 72, RuleName: "1000000105", InIface: "em1"}),
		fw(event.Network{Time: utc(2024, 3, 4, 10, 15, 6), Action: "reject", Direction: event.DirInbound, Protocol: "ipv6-icmp",
			SrcIP: addr("fe80::1"), DstIP: addr("ff02::1"), TTL: 255, PacketLen: 72, RuleName: "1000000106", InIface: "em1"}),
		fw(event.Network{Time: utc(2024, 3, 4, 10, 15, 7), Action: "allow", Direction: event.DirInbound, Protocol: "igmp",
			SrcIP: addr("10.100.15.13"), DstIP: addr("224.0.0.22"), TTL: 1, PacketLen: 32, RuleName: "1557957510", InIface: "igb1.15"}),
		fw(event.Network{Time: utc(2024, 3, 4, 10, 15, 8), Action: "drop", Direction: event.DirInbound, Protocol: "icmp",
			SrcIP: addr("203.0.113.50"), DstIP: addr("198.51.100.2"), TTL: 57, ICMPType: 3, ICMPCode: 3, PacketLen: 56,
			RuleName: "1000000104", InIface: "em0"}),
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	p := newFilterlogParser(filterlogOpts)
	for i, line := range lines {
		var got event.Network
		if err := p.Parse(line, &got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		w := want[i]
		w.ID = event.NewID(filterlogName, line)
		t.Run(string(rune('1'+i)), func(t *testing.T) { checkEvent(t, w, got) })
		checkInvariants(t, filterlogName, line, &got)
	}
}

// TestFilterlogBad checks the reason of each broken line of
// testdata/filterlog.bad.log, in order.
func TestFilterlogBad(t *testing.T) {
	want := []string{
		"IPv4 record cut short: 10 header fields, want 11",
		`bad action "drop", want pass, block, reject or another pf action`,
		`bad direction "sideways", want in or out`,
		`bad IP version "5", want 4 or 6`,
		`bad source address "203.0.113.999"`,
		`bad source port "99999"`,
		`bad TCP flags "SYN"`,
		"tcp record cut short: 1 fields after the IP header, want at least 3",
		"impossible date Mar 44",
		`bad rule number "x5"`,
	}
	lines := readLines(t, "filterlog.bad.log")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	p := newFilterlogParser(filterlogOpts)
	for i, line := range lines {
		var ev event.Network
		err := p.Parse(line, &ev)
		if err == nil || err.Error() != want[i] || errors.Is(err, ErrSkip) {
			t.Errorf("line %d: error = %v, want %q", i+1, err, want[i])
		}
	}
}

// TestFilterlogOther checks lines that are not filterlog records: other
// programs and truncated packets are skipped, junk is rejected.
func TestFilterlogOther(t *testing.T) {
	tests := []struct{ line, want string }{
		{"<190>Dec 31 22:06:16 firewall.opnsense.net dhcpd[40152]: DHCPDISCOVER from 4c:55:41:a0:fa:99 via eth0.60",
			`syslog program "dhcpd" is not filterlog: nothing to store`},
		{`<134>1 2022-06-09T14:44:11-06:00 OPNsense.example.com unbound 76404 - - info: query`,
			`syslog program "unbound" is not filterlog: nothing to store`},
		{"<134>Mar  4 10:15:01 filterlog[5120]: 5,,,1000000103,em0,match,block,in,4,[|ip]),",
			`IPv4 header too short to log its addresses ("[|ip])"): nothing to store`},
		{"   ", "nothing to store"},
		{"<134>Mar  4 10:15:01 just some words", `not a filterlog line: no syslog program tag ("filterlog[pid]:") in "just some words"`},
		{"<134>Mar  4 10:15:01 filterlog[5120]: 5,,,1000000103,em0", "record of 5 fields, want at least 10 (rule, sub rule, anchor, tracker, interface, reason, action, direction, IP version, ...)"},
		{"<134>1 2022-06-09T14:44:11-06:00 host filterlog 1 - [meta x=\"1\" 1,,,", `bad RFC 5424 header "2022-06-09T14:44:11-06:00 host filterlog 1 - [meta x=\"1\" 1,,,"`},
		{"filterlog[1]: 5,,,1,em0,match,block,in,4,0x0,,51,1,0,DF,6,tcp,60,203.0.113.9,198.51.100.2,1,2,0,S,\x01", "not a filterlog line: binary data at byte 98"},
	}
	p := newFilterlogParser(filterlogOpts)
	for _, tt := range tests {
		var ev event.Network
		err := p.Parse([]byte(tt.line), &ev)
		checkLineError(t, err, tt.want, 0)
	}
}

// TestFilterlogBody checks the shapes without a syslog stamp: the tagged
// body and the CSV alone take the input's time.
func TestFilterlogBody(t *testing.T) {
	for _, line := range []string{
		"filterlog[5120]: 77,,,,igb0,match,pass,out,4,0x0,,64,4711,0,none,17,udp,73,192.168.1.10,9.9.9.9,53001,53,53",
		"77,,,,igb0,match,pass,out,4,0x0,,64,4711,0,none,17,udp,73,192.168.1.10,9.9.9.9,53001,53,53",
	} {
		p := newFilterlogParser(filterlogOpts)
		var got event.Network
		if err := p.Parse([]byte(line), &got); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		checkEvent(t, fw(event.Network{ID: event.NewID(filterlogName, []byte(line)), Time: utc(2024, 4, 20, 0, 0, 0),
			Action: "allow", Direction: event.DirOutbound, Protocol: "udp", SrcIP: addr("192.168.1.10"), SrcPort: 53001,
			DstIP: addr("9.9.9.9"), DstPort: 53, TTL: 64, IPID: 4711, PacketLen: 73, RuleName: "77", OutIface: "igb0"}), got)
	}
}

// TestFilterlogSniff checks that Detect picks filterlog by the program.
func TestFilterlogSniff(t *testing.T) {
	for line, want := range map[string]bool{
		"<134>Jul  3 19:10:30 filterlog[72237]: 146,,,1535324496,igb1.12,match,block,in,4": true,
		"<134>Jan 1 02:21:38 firewall.opnsense.net filterlog[97530]: 146,,,":               true,
		"<134>1 2022-06-09T14:44:11-06:00 OPNsense.example.com filterlog 76404 - - 124,,,": true,
		"Mar  4 10:15:01 fw filterlog: 5,,,":                                               true,
		"<190>Dec 31 22:06:16 firewall.opnsense.net dhcpd[40152]: DHCPDISCOVER":            false,
		"<134>1 2022-06-09T14:44:11-06:00 host unbound 1 - - filterlog":                    false,
		"Mar  4 10:15:01 fw kernel: [WAN_IN-10-D]IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8":     false,
	} {
		if got := sniffFilterlog([]byte(line)); got != want {
			t.Errorf("sniffFilterlog(%q) = %v, want %v", line, got, want)
		}
	}
	fm, err := Detect(readLines(t, "filterlog.good.log"))
	if err != nil || fm.Name != filterlogName {
		t.Errorf("Detect = %q, %v; want filterlog", fm.Name, err)
	}
}

// TestFilterlogBodySpaces checks a bare record whose ICMP details hold
// spaces, as filterlog writes a time exceeded message.
func TestFilterlogBodySpaces(t *testing.T) {
	line := []byte("12,,,,em0,match,block,in,4,0x0,,57,0,0,DF,1,icmp,56,203.0.113.50,198.51.100.2,timexceed,time exceeded in-transit56")
	p := newFilterlogParser(filterlogOpts)
	var got event.Network
	if err := p.Parse(line, &got); err != nil {
		t.Fatal(err)
	}
	checkEvent(t, fw(event.Network{ID: event.NewID(filterlogName, line), Time: utc(2024, 4, 20, 0, 0, 0),
		Action: "drop", Direction: event.DirInbound, Protocol: "icmp", SrcIP: addr("203.0.113.50"),
		DstIP: addr("198.51.100.2"), TTL: 57, ICMPType: 11, PacketLen: 56, RuleName: "12", InIface: "em0"}), got)
}
