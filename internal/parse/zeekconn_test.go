package parse

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// zeekID is the documented identity of a Zeek connection: the uid, a zero
// byte, then the start time as big-endian Unix seconds and nanoseconds.
func zeekID(uid string, ts time.Time) event.ID {
	key := append([]byte(uid), 0)
	key = binary.BigEndian.AppendUint64(key, uint64(ts.Unix()))
	key = binary.BigEndian.AppendUint32(key, uint32(ts.Nanosecond()))
	return event.NewID("zeek-conn", key)
}

// zeekConnWant is what testdata/conn.log and conn.json hold, in order.
func zeekConnWant() []event.Network {
	flow := func(uid string, ts time.Time, e event.Network) event.Network {
		e.ID = zeekID(uid, ts)
		e.FlowUID = uid
		e.Time = event.SecondsUTC(ts)
		e.Kind = event.KindFlow
		e.Format = "zeek-conn"
		return e
	}
	at := func(sec, usec int64) time.Time { return time.Unix(sec, usec*1000).UTC() }
	return []event.Network{
		flow("CHhAvVGS1DHFjwGM9", at(1709287200, 123456), event.Network{
			EndTime: utc(2024, 3, 1, 10, 0, 12), DurationS: 12.345678, Action: "allow", Direction: event.DirOutbound,
			Protocol: "tcp", SrcIP: addr("192.168.1.10"), SrcPort: 51234, DstIP: addr("203.0.113.80"), DstPort: 443,
			BytesOut: 3712, BytesIn: 50873, Service: "ssl", PacketsOut: 42, PacketsIn: 51, TCPFlags: "ShADadFf", Status: "SF"}),
		flow("CjhGID4nQcgTWjvg4c", at(1709287201, 4512), event.Network{
			EndTime: utc(2024, 3, 1, 10, 0, 1), DurationS: 0.021044, Action: "allow", Direction: event.DirOutbound,
			Protocol: "udp", SrcIP: addr("192.168.1.10"), SrcPort: 41822, DstIP: addr("198.51.100.53"), DstPort: 53,
			BytesOut: 62, BytesIn: 78, Service: "dns", PacketsOut: 1, PacketsIn: 1, TCPFlags: "Dd", Status: "SF"}),
		flow("C4J4Th3PJpwUYZZ6gc", at(1709287202, 500001), event.Network{
			Action: "attempt", Direction: event.DirInbound,
			Protocol: "tcp", SrcIP: addr("203.0.113.45"), SrcPort: 58214, DstIP: addr("192.168.1.10"), DstPort: 3389,
			BytesOut: 44, PacketsOut: 1, TCPFlags: "S", Status: "S0"}),
		flow("CUM0KZ3MLUfNB0cl11", at(1709287203, 250000), event.Network{
			EndTime: utc(2024, 3, 1, 10, 0, 3), DurationS: 0.00012, Action: "reject", Direction: event.DirInbound,
			Protocol: "tcp", SrcIP: addr("198.51.100.77"), SrcPort: 40960, DstIP: addr("192.168.1.10"), DstPort: 23,
			BytesOut: 44, BytesIn: 40, PacketsOut: 1, PacketsIn: 1, TCPFlags: "Sr", Status: "REJ"}),
		flow("CmES5u32sYpV7JYN", at(1709287204, 0), event.Network{
			EndTime: utc(2024, 3, 1, 10, 0, 7), DurationS: 3.5, Action: "allow", Direction: event.DirInternal,
			Protocol: "tcp", SrcIP: addr("192.168.1.23"), SrcPort: 50122, DstIP: addr("192.168.1.5"), DstPort: 445,
			BytesOut: 9852, BytesIn: 12780, Service: "smb", PacketsOut: 20, PacketsIn: 18, TCPFlags: "ShADadfF", Status: "SF"}),
		flow("CP5puj4I8PtEU4qzYg", at(1709287205, 777777), event.Network{
			EndTime: utc(2024, 3, 1, 10, 0, 7), DurationS: 1.25, Action: "allow", Direction: event.DirExternal,
			Protocol: "tcp", SrcIP: addr("2001:db8:1::25"), SrcPort: 45012, DstIP: addr("2001:db8:2::1"), DstPort: 443,
			BytesOut: 3170, BytesIn: 6920, Service: "ssl", PacketsOut: 9, PacketsIn: 10, TCPFlags: "ShADadFf", Status: "SF"}),
		flow("CvSt4a1KqCzNV2dNsk", at(1709287206, 100000), event.Network{
			EndTime: utc(2024, 3, 1, 10, 0, 6), DurationS: 0.001, Action: "allow", Direction: event.DirOutbound,
			Protocol: "icmp", SrcIP: addr("192.168.1.10"), DstIP: addr("198.51.100.99"), ICMPType: 8, ICMPCode: 0,
			BytesOut: 84, BytesIn: 84, PacketsOut: 1, PacketsIn: 1, Status: "OTH"}),
		flow("C37jN32gN3y3AZzyf6", at(1709287207, 0), event.Network{
			EndTime: utc(2024, 3, 1, 10, 2, 7), DurationS: 120, Action: "allow", Direction: event.DirOutbound,
			Protocol: "tcp", SrcIP: addr("192.168.1.30"), SrcPort: 52211, DstIP: addr("198.51.100.200"), DstPort: 80,
			BytesOut: 180, BytesIn: 120, Service: "http", PacketsOut: 3, PacketsIn: 2, TCPFlags: "ShAD", Status: "S1"}),
	}
}

