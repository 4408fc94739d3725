package parse

import (
	"bytes"
	"fmt"
	"net/netip"

	"github.com/homesoc/homesoc/internal/event"
)

// filter reads a static filter's record after "Rejected at " or "Passed at
// ": "IN(1000) filter: TCP 203.0.113.9:51234 > 192.0.2.1:23".
func (p *yamahaParser) filter(b, iface []byte, ev *event.Network) error {
	open := bytes.IndexByte(b, '(')
	if open < 0 || (string(b[:open]) != "IN" && string(b[:open]) != "OUT") {
		tok, _ := nextToken(b)
		return fmt.Errorf("bad filter reference %q, want IN(n) or OUT(n)", quote(tok))
	}
	in := open == 2
	b = b[open+1:]
	end := bytes.IndexByte(b, ')')
	switch {
	case end < 0:
		return fmt.Errorf(`missing ")" after the filter number`)
	case !filterNumber(b[:end]):
		return fmt.Errorf("bad filter number %q", quote(b[:end]))
	}
	ev.RuleName = p.strs.get(b[:end])
	b = b[end+1:]
	if !bytes.HasPrefix(b, []byte(" filter:")) {
		return fmt.Errorf(`missing "filter:" after the filter number %s`, ev.RuleName)
	}
	name := p.strs.get(iface)
	if in {
		ev.Direction, ev.InIface = event.DirInbound, name
	} else {
		ev.Direction, ev.OutIface = event.DirOutbound, name
	}
	tail, err := p.packet(b[len(" filter:"):], ev)
	if err != nil {
		return err
	}
	if ev.Protocol == "icmp" || ev.Protocol == "ipv6-icmp" {
		ev.ICMPType, ev.ICMPCode = yamahaICMP(ev.Protocol, tail)
		return nil
	}
	if len(tail) > 0 {
		return fmt.Errorf("unexpected text after the destination: %q", quote(tail))
	}
	return nil
}

// inspect reads a dynamic filter's session record after "[INSPECT] ":
// "LAN2[out][101098] TCP 192.168.100.2:62124 > 203.0.113.1:80 (2024/03/04
// 10:20:30)". The stamp is when the session began, on the router's clock.
func (p *yamahaParser) inspect(b []byte, ev *event.Network) error {
	tok, rest := nextToken(b)
	iface, dir, rule, ok := inspectIface(tok)
	if !ok {
		return fmt.Errorf("bad [INSPECT] interface %q, want iface[in|out][n]", quote(tok))
	}
	ev.Action = "allow"
	ev.RuleName = p.strs.get(rule)
	name := p.strs.get(iface)
	if string(dir) == "in" {
		ev.Direction, ev.InIface = event.DirInbound, name
	} else {
		ev.Direction, ev.OutIface = event.DirOutbound, name
	}
	tail, err := p.packet(rest, ev)
	if err != nil {
		return err
	}
	if len(tail) == 0 {
		return nil // no stamp: the header's time
	}
	if len(tail) != 21 || tail[0] != '(' || tail[20] != ')' {
		return fmt.Errorf("unexpected text after the destination: %q, want (yyyy/mm/dd hh:mm:ss)", quote(tail))
	}
	t, err := p.slashStamp(tail[1:20])
	if err != nil {
		return err
	}
	ev.Time = t
	return nil
}

// inspectIface splits "LAN2[out][101098]" into the interface, the
// direction and the dynamic filter's number.
func inspectIface(tok []byte) (iface, dir, rule []byte, ok bool) {
	if len(tok) < 2 || tok[len(tok)-1] != ']' {
		return nil, nil, nil, false
	}
	i := bytes.LastIndexByte(tok, '[')
	if i < 0 || !filterNumber(tok[i+1:len(tok)-1]) {
		return nil, nil, nil, false
	}
	rule, tok = tok[i+1:len(tok)-1], tok[:i]
	switch {
	case bytes.HasSuffix(tok, []byte("[out]")):
		iface, dir = tok[:len(tok)-5], tok[len(tok)-4:len(tok)-1]
	case bytes.HasSuffix(tok, []byte("[in]")):
		iface, dir = tok[:len(tok)-4], tok[len(tok)-3:len(tok)-1]
	default:
		return nil, nil, nil, false
	}
	return iface, dir, rule, len(iface) > 0
}

