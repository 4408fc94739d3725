package parse

import (
	"bytes"
	"fmt"

	"github.com/homesoc/homesoc/internal/event"
)

// filterlogMaxFields bounds the fields of a record: an IPv4 TCP record has
// 29, an IPv6 one with extension headers a few more.
const filterlogMaxFields = 64

// Positions of the common fields of a filterlog record, and of the IPv4 and
// IPv6 header fields after them (pfSense's "Raw Filter Log Format").
const (
	flRule = iota
	flSubRule
	flAnchor
	flTracker
	flIface
	flReason
	flAction
	flDir
	flIPVer
	flIP // the first IP header field

	fl4TOS, fl4ECN, fl4TTL, fl4ID, fl4Offset, fl4Flags, fl4ProtoID, fl4Proto, fl4Len, fl4Src, fl4Dst, fl4Data = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	fl6Class, fl6Flow, fl6HopLimit, fl6Proto, fl6ProtoID, fl6Len, fl6Src, fl6Dst, fl6Data                     = 0, 1, 2, 3, 4, 5, 6, 7, 8
)

// filterlogRecord is a record's fields, split at commas.
type filterlogRecord struct {
	f [filterlogMaxFields][]byte
	n int
}

// split splits b at commas; false if it has more fields than any record.
func (r *filterlogRecord) split(b []byte) bool {
	r.n = 0
	for {
		if r.n == filterlogMaxFields {
			return false
		}
		i := bytes.IndexByte(b, ',')
		if i < 0 {
			r.f[r.n] = b
			r.n++
			return true
		}
		r.f[r.n] = b[:i]
		r.n++
		b = b[i+1:]
	}
}

// record reads a filterlog CSV record into ev.
func (p *filterlogParser) record(b []byte, ev *event.Network) error {
	var r filterlogRecord
	if !r.split(b) {
		return fmt.Errorf("more than %d fields: not a filterlog record", filterlogMaxFields)
	}
	if r.n <= flIP {
		return fmt.Errorf("record of %d fields, want at least %d (rule, sub rule, anchor, tracker, interface, reason, action, direction, IP version, ...)", r.n, flIP+1)
	}
	f := r.f[:r.n]
	rule := f[flRule]
	if _, ok := parseUint(rule, 1<<32-1); !ok {
		return fmt.Errorf("bad rule number %q", quote(rule))
	}
	switch string(f[flAction]) {
	case "pass":
		ev.Action = "allow"
	case "block":
		ev.Action = "drop"
	case "reject":
		ev.Action = "reject"
	case "scrub", "nat", "rdr", "binat", "match", "synproxy-drop", "defer": // pf's other actions
		ev.Action = p.strs.get(f[flAction])
	default:
		return fmt.Errorf("bad action %q, want pass, block, reject or another pf action", quote(f[flAction]))
	}
	iface := p.strs.get(f[flIface])
	switch string(f[flDir]) {
	case "in":
		ev.Direction, ev.InIface = event.DirInbound, iface
	case "out":
		ev.Direction, ev.OutIface = event.DirOutbound, iface
	default:
		return fmt.Errorf("bad direction %q, want in or out", quote(f[flDir]))
	}
	// The tracker is the rule's stable id (the rule number changes when
	// the rule set does); the number is all a rule without one has.
	if tr := f[flTracker]; len(tr) > 0 {
		ev.RuleName = p.strs.get(tr)
	} else {
		ev.RuleName = p.strs.get(rule)
	}
	ip := f[flIP:]
	// filterlog puts a note before the header fields of a packet shorter
	// than its IP length; the fields follow as usual.
	if len(ip) > 0 && bytes.HasPrefix(ip[0], []byte("error=")) {
		ip = ip[1:]
	}
	if len(ip) > 0 && truncatedIP(ip[0]) {
		return fmt.Errorf("IPv%s header too short to log its addresses (%q): %w", f[flIPVer], quote(ip[0]), ErrSkip)
	}
	switch string(f[flIPVer]) {
	case "4":
		return p.ipv4(ip, ev)
	case "6":
		return p.ipv6(ip, ev)
	}
	return fmt.Errorf("bad IP version %q, want 4 or 6", quote(f[flIPVer]))
}