// parseAll runs one parser over lines and returns the events, failing on a
// rejected line.
func parseAll(t *testing.T, p Parser, lines [][]byte) []event.Network {
	t.Helper()
	var evs []event.Network
	for i, line := range lines {
		var ev event.Network
		switch err := p.Parse(line, &ev); {
		case errors.Is(err, ErrSkip):
		case err != nil:
			t.Fatalf("line %d %q: %v", i+1, line, err)
		default:
			evs = append(evs, ev)
		}
	}
	return evs
}

func TestZeekConnTSV(t *testing.T) {
	got := parseAll(t, newZeekConnParser(), readLines(t, "conn.log"))
	want := zeekConnWant()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		t.Run(want[i].Status+"/"+want[i].SrcIP.String(), func(t *testing.T) { checkEvent(t, want[i], got[i]) })
	}
}

// TestZeekConnJSON also checks that a record has the same ID in both forms.
func TestZeekConnJSON(t *testing.T) {
	got := parseAll(t, newZeekConnParser(), readLines(t, "conn.json"))
	all := zeekConnWant()
	want := append(all[:4:4], all[5]) // the JSON lacks local_* on the IPv6 record
	want[4].Direction = event.DirUnknown
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		t.Run(want[i].Status+"/"+want[i].SrcIP.String(), func(t *testing.T) { checkEvent(t, want[i], got[i]) })
	}
}

// TestZeekConnHeaders follows the stream's own headers: another column
// order, separator and unset marker, and a second #fields header.
func TestZeekConnHeaders(t *testing.T) {
	lines := []string{
		`#separator \x7c`,
		"#unset_field|NULL",
		"#empty_field|EMPTY",
		"#fields|id.resp_h|id.resp_p|id.orig_h|id.orig_p|ts|proto|conn_state|history|uid",
		"198.51.100.53|53|192.168.1.10|41822|1709287201.5|udp|S0|EMPTY|NULL",
		"#fields|ts|id.orig_h|id.resp_h",
		"1709287202|192.0.2.1|192.0.2.2",
	}
	p := newZeekConnParser()
	var got []event.Network
	for _, l := range lines {
		var ev event.Network
		switch err := p.Parse([]byte(l), &ev); {
		case errors.Is(err, ErrSkip):
		case err != nil:
			t.Fatalf("%q: %v", l, err)
		default:
			got = append(got, ev)
		}
	}
	want := []event.Network{{
		ID: event.NewID("zeek-conn", []byte(lines[4])), Time: utc(2024, 3, 1, 10, 0, 1),
		Kind: event.KindFlow, Action: "attempt", Direction: event.DirUnknown, Protocol: "udp",
		SrcIP: addr("192.168.1.10"), SrcPort: 41822, DstIP: addr("198.51.100.53"), DstPort: 53,
		Format: "zeek-conn", Status: "S0",
	}, {
		ID: event.NewID("zeek-conn", []byte(lines[6])), Time: utc(2024, 3, 1, 10, 0, 2),
		Kind: event.KindFlow, Action: "allow", Direction: event.DirUnknown,
		SrcIP: addr("192.0.2.1"), DstIP: addr("192.0.2.2"), Format: "zeek-conn",
	}}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		checkEvent(t, want[i], got[i])
	}
}

