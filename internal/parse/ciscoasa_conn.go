package parse

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// The connection messages ("Cisco Secure Firewall ASA Series Syslog
// Messages"):
//
//	302013/302015: Built {inbound|outbound} {TCP|UDP} connection id for if:addr/port (mapped/port) [(user)]
//	               to if:addr/port (mapped/port) [(user)]
//	302014/302016: Teardown {TCP|UDP} connection id for if:addr/port [(user)] to if:addr/port [(user)]
//	               duration h:mm:ss bytes n [reason] [(user)]
//	106023:        Deny proto src if:addr[/port] [(user)] dst if:addr[/port] [(user)] [(type t, code c)]
//	               by access-group "acl" [hash, hash]
//	106100:        access-list acl {permitted|denied|est-allowed} proto if/addr(port) [(user)]
//	               -> if/addr(port) [(user)] hit-cnt n ...
//
// The ASA writes the lower-security ("foreign") side after "for" and the
// higher-security side after "to"; an inbound connection is initiated from
// the "for" side, an outbound one from the "to" side. The mapped address of
// a side that differs from its real one is the NAT address.

// asaSide is one end of a connection as an ASA message writes it.
type asaSide struct {
	iface  []byte
	addr   netip.Addr
	port   uint16
	mapped netip.AddrPort
	user   []byte
}

// readSide reads "if:addr/port" then any "(mapped/port)" and "(user)"
// groups. sep is the byte between interface and address (':' in 302xxx and
// 106023, '/' in 106100), and 106100 writes the port in parentheses.
func readSide(b []byte, sep byte, parenPort bool) (s asaSide, rest []byte, err error) {
	tok, rest := nextToken(b)
	i := bytes.IndexByte(tok, sep)
	if i <= 0 {
		return s, nil, fmt.Errorf("bad endpoint %q", quote(tok))
	}
	s.iface, tok = tok[:i], tok[i+1:]
	var a, port []byte
	if parenPort {
		j := bytes.IndexByte(tok, '(')
		if j < 0 || tok[len(tok)-1] != ')' {
			return s, nil, fmt.Errorf("bad endpoint %q", quote(tok))
		}
		a, port = tok[:j], tok[j+1:len(tok)-1]
	} else if j := bytes.LastIndexByte(tok, '/'); j >= 0 {
		a, port = tok[:j], tok[j+1:]
	} else {
		a = tok
	}
	var ok bool
	if s.addr, ok = parseAddr(a); !ok {
		return s, nil, fmt.Errorf("bad address %q", quote(a))
	}
	if port != nil {
		n, ok := parseUint(port, math.MaxUint16)
		if !ok {
			return s, nil, fmt.Errorf("bad port %q", quote(port))
		}
		s.port = uint16(n)
	}
	for {
		r := trimSpaces(rest)
		if len(r) == 0 || r[0] != '(' {
			break
		}
		end := bytes.IndexByte(r, ')')
		if end < 0 {
			return s, nil, fmt.Errorf("unclosed parenthesis %q", quote(r))
		}
		in := r[1:end]
		rest = r[end+1:]
		if j := bytes.LastIndexByte(in, '/'); j > 0 && !s.mapped.IsValid() && s.user == nil {
			ma, ok1 := parseAddr(in[:j])
			mp, ok2 := parseUint(in[j+1:], math.MaxUint16)
			if ok1 && ok2 {
				s.mapped = netip.AddrPortFrom(ma, uint16(mp))
				continue
			}
		}
		if bytes.HasPrefix(in, []byte("type ")) { // 106023's ICMP type and code
			rest = r
			break
		}
		if s.user == nil {
			s.user = in
		}
	}
	return s, rest, nil
}

// natOf is a side's mapped address when it differs from its real one.
func (s *asaSide) natOf() netip.Addr {
	if s.mapped.IsValid() && s.mapped.Addr() != s.addr {
		return s.mapped.Addr()
	}
	return netip.Addr{}
}

// word cuts the expected word w off the start of b.
func word(b []byte, w string) ([]byte, bool) {
	tok, rest := nextToken(b)
	return rest, string(tok) == w
}

