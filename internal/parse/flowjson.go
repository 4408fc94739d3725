package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// flowJSONName is the registered name of the flow-json format.
const flowJSONName = "flow-json"

func init() {
	Register(Format{
		Name:        flowJSONName,
		Description: "flow records as JSON lines (devourer style: src_addr, dst_addr, first_seen_at, ...)",
		New:         func(Options) Parser { return newFlowJSONParser() },
		Sniff:       sniffFlowJSON,
	})
}

// sniffFlowJSON matches a JSON object with flow-json's address and time keys.
func sniffFlowJSON(line []byte) bool {
	line = trimSpaces(line)
	return len(line) > 0 && line[0] == '{' &&
		bytes.Contains(line, []byte(`"src_addr"`)) &&
		bytes.Contains(line, []byte(`"first_seen_at"`))
}

// flowRecord is one flow-json line. Numbers stay json.Number so that each is
// checked as an unsigned integer with an error naming the field; unknown
// fields are ignored.
type flowRecord struct {
	ID          string      `json:"id"`
	Protocol    string      `json:"protocol"`
	SrcAddr     *string     `json:"src_addr"`
	DstAddr     *string     `json:"dst_addr"`
	SrcPort     json.Number `json:"src_port"`
	DstPort     json.Number `json:"dst_port"`
	FirstSeenAt string      `json:"first_seen_at"`
	LastSeenAt  string      `json:"last_seen_at"`
	SrcBytes    json.Number `json:"src_bytes"`
	DstBytes    json.Number `json:"dst_bytes"`
	SrcPackets  json.Number `json:"src_packets"`
	DstPackets  json.Number `json:"dst_packets"`
	Status      string      `json:"status"`
}

// flowJSONParser parses flow-json lines. It keeps no state between lines
// beyond its interner.
type flowJSONParser struct {
	strs   interner // status
	protos interner // protocol -> IANA keyword
}

func newFlowJSONParser() *flowJSONParser {
	return &flowJSONParser{strs: newInterner(asIs), protos: newInterner(protocol)}
}

var errFlowNotJSON = errors.New("not a flow-json line: not a JSON object")

// Parse implements Parser.
func (p *flowJSONParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	obj := trimSpaces(line)
	if len(obj) == 0 {
		return ErrSkip
	}
	if obj[0] != '{' {
		return errFlowNotJSON
	}
	var r flowRecord
	if err := json.Unmarshal(obj, &r); err != nil {
		return fmt.Errorf("bad flow JSON: %w", err)
	}
	var err error
	if ev.SrcIP, err = flowAddr(r.SrcAddr, "src_addr"); err != nil {
		return err
	}
	if ev.DstIP, err = flowAddr(r.DstAddr, "dst_addr"); err != nil {
		return err
	}
	if r.FirstSeenAt == "" {
		return errors.New("missing first_seen_at")
	}
	first, err := flowTime(r.FirstSeenAt, "first_seen_at")
	if err != nil {
		return err
	}
	last, err := flowTime(r.LastSeenAt, "last_seen_at")
	if err != nil {
		return err
	}
	if !last.IsZero() {
		if last.Before(first) {
			return fmt.Errorf("last_seen_at %s is before first_seen_at %s", r.LastSeenAt, r.FirstSeenAt)
		}
		ev.EndTime = event.SecondsUTC(last)
		ev.DurationS = last.Sub(first).Seconds()
	}
	var n [6]uint64
	for i, f := range [...]struct {
		v    json.Number
		name string
		max  uint64
	}{
		{r.SrcPort, "src_port", 65535}, {r.DstPort, "dst_port", 65535},
		{r.SrcBytes, "src_bytes", math.MaxUint64}, {r.DstBytes, "dst_bytes", math.MaxUint64},
		{r.SrcPackets, "src_packets", math.MaxUint64}, {r.DstPackets, "dst_packets", math.MaxUint64},
	} {
		if f.v == "" {
			continue
		}
		var ok bool
		if n[i], ok = parseUint([]byte(f.v), f.max); !ok {
			return fmt.Errorf("bad %s %s", f.name, quote([]byte(f.v)))
		}
	}
	ev.SrcPort, ev.DstPort = uint16(n[0]), uint16(n[1])
	ev.BytesOut, ev.BytesIn, ev.PacketsOut, ev.PacketsIn = n[2], n[3], n[4], n[5]
	if r.ID != "" {
		ev.ID = event.NewID(flowJSONName, []byte(r.ID))
	} else {
		ev.ID = event.NewID(flowJSONName, line)
	}
	ev.Time = event.SecondsUTC(first)
	ev.Kind = event.KindFlow
	ev.Format = flowJSONName
	ev.Action = "allow"
	if ev.PacketsIn == 0 && ev.BytesIn == 0 {
		ev.Action = "attempt" // nothing came back: as Zeek's S0
	}
	ev.Direction = event.DirUnknown
	ev.Protocol = p.protos.get([]byte(r.Protocol))
	ev.Status = p.strs.get([]byte(r.Status))
	return nil
}

// flowAddr parses a required address field.
func flowAddr(s *string, name string) (netip.Addr, error) {
	if s == nil {
		return netip.Addr{}, fmt.Errorf("missing %s", name)
	}
	a, ok := parseAddr([]byte(*s))
	if !ok {
		return netip.Addr{}, fmt.Errorf("bad %s address %q", name, quote([]byte(*s)))
	}
	return a, nil
}

// flowTime parses an RFC 3339 time; "" is the zero time.
func flowTime(s, name string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 1970 {
		return time.Time{}, fmt.Errorf("bad %s %q", name, quote([]byte(s)))
	}
	return t, nil
}
