package parse

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// This file holds what the EDR parsers (crowdstrike-fdr, defender,
// defender-csv) share: lenient JSON values, addresses, MACs, epoch stamps,
// and the identity of an endpoint state.

// jsonText is a JSON value read as text: a string is its value, null is "",
// and a number, boolean, object or array is its JSON text. EDR exports are
// loose about types (FDR writes every value as a string, Defender numbers as
// numbers, CSV everything as text), so a column is read one way whatever the
// exporter chose, and a value of an unexpected type is judged by what it
// says, not rejected by the decoder.
type jsonText string

// UnmarshalJSON implements json.Unmarshaler.
func (t *jsonText) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = jsonText(s)
	case string(b) == "null":
		*t = ""
	default:
		*t = jsonText(b)
	}
	return nil
}

// edrAddr parses an address an EDR wrote: IPv4-mapped IPv6 addresses
// (Defender writes ::ffff:10.0.0.5 for IPv4 on dual-stack sockets) become
// IPv4, and an IPv6 zone (%12) is dropped.
func edrAddr(s jsonText) (netip.Addr, bool) {
	b := []byte(strings.TrimSpace(string(s)))
	if i := strings.IndexByte(string(b), '%'); i >= 0 && strings.IndexByte(string(b), ':') >= 0 {
		b = b[:i]
	}
	a, ok := parseAddr(b)
	if !ok {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// needAddr parses a required address column.
func needAddr(s jsonText, name string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, fmt.Errorf("missing %s", name)
	}
	a, ok := edrAddr(s)
	if !ok {
		return netip.Addr{}, fmt.Errorf("bad %s %q", name, quote([]byte(s)))
	}
	return a, nil
}

// optAddr parses an optional address column: "" is the zero address.
func optAddr(s jsonText, name string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	return needAddr(s, name)
}

// edrPort parses a port column; "" is 0.
func edrPort(s jsonText, name string) (uint16, error) {
	if s == "" {
		return 0, nil
	}
	n, ok := parseUint([]byte(strings.TrimSpace(string(s))), math.MaxUint16)
	if !ok {
		return 0, fmt.Errorf("bad %s %q", name, quote([]byte(s)))
	}
	return uint16(n), nil
}

// edrField is a record's value with its column's name, for errors.
type edrField struct {
	value jsonText
	name  string
}

// edrEnd parses one end of a connection or of a listening socket: the
// address is required, a port "" is 0.
func edrEnd(ip, port edrField) (netip.AddrPort, error) {
	a, err := needAddr(ip.value, ip.name)
	if err != nil {
		return netip.AddrPort{}, err
	}
	n, err := edrPort(port.value, port.name)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(a, n), nil
}

// setEnds fills ev's source and destination from a connection's local and
// remote ends: an inbound connection comes from the remote end to the
// local one, an outbound one goes from the local end.
func setEnds(ev *event.Network, dir string, local, remote netip.AddrPort) {
	src, dst := local, remote
	if dir == event.DirInbound {
		src, dst = remote, local
	}
	ev.SrcIP, ev.SrcPort, ev.DstIP, ev.DstPort = src.Addr(), src.Port(), dst.Addr(), dst.Port()
}

// edrMAC renders a MAC address as "aa:bb:cc:dd:ee:ff" (FDR writes
// 70-BD-0C-A6-4B-61, Defender 70:BD:...); anything that is not a 48-bit MAC
// is "".
func edrMAC(s jsonText) string {
	hw, err := net.ParseMAC(strings.TrimSpace(string(s)))
	if err != nil || len(hw) != 6 {
		return ""
	}
	return hw.String()
}

// epochTime parses an epoch stamp as EDRs write them: FDR's timestamp in
// milliseconds ("1687509722190"), its aidmaster and managedassets stamps in
// seconds with a fraction ("1688542167.026"). An integer of more than 11
// digits is milliseconds. The result is UTC at second resolution.
func epochTime(s jsonText, name string) (time.Time, error) {
	v := strings.TrimSpace(string(s))
	whole, frac, dotted := strings.Cut(v, ".")
	sec, ok := parseUint([]byte(whole), math.MaxInt64)
	if dotted {
		if _, okf := parseUint([]byte(frac), math.MaxUint64); !okf && frac != "" {
			ok = false
		}
	} else if len(whole) > 11 {
		sec /= 1000
	}
	if !ok || sec == 0 || sec > maxEpoch {
		return time.Time{}, fmt.Errorf("bad %s %q", name, quote([]byte(v)))
	}
	return time.Unix(int64(sec), 0).UTC(), nil
}

// textLayouts are the stamp shapes Defender's exports write: the Streaming
// API and the API's CSV ISO 8601 with seven fraction digits
// (2024-08-30T07:00:12.5431823Z), the portal's CSV export
// "Aug 30, 2024 7:00:12 AM", and Log Analytics' export
// "8/30/2024, 7:00:12.543 AM". Time in advanced hunting is UTC.
var textLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"Jan 2, 2006 3:04:05 PM",
	"1/2/2006, 3:04:05 PM",
	"1/2/2006 3:04:05 PM",
}

// textTime parses a Defender stamp into UTC at second resolution.
func textTime(s jsonText, name string) (time.Time, error) {
	v := strings.TrimSpace(string(s))
	for _, layout := range textLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Year() < 1970 || t.Year() > 9999 {
				break
			}
			return event.SecondsUTC(t), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad %s %q", name, quote([]byte(v)))
}

// stateID is the identity of an endpoint state: every column that makes the
// fact, so a record ingested twice is stored once and each fact of one
// record (each address of an interface list) gets its own id.
func stateID(format string, s *event.EndpointState) event.ID {
	var b []byte
	b = append(b, s.Kind...)
	b = append(b, 0)
	b = append(b, s.DeviceID...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(s.Time.Unix()))
	if s.Address.IsValid() {
		b = append(b, s.Address.String()...)
	}
	b = append(b, 0)
	b = strconv.AppendUint(b, uint64(s.Port), 10)
	b = append(b, 0)
	b = append(b, s.Protocol...)
	b = append(b, 0)
	b = append(b, s.MAC...)
	b = append(b, 0)
	b = append(b, s.Interface...)
	return event.NewID(format, b)
}

// edrExtra is the part of an EDR parser that holds a line's endpoint
// states; it implements ExtraParser's Extra.
type edrExtra struct {
	extra event.Extra
}

// Extra implements ExtraParser.
func (p *edrExtra) Extra() *event.Extra { return &p.extra }

// addInterfaces adds s as an interface state per address. When the line
// has given no state at all, s becomes one device state instead, so that a
// record without addresses still names its device and MAC.
func (p *edrExtra) addInterfaces(idFormat string, s event.EndpointState, addrs []netip.Addr) {
	s.Kind = event.StateInterface
	for _, a := range addrs {
		s.Address = a
		p.add(idFormat, s)
	}
	if p.extra.Len() == 0 {
		s.Kind, s.Address = event.StateDevice, netip.Addr{}
		p.add(idFormat, s)
	}
}

// add appends a state, giving it its id. idFormat names the id space:
// Defender's JSON and CSV share one, so a record seen in both is stored once.
func (p *edrExtra) add(idFormat string, s event.EndpointState) {
	s.ID = stateID(idFormat, &s)
	p.extra.Endpoints = append(p.extra.Endpoints, s)
}
