package parse

import (
	"errors"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

func TestFlowJSONGood(t *testing.T) {
	lines := readLines(t, "flows.jsonl")
	flow := func(e event.Network) event.Network {
		e.Kind, e.Format, e.Action, e.Direction = event.KindFlow, "flow-json", "allow", event.DirUnknown
		return e
	}
	want := []event.Network{
		flow(event.Network{ID: event.NewID("flow-json", []byte("f6c1a3d2-5b1e-4c47-9a0e-2b1f6f1d9a01")),
			Time: utc(2024, 3, 1, 10, 0, 0), EndTime: utc(2024, 3, 1, 10, 0, 12), DurationS: 12.345678,
			Protocol: "tcp", SrcIP: addr("192.168.1.10"), SrcPort: 51234, DstIP: addr("203.0.113.80"), DstPort: 443,
			BytesOut: 1520, BytesIn: 48213, PacketsOut: 42, PacketsIn: 51, Status: "closed"}),
		flow(event.Network{ID: event.NewID("flow-json", []byte("0d5e7f2a-8c3b-4e19-b6d4-7a9c1e2f3b02")),
			Time: utc(2024, 3, 1, 10, 0, 1), EndTime: utc(2024, 3, 1, 10, 0, 1),
			Protocol: "udp", SrcIP: addr("192.168.1.10"), SrcPort: 41822, DstIP: addr("198.51.100.53"), DstPort: 53,
			BytesOut: 34, BytesIn: 50, PacketsOut: 1, PacketsIn: 1, Status: "closed"}),
		flow(event.Network{ID: event.NewID("flow-json", []byte("9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c03")),
			Time: utc(2024, 3, 1, 10, 0, 5), EndTime: utc(2024, 3, 1, 10, 1, 5), DurationS: 60.5,
			Protocol: "tcp", SrcIP: addr("2001:db8:1::25"), SrcPort: 45012, DstIP: addr("2001:db8:2::1"), DstPort: 443,
			BytesOut: 2450, BytesIn: 6120, PacketsOut: 9, PacketsIn: 10, Status: "active"}),
		flow(event.Network{ID: event.NewID("flow-json", lines[3]),
			Time: utc(2024, 3, 1, 10, 0, 6), EndTime: utc(2024, 3, 1, 10, 0, 9), DurationS: 3,
			Protocol: "icmp", SrcIP: addr("198.51.100.9"), DstIP: addr("192.168.1.10"),
			BytesOut: 252, BytesIn: 252, PacketsOut: 3, PacketsIn: 3, Status: "closed"}),
		func() event.Network { // no reply: an attempt, as Zeek's S0
			e := flow(event.Network{ID: event.NewID("flow-json", []byte("b2c3d4e5-0000-4000-8000-000000000005")),
				Time: utc(2024, 3, 1, 10, 0, 7), EndTime: utc(2024, 3, 1, 10, 0, 7),
				Protocol: "udp", SrcIP: addr("203.0.113.66"), SrcPort: 4444, DstIP: addr("192.168.1.1"), DstPort: 1900,
				BytesOut: 98, PacketsOut: 1, Status: "timeout"})
			e.Action = "attempt"
			return e
		}(),
	}
	got := parseAll(t, newFlowJSONParser(), lines)
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		t.Run(want[i].Protocol+"/"+want[i].SrcIP.String(), func(t *testing.T) { checkEvent(t, want[i], got[i]) })
	}
}

func TestFlowJSONBad(t *testing.T) {
	const (
		times = `"first_seen_at":"2024-03-01T10:00:00Z","last_seen_at":"2024-03-01T10:00:05Z"`
		addrs = `"src_addr":"192.0.2.1","dst_addr":"198.51.100.2"`
	)
	tests := []struct {
		name, line, err string
	}{
		{"not JSON", "src_addr=192.0.2.1 dst_addr=198.51.100.2", "not a flow-json line: not a JSON object"},
		{"JSON array", `[{"src_addr":"192.0.2.1"}]`, "not a flow-json line: not a JSON object"},
		{"truncated", `{"src_addr":"192.0.2.1",`, "bad flow JSON: unexpected end of JSON input"},
		{"missing src_addr", `{"dst_addr":"198.51.100.2",` + times + `}`, "missing src_addr"},
		{"null src_addr", `{"src_addr":null,"dst_addr":"198.51.100.2",` + times + `}`, "missing src_addr"},
		{"missing dst_addr", `{"src_addr":"192.0.2.1",` + times + `}`, "missing dst_addr"},
		{"bad src_addr", `{"src_addr":"300.1.1.1","dst_addr":"198.51.100.2",` + times + `}`, `bad src_addr address "300.1.1.1"`},
		{"zoned dst_addr", `{"src_addr":"192.0.2.1","dst_addr":"fe80::1%eth0",` + times + `}`, `bad dst_addr address "fe80::1%eth0"`},
		{"address of wrong type", `{"src_addr":3221225985,"dst_addr":"198.51.100.2",` + times + `}`, "bad flow JSON: json: cannot unmarshal number"},
		{"missing first_seen_at", `{` + addrs + `,"last_seen_at":"2024-03-01T10:00:05Z"}`, "missing first_seen_at"},
		{"bad first_seen_at", `{` + addrs + `,"first_seen_at":"2024-03-01 10:00:00"}`, `bad first_seen_at "2024-03-01 10:00:00"`},
		{"impossible last_seen_at", `{` + addrs + `,"first_seen_at":"2024-03-01T10:00:00Z","last_seen_at":"2024-02-30T10:00:00Z"}`, `bad last_seen_at "2024-02-30T10:00:00Z"`},
		{"last before first", `{` + addrs + `,"first_seen_at":"2024-03-01T10:00:05Z","last_seen_at":"2024-03-01T10:00:04.9Z"}`,
			"last_seen_at 2024-03-01T10:00:04.9Z is before first_seen_at 2024-03-01T10:00:05Z"},
		{"port too big", `{` + addrs + `,` + times + `,"src_port":70000}`, "bad src_port 70000"},
		{"negative bytes", `{` + addrs + `,` + times + `,"dst_bytes":-5}`, "bad dst_bytes -5"},
		{"fractional packets", `{` + addrs + `,` + times + `,"src_packets":2.5}`, "bad src_packets 2.5"},
		{"non-numeric port", `{` + addrs + `,` + times + `,"dst_port":"https"}`, "bad flow JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev event.Network
			err := newFlowJSONParser().Parse([]byte(tt.line), &ev)
			if err == nil || errors.Is(err, ErrSkip) || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Parse(%q) = %v, want an error containing %q", tt.line, err, tt.err)
			}
		})
	}
}