// truncatedIP reports whether a field is filterlog's note for a packet too
// short to hold its IP header, which is all such a record holds.
func truncatedIP(b []byte) bool {
	for _, p := range []string{"[|ip]", "truncated-ip", "bad-hlen=", "bad-len="} {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}

// ipv4 reads the IPv4 fields: TOS, ECN, TTL, ID, offset, flags, protocol
// id and name, length, source and destination, then the protocol's.
func (p *filterlogParser) ipv4(f [][]byte, ev *event.Network) error {
	if len(f) < fl4Data {
		return fmt.Errorf("IPv4 record cut short: %d header fields, want %d", len(f), fl4Data)
	}
	if err := p.addrs(f[fl4Src], f[fl4Dst], ev); err != nil {
		return err
	}
	proto, err := p.proto(f[fl4ProtoID], ev)
	if err != nil {
		return err
	}
	n, ok := parseUint(f[fl4TTL], 255)
	if !ok {
		return fmt.Errorf("bad TTL %q", quote(f[fl4TTL]))
	}
	ev.TTL = uint8(n)
	if n, ok = parseUint(f[fl4Len], 65535); !ok {
		return fmt.Errorf("bad length %q", quote(f[fl4Len]))
	}
	ev.PacketLen = uint32(n)
	if n, ok := parseUint(f[fl4ID], 65535); ok {
		ev.IPID = uint16(n)
	}
	off, ok := parseUint(f[fl4Offset], 65535)
	if !ok {
		return fmt.Errorf("bad fragment offset %q", quote(f[fl4Offset]))
	}
	if off != 0 { // a later fragment: no transport header to read
		return nil
	}
	return p.transport(proto, f[fl4Data:], ev)
}

// ipv6 reads the IPv6 fields: class, flow label, hop limit, protocol name
// and id, payload length, source and destination, then the protocol's.
// PacketLen is the payload length plus the 40 bytes of the header, the
// packet's length as netfilter logs it.
func (p *filterlogParser) ipv6(f [][]byte, ev *event.Network) error {
	if len(f) < fl6Data {
		return fmt.Errorf("IPv6 record cut short: %d header fields, want %d", len(f), fl6Data)
	}
	if err := p.addrs(f[fl6Src], f[fl6Dst], ev); err != nil {
		return err
	}
	proto, err := p.proto(f[fl6ProtoID], ev)
	if err != nil {
		return err
	}
	n, ok := parseUint(f[fl6HopLimit], 255)
	if !ok {
		return fmt.Errorf("bad hop limit %q", quote(f[fl6HopLimit]))
	}
	ev.TTL = uint8(n)
	if n, ok = parseUint(f[fl6Len], 65535); !ok {
		return fmt.Errorf("bad payload length %q", quote(f[fl6Len]))
	}
	ev.PacketLen = uint32(n) + 40
	return p.transport(proto, f[fl6Data:], ev)
}

// addrs reads the source and destination addresses.
func (p *filterlogParser) addrs(src, dst []byte, ev *event.Network) error {
	var ok bool
	if ev.SrcIP, ok = parseAddr(src); !ok {
		return fmt.Errorf("bad source address %q", quote(src))
	}
	if ev.DstIP, ok = parseAddr(dst); !ok {
		return fmt.Errorf("bad destination address %q", quote(dst))
	}
	return nil
}

// proto reads the protocol number into ev.Protocol and returns it.
func (p *filterlogParser) proto(id []byte, ev *event.Network) (uint64, error) {
	n, ok := parseUint(id, 255)
	if !ok {
		return 0, fmt.Errorf("bad protocol id %q", quote(id))
	}
	ev.Protocol = p.protos.get(id)
	return n, nil
}