// conn reads a connection built or torn down.
func (p *ciscoASAParser) conn(l *asaLine, ev *event.Network) error {
	b := l.body
	verb, b := nextToken(b)
	built := string(verb) == "Built"
	if !built && string(verb) != "Teardown" {
		return fmt.Errorf("message %d: unexpected text %q", l.id, quote(l.body))
	}
	dir := event.DirUnknown
	if built {
		var d []byte
		d, b = nextToken(b)
		switch string(d) {
		case "inbound":
			dir = event.DirInbound
		case "outbound":
			dir = event.DirOutbound
		default:
			return fmt.Errorf("message %d: bad direction %q", l.id, quote(d))
		}
	}
	proto, b := nextToken(b)
	b, ok := word(b, "connection")
	if !ok {
		return fmt.Errorf("message %d: missing connection", l.id)
	}
	cid, b := nextToken(b)
	connID, ok := parseUint(cid, math.MaxUint64)
	if !ok {
		return fmt.Errorf("message %d: bad connection id %q", l.id, quote(cid))
	}
	if b, ok = word(b, "for"); !ok {
		return fmt.Errorf("message %d: missing for", l.id)
	}
	foreign, b, err := readSide(b, ':', false)
	if err != nil {
		return fmt.Errorf("message %d: %w", l.id, err)
	}
	if b, ok = word(b, "to"); !ok {
		return fmt.Errorf("message %d: missing to", l.id)
	}
	local, b, err := readSide(b, ':', false)
	if err != nil {
		return fmt.Errorf("message %d: %w", l.id, err)
	}
	ev.Time = l.time
	if built {
		if len(p.dirs) >= asaMaxConns {
			clear(p.dirs)
		}
		p.dirs[connID] = dir == event.DirOutbound
	} else {
		if out, seen := p.dirs[connID]; seen {
			dir = event.DirInbound
			if out {
				dir = event.DirOutbound
			}
			delete(p.dirs, connID)
		}
		if b, ok = word(b, "duration"); !ok {
			return fmt.Errorf("message %d: missing duration", l.id)
		}
		var d []byte
		d, b = nextToken(b)
		secs, ok := asaClock(d)
		if !ok {
			return fmt.Errorf("message %d: bad duration %q", l.id, quote(d))
		}
		if b, ok = word(b, "bytes"); !ok {
			return fmt.Errorf("message %d: missing bytes", l.id)
		}
		var n []byte
		n, b = nextToken(b)
		total, ok := parseUint(n, math.MaxInt64)
		if !ok {
			return fmt.Errorf("message %d: bad bytes %q", l.id, quote(n))
		}
		// The ASA counts both directions in one number; it is stored as
		// the initiator's, the only column it can go in.
		ev.BytesOut = total
		ev.EndTime = l.time
		ev.Time = l.time.Add(-time.Duration(secs) * time.Second)
		ev.DurationS = float64(secs)
		reason, user := splitUserSuffix(b)
		ev.Status = p.strs.get(reason)
		if foreign.user == nil && local.user == nil {
			foreign.user = user // the AAA user, after the reason
		}
	}
	src, dst := foreign, local
	if dir == event.DirOutbound {
		src, dst = local, foreign
	}
	p.fillSides(ev, &src, &dst)
	ev.Protocol = protocolOfASA(proto)
	ev.Direction = dir
	ev.Action = "allow"
	if nat := local.natOf(); nat.IsValid() {
		ev.NATIP = nat
	} else {
		ev.NATIP = foreign.natOf()
	}
	p.finish(l, ev)
	return nil
}

// splitUserSuffix splits a teardown's tail into the reason and the AAA
// user that may follow it in parentheses: "TCP FINs (bob)".
func splitUserSuffix(b []byte) (reason, user []byte) {
	b = trimSpaces(b)
	if len(b) > 0 && b[len(b)-1] == ')' {
		if i := bytes.LastIndexByte(b, '('); i >= 0 {
			return trimSpaces(b[:i]), b[i+1 : len(b)-1]
		}
	}
	return b, nil
}

// asaClock parses a connection's duration "h:mm:ss" (hours unbounded).
func asaClock(b []byte) (int64, bool) {
	i := bytes.IndexByte(b, ':')
	if i <= 0 || len(b)-i != 6 || b[i+3] != ':' {
		return 0, false
	}
	h, ok1 := parseUint(b[:i], 1<<30)
	m, ok2 := digits(b[i+1 : i+3])
	s, ok3 := digits(b[i+4:])
	if !ok1 || !ok2 || !ok3 || m > 59 || s > 59 {
		return 0, false
	}
	return int64(h)*3600 + int64(m)*60 + int64(s), true
}

// fillSides copies the ends of a connection into ev.
func (p *ciscoASAParser) fillSides(ev *event.Network, src, dst *asaSide) {
	ev.SrcIP, ev.SrcPort, ev.DstIP, ev.DstPort = src.addr, src.port, dst.addr, dst.port
	ev.InIface, ev.OutIface = p.strs.get(src.iface), p.strs.get(dst.iface)
	user := src.user
	if user == nil {
		user = dst.user
	}
	ev.UserName = p.strs.get(user)
}

// protocolOfASA names the protocol of a message ("TCP", "udp", "47").
func protocolOfASA(b []byte) string {
	switch string(b) {
	case "TCP", "tcp":
		return "tcp"
	case "UDP", "udp":
		return "udp"
	case "ICMP", "icmp":
		return "icmp"
	}
	return protocolOf(b)
}