func TestZeekConnBad(t *testing.T) {
	const fields = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_ip_bytes\tconn_state"
	tests := []struct {
		name  string
		lines []string // headers, then the bad line last
		err   string
	}{
		{"data before #fields", []string{"#separator \\x09", "1709287200.1\tCx\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t-\t-\tS0"}, "zeek data line before any #fields header"},
		{"#fields without id.resp_h", []string{"#fields\tts\tid.orig_h"}, "zeek #fields header lacks id.resp_h"},
		{"data after a bad #fields", []string{"#fields\tts\tid.orig_h", "1709287200.1\t192.0.2.1"}, "zeek #fields header lacks id.resp_h"},
		{"field count", []string{fields, "1709287200.1\tCx\t192.0.2.1"}, "zeek line has 3 fields, #fields has 10"},
		{"bad orig address", []string{fields, "1709287200.1\tCx\t192.168.1.300\t1\t192.0.2.2\t2\ttcp\t-\t-\tS0"}, `bad id.orig_h address "192.168.1.300"`},
		{"unset resp address", []string{fields, "1709287200.1\tCx\t192.0.2.1\t1\t-\t2\ttcp\t-\t-\tS0"}, "missing id.resp_h"},
		{"unset ts", []string{fields, "-\tCx\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t-\t-\tS0"}, "missing ts"},
		{"bad ts", []string{fields, "17092872OO.1\tCx\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t-\t-\tS0"}, `bad ts "17092872OO.1"`},
		{"ts past 9999", []string{fields, "999999999999999\tCx\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t-\t-\tS0"}, `bad ts "999999999999999"`},
		{"bad port", []string{fields, "1709287200.1\tCx\t192.0.2.1\t1\t192.0.2.2\t70000\ttcp\t-\t-\tS0"}, `bad id.resp_p "70000"`},
		{"negative duration", []string{fields, "1709287200.1\tCx\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t-1.5\t-\tS0"}, `bad duration "-1.5"`},
		{"bad bytes", []string{fields, "1709287200.1\tCx\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t-\t18446744073709551616\tS0"}, `bad orig_ip_bytes "18446744073709551616"`},
		{"binary", []string{fields, "1709287200.1\tCx\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\x00\t-\t-\tS0"}, "not a zeek line: binary data at byte 43"},
		{"bad separator", []string{`#separator \x0`}, `bad zeek #separator "\\x0"`},
		{"JSON syntax", []string{`{"ts":1709287200.1,"id.orig_h":"192.0.2.1"`}, "bad zeek JSON: unexpected end of JSON input"},
		{"JSON missing orig", []string{`{"ts":1709287200.1,"uid":"Cx","id.resp_h":"192.0.2.2"}`}, "missing id.orig_h"},
		{"JSON bad address", []string{`{"ts":1709287200.1,"id.orig_h":"192.0.2.1","id.resp_h":"2001:db8::1::2"}`}, `bad id.resp_h address "2001:db8::1::2"`},
		{"JSON negative port", []string{`{"ts":1709287200.1,"id.orig_h":"192.0.2.1","id.orig_p":-1,"id.resp_h":"192.0.2.2"}`}, `bad id.orig_p "-1"`},
		{"JSON fractional count", []string{`{"ts":1709287200.1,"id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2","orig_ip_bytes":1.5}`}, `bad orig_ip_bytes "1.5"`},
		{"JSON infinite duration", []string{`{"ts":1709287200.1,"id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2","duration":1e400}`}, `bad duration "1e400"`},
		{"JSON exponent ts", []string{`{"ts":1.7e9,"id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2"}`}, `bad ts "1.7e9"`},
		{"JSON bad ISO ts", []string{`{"ts":"2024-02-30T10:00:00Z","id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2"}`}, `bad ts "2024-02-30T10:00:00Z"`},
		{"JSON wrong type", []string{`{"ts":1709287200.1,"id.orig_h":5,"id.resp_h":"192.0.2.2"}`}, "bad zeek JSON: json: cannot unmarshal number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseZeekLast(tt.lines)
			if err == nil || errors.Is(err, ErrSkip) || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("last line: err %v, want one containing %q", err, tt.err)
			}
		})
	}
}