// filterNumber reports whether b is a filter's number as RTX logs it:
// digits, or a word such as "default".
func filterNumber(b []byte) bool {
	if len(b) == 0 || len(b) > 16 {
		return false
	}
	for _, c := range b {
		if !isDigit(c) && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// packet reads "PROTO src > dst" into ev and returns the text after the
// destination. An Ethernet filter's record ("aa:bb:..:ff > ..:ff IP") is
// skipped: it carries no IP address.
func (p *yamahaParser) packet(b []byte, ev *event.Network) (tail []byte, err error) {
	proto, b := nextToken(b)
	if len(proto) == 0 {
		return nil, fmt.Errorf("missing protocol")
	}
	if isMAC(proto) {
		return nil, fmt.Errorf("ethernet filter record (MAC addresses, no IP): %w", ErrSkip)
	}
	if !protoWord(proto) {
		return nil, fmt.Errorf("bad protocol %q", quote(proto))
	}
	ev.Protocol = p.protos.get(proto)
	src, b := nextToken(b)
	if len(src) == 0 {
		return nil, fmt.Errorf("missing source address")
	}
	arrow, b := nextToken(b)
	if string(arrow) != ">" {
		return nil, fmt.Errorf(`missing ">" after the source address %q`, quote(src))
	}
	dst, b := nextToken(b)
	if len(dst) == 0 {
		return nil, fmt.Errorf("missing destination address")
	}
	var sport, dport, ok bool
	if ev.SrcIP, ev.SrcPort, sport, ok = yamahaAddrPort(src); !ok {
		return nil, fmt.Errorf("bad source address %q", quote(src))
	}
	if ev.DstIP, ev.DstPort, dport, ok = yamahaAddrPort(dst); !ok {
		return nil, fmt.Errorf("bad destination address %q", quote(dst))
	}
	if (sport || dport) && (ev.Protocol == "icmp" || ev.Protocol == "ipv6-icmp") {
		return nil, fmt.Errorf("port on an %s address %q > %q", ev.Protocol, quote(src), quote(dst))
	}
	return trimSpaces(b), nil
}

// isMAC reports whether b is a MAC address, "00:a0:de:01:02:03".
func isMAC(b []byte) bool {
	if len(b) != 17 {
		return false
	}
	for i := 2; i < 17; i += 3 {
		if b[i] != ':' {
			return false
		}
	}
	return true
}

// protoWord reports whether b can name a protocol: letters, digits and
// dashes (TCP, UDP, ICMP, ICMP6, GRE, ESP, 47).
func protoWord(b []byte) bool {
	if len(b) > 16 {
		return false
	}
	for _, c := range b {
		if !isDigit(c) && c != '-' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// yamahaAddrPort reads an address and its optional port: IPv4
// "192.0.2.1:80", IPv6 "2001:db8::1.80" (RTX's way) or "[2001:db8::1]:80",
// or the address alone.
func yamahaAddrPort(b []byte) (a netip.Addr, port uint16, hasPort, ok bool) {
	if len(b) > 0 && b[0] == '[' {
		end := bytes.IndexByte(b, ']')
		if end < 0 {
			return a, 0, false, false
		}
		if a, ok = parseIPv6(b[1:end]); !ok {
			return a, 0, false, false
		}
		switch rest := b[end+1:]; {
		case len(rest) == 0:
			return a, 0, false, true
		case rest[0] == ':':
			port, ok = portOf(rest[1:])
			return a, port, true, ok
		}
		return a, 0, false, false
	}
	switch bytes.Count(b, []byte{':'}) {
	case 0:
		a, ok = parseAddr(b)
		return a, 0, false, ok && a.Is4()
	case 1:
		i := bytes.IndexByte(b, ':')
		if a, ok = parseAddr(b[:i]); !ok || !a.Is4() {
			return a, 0, false, false
		}
		port, ok = portOf(b[i+1:])
		return a, port, true, ok
	}
	if a, ok = parseIPv6(b); ok {
		return a, 0, false, true
	}
	i := bytes.LastIndexByte(b, '.')
	if i < 0 {
		return a, 0, false, false
	}
	if a, ok = parseIPv6(b[:i]); !ok {
		return a, 0, false, false
	}
	port, ok = portOf(b[i+1:])
	return a, port, true, ok
}

// portOf parses a port number.
func portOf(b []byte) (uint16, bool) {
	n, ok := parseUint(b, 65535)
	return uint16(n), ok
}

// yamahaICMPNames maps the ICMP message names that may follow an ICMP
// record (" : echo request") to their ICMP and ICMPv6 type; -1 where the
// message has no counterpart.
var yamahaICMPNames = []struct {
	name   string
	v4, v6 int
}{
	{"echo request", 8, 128}, {"echo reply", 0, 129},
	{"destination unreachable", 3, 1}, {"unreachable", 3, 1}, {"packet too big", -1, 2},
	{"source quench", 4, -1}, {"redirect", 5, 137}, {"time exceeded", 11, 3}, {"parameter problem", 12, 4},
	{"router advertisement", 9, 134}, {"router solicitation", 10, 133},
	{"neighbor solicitation", -1, 135}, {"neighbor advertisement", -1, 136},
	{"timestamp request", 13, -1}, {"timestamp reply", 14, -1},
	{"information request", 15, -1}, {"information reply", 16, -1},
	{"address mask request", 17, -1}, {"address mask reply", 18, -1},
}

// yamahaICMP returns the type of the ICMP message named after an ICMP
// record's destination (" : echo request"); 0, 0 for none or a name it does
// not know, as filterlog's parser does.
func yamahaICMP(proto string, tail []byte) (typ, code uint8) {
	tail = trimSpaces(bytes.TrimPrefix(tail, []byte(":")))
	for _, n := range yamahaICMPNames {
		if len(tail) < len(n.name) || !bytes.EqualFold(tail[:len(n.name)], []byte(n.name)) {
			continue
		}
		t := n.v4
		if proto == "ipv6-icmp" {
			t = n.v6
		}
		if t < 0 {
			return 0, 0
		}
		return uint8(t), 0
	}
	return 0, 0
}