// finish sets what every network event of the format carries. The line is
// the record's identity, as netfilter's is.
func (p *ciscoASAParser) finish(l *asaLine, ev *event.Network) {
	ev.Kind = event.KindFirewall
	ev.Format = ciscoASAName
	ev.Sensor = l.sensor
	ev.ID = event.NewID(ciscoASAName, l.line)
}

// deny reads 106023: a packet denied by an access group.
func (p *ciscoASAParser) deny(l *asaLine, ev *event.Network) error {
	b, ok := word(l.body, "Deny")
	if !ok {
		return fmt.Errorf("message 106023: unexpected text %q", quote(l.body))
	}
	proto, b := nextToken(b)
	if string(proto) == "protocol" { // "Deny protocol 47 src ..."
		proto, b = nextToken(b)
	}
	if b, ok = word(b, "src"); !ok {
		return fmt.Errorf("message 106023: missing src")
	}
	src, b, err := readSide(b, ':', false)
	if err != nil {
		return fmt.Errorf("message 106023: %w", err)
	}
	if b, ok = word(b, "dst"); !ok {
		return fmt.Errorf("message 106023: missing dst")
	}
	dst, b, err := readSide(b, ':', false)
	if err != nil {
		return fmt.Errorf("message 106023: %w", err)
	}
	ev.Time = l.time
	ev.Protocol = protocolOfASA(proto)
	p.fillSides(ev, &src, &dst)
	b = trimSpaces(b)
	if len(b) > 0 && b[0] == '(' { // "(type 8, code 0)"
		end := bytes.IndexByte(b, ')')
		if end < 0 {
			return fmt.Errorf("message 106023: unclosed parenthesis")
		}
		if ev.Protocol == "icmp" || ev.Protocol == "ipv6-icmp" {
			t, c, ok := icmpTypeCode(b[1:end])
			if !ok {
				return fmt.Errorf("message 106023: bad ICMP type %q", quote(b[:end+1]))
			}
			ev.ICMPType, ev.ICMPCode = t, c
		}
		b = b[end+1:]
	}
	if b, ok = word(b, "by"); ok {
		var g []byte
		if g, b = nextToken(b); string(g) == "access-group" {
			name, _ := nextToken(b)
			ev.RuleName = p.strs.get(bytes.Trim(name, `"`))
		}
	}
	ev.Action = "drop"
	ev.Direction = event.DirUnknown
	p.finish(l, ev)
	return nil
}

// icmpTypeCode reads "type 8, code 0".
func icmpTypeCode(b []byte) (uint8, uint8, bool) {
	b, ok1 := bytes.CutPrefix(b, []byte("type "))
	t, c, ok2 := bytes.Cut(b, []byte(", code "))
	tn, ok3 := parseUint(trimSpaces(t), 255)
	cn, ok4 := parseUint(trimSpaces(c), 255)
	return uint8(tn), uint8(cn), ok1 && ok2 && ok3 && ok4
}

// acl reads 106100: a packet an access-list entry with "log" matched.
func (p *ciscoASAParser) acl(l *asaLine, ev *event.Network) error {
	b, ok := word(l.body, "access-list")
	if !ok {
		return fmt.Errorf("message 106100: unexpected text %q", quote(l.body))
	}
	name, b := nextToken(b)
	verdict, b := nextToken(b)
	switch string(verdict) {
	case "permitted", "est-allowed":
		ev.Action = "allow"
	case "denied":
		ev.Action = "drop"
	default:
		return fmt.Errorf("message 106100: bad verdict %q", quote(verdict))
	}
	proto, b := nextToken(b)
	src, b, err := readSide(b, '/', true)
	if err != nil {
		return fmt.Errorf("message 106100: %w", err)
	}
	if b, ok = word(b, "->"); !ok {
		return fmt.Errorf("message 106100: missing ->")
	}
	dst, _, err := readSide(b, '/', true)
	if err != nil {
		return fmt.Errorf("message 106100: %w", err)
	}
	ev.Time = l.time
	ev.Protocol = protocolOfASA(proto)
	p.fillSides(ev, &src, &dst)
	if ev.Protocol == "icmp" || ev.Protocol == "ipv6-icmp" { // the ports are type and code
		if src.port > 255 || dst.port > 255 {
			return fmt.Errorf("message 106100: bad ICMP type %d or code %d", src.port, dst.port)
		}
		ev.ICMPType, ev.ICMPCode = uint8(src.port), uint8(dst.port)
		ev.SrcPort, ev.DstPort = 0, 0
	}
	ev.RuleName = p.strs.get(name)
	ev.Direction = event.DirUnknown
	p.finish(l, ev)
	return nil
}