// TestZeekConnSkip skips, with the reason, what is not a conn record: the
// records of other logs in a mixed JSON stream or under another #path, and
// rows whose ts a test baseline blanked out. A renamed conn log (its #fields
// have conn_state) is still read, and so is zeek-cut's bare header line.
func TestZeekConnSkip(t *testing.T) {
	const conn = "1709287200.1\tCx\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\tS0"
	tests := []struct {
		name  string
		lines []string // headers, then the line checked last
		skip  string   // the reason, or "" if the last line is stored
	}{
		{"JSON dns record", []string{`{"_path":"dns","ts":1709287200.1,"uid":"Cx","id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2","query":"example.com"}`}, `zeek record of the "dns" log, not conn`},
		{"JSON files record", []string{`{"_path":"files","ts":1709287200.1,"fuid":"F1"}`}, `zeek record of the "files" log, not conn`},
		{"JSON conn record in a mixed stream", []string{`{"_path":"conn","ts":1709287200.1,"uid":"Cx","id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2"}`}, ""},
		{"JSON conn_long record", []string{`{"_path":"conn_long","ts":1709287200.1,"uid":"Cx","id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2","conn_state":"S1"}`}, ""},
		{"JSON Corelight conn_red record", []string{`{"_path":"conn_red","ts":1709287200.1,"id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2","conn_state":"SF"}`}, ""},
		{"TSV #fields of an x509 block", []string{"#path\tx509", "#fields\tts\tid\tcertificate.version\tcertificate.serial"}, `zeek #path is "x509", not conn`},
		{"TSV x509 block in a concatenated log", []string{"#path\tx509", "#fields\tts\tid\tcertificate.version\tcertificate.serial", "1709287200.1\tFn1\t3\t0A"}, `zeek #path is "x509", not conn`},
		{"TSV stats block after a conn block", []string{"#path\tconn", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state", conn, "#path\tstats", "#fields\tts\tpeer\tmem", "1709287200.1\tzeek\t80"}, `zeek #path is "stats", not conn`},
		{"TSV conn block after a software block", []string{"#path\tsoftware", "#fields\tts\thost\tname", "#path\tconn", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state", conn}, ""},
		{"TSV under #path dns", []string{"#path\tdns", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery", conn}, `zeek #path is "dns", not conn`},
		{"TSV renamed conn log", []string{"#path\tconntimelast", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state", conn}, ""},
		{"zeek-cut bare header", []string{"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state", conn}, ""},
		{"blanked ts", []string{"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state", "XXXXXXXXXX.XXXXXX\tCx\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\tS0"}, "blanked out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseZeekLast(tt.lines)
			switch {
			case tt.skip == "" && err != nil:
				t.Fatalf("last line: %v, want it stored", err)
			case tt.skip != "" && (!errors.Is(err, ErrSkip) || !strings.Contains(err.Error(), tt.skip)):
				t.Fatalf("last line: err %v, want a skip saying %q", err, tt.skip)
			}
		})
	}
}

// TestZeekConnProtocols names protocols as netfilter does: ICMPv6 (which
// Zeek calls icmp) is ipv6-icmp, and an unknown transport takes ip_proto's
// keyword.
func TestZeekConnProtocols(t *testing.T) {
	tests := []struct{ line, proto string }{
		{`{"ts":1,"id.orig_h":"2001:db8::1","id.orig_p":135,"id.resp_h":"2001:db8::2","id.resp_p":0,"proto":"icmp"}`, "ipv6-icmp"},
		{`{"ts":1,"id.orig_h":"192.0.2.1","id.orig_p":3,"id.resp_h":"192.0.2.2","id.resp_p":3,"proto":"icmp"}`, "icmp"},
		{`{"ts":1,"id.orig_h":"192.0.2.1","id.orig_p":0,"id.resp_h":"192.0.2.2","id.resp_p":0,"proto":"unknown_transport","ip_proto":47}`, "gre"},
		{`{"ts":1,"id.orig_h":"192.0.2.1","id.orig_p":0,"id.resp_h":"192.0.2.2","id.resp_p":0,"proto":"unknown_transport"}`, ""},
		{`{"ts":1,"id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2","proto":"UDP"}`, "udp"},
	}
	for _, tt := range tests {
		var ev event.Network
		if err := newZeekConnParser().Parse([]byte(tt.line), &ev); err != nil {
			t.Fatalf("%s: %v", tt.line, err)
		}
		if ev.Protocol != tt.proto {
			t.Errorf("%s: protocol %q, want %q", tt.line, ev.Protocol, tt.proto)
		}
	}
}

// TestZeekConnBytes takes the IP-level byte counts, and orig_bytes and
// resp_bytes where a record lacks them (zeek-cut output, trimmed JSON).
func TestZeekConnBytes(t *testing.T) {
	tests := []struct {
		name        string
		lines       []string // headers, then the record last
		out, in     uint64
		pktOut, pkt uint64
	}{
		{"TSV IP-level counts win", []string{"#fields\tts\tid.orig_h\tid.resp_h\torig_bytes\tresp_bytes\torig_ip_bytes\tresp_ip_bytes", "1709287200\t192.0.2.1\t192.0.2.2\t10\t20\t50\t60"}, 50, 60, 0, 0},
		{"zeek-cut without IP-level counts", []string{"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\tresp_bytes\tconn_state", "1709287200.1\tCx\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t1234\t5678\tSF"}, 1234, 5678, 0, 0},
		{"TSV unset IP-level count", []string{"#fields\tts\tid.orig_h\tid.resp_h\torig_bytes\tresp_bytes\torig_ip_bytes\tresp_ip_bytes\torig_pkts", "1709287200\t192.0.2.1\t192.0.2.2\t10\t20\t-\t60\t3"}, 10, 60, 3, 0},
		{"JSON without IP-level counts", []string{`{"ts":1709287200.1,"id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2","orig_bytes":1234,"resp_bytes":5678,"resp_pkts":4}`}, 1234, 5678, 0, 4},
		{"JSON IP-level counts win", []string{`{"ts":1709287200.1,"id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2","orig_bytes":1,"resp_bytes":2,"orig_ip_bytes":41,"resp_ip_bytes":42}`}, 41, 42, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := parseZeekLast(tt.lines)
			if err != nil {
				t.Fatalf("last line: %v", err)
			}
			if ev.BytesOut != tt.out || ev.BytesIn != tt.in || ev.PacketsOut != tt.pktOut || ev.PacketsIn != tt.pkt {
				t.Errorf("bytes out/in %d/%d, packets %d/%d; want %d/%d, %d/%d",
					ev.BytesOut, ev.BytesIn, ev.PacketsOut, ev.PacketsIn, tt.out, tt.in, tt.pktOut, tt.pkt)
			}
		})
	}
}

// parseZeekLast parses lines in order with one Zeek conn parser and returns
// what the last of them gave.
func parseZeekLast(lines []string) (event.Network, error) {
	p := newZeekConnParser()
	var ev event.Network
	var err error
	for _, l := range lines {
		err = p.Parse([]byte(l), &ev)
	}
	return ev, err
}
