package parse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/homesoc/homesoc/internal/event"
)

// The AnyConnect / WebVPN session messages ("Cisco Secure Firewall ASA
// Series Syslog Messages"):
//
//	113039: Group group User user IP ip AnyConnect parent session started.
//	716001: Group group User user IP ip WebVPN session started.
//	722022: Group group User user IP ip {TCP|UDP} SVC connection established {with|without} compression
//	722051: Group group User user IP ip IPv4 Address addr IPv6 address addr assigned to session
//	722023: Group group User user IP ip {TCP|UDP} SVC connection terminated {with|without} compression
//	716002: Group group User user IP ip WebVPN session terminated: reason.
//	113019: Group = group, Username = user, IP = ip, Session disconnected. Session Type: type,
//	        Duration: 1h:02m:03s, Bytes xmt: n, Bytes rcv: n, Reason: reason
//
// Newer releases put each value of the first six in angle brackets
// ("Group <GP> User <u> IP <1.2.3.4>"), which lets a value hold spaces.

// vpn turns a session message into one VPN session fact.
func (p *ciscoASAParser) vpn(l *asaLine) error {
	s := event.VPNSession{Time: l.time, Sensor: l.sensor, Format: ciscoASAName, Raw: string(l.line)}
	var err error
	if l.id == 113019 {
		err = p.disconnected(l, &s)
	} else {
		err = p.groupUserIP(l, &s)
	}
	if err != nil {
		return err
	}
	s.ID = asaVPNID(&s, l.id)
	p.extra.VPNSessions = append(p.extra.VPNSessions, s)
	return ErrExtraOnly
}

// groupUserIP reads the messages that start "Group g User u IP ip".
func (p *ciscoASAParser) groupUserIP(l *asaLine, s *event.VPNSession) error {
	b := l.body
	group, b, ok := asaValue(b, "Group")
	if !ok {
		if l.id == 722051 { // an older text: "(WebVPN-Primary) WebVPN session for client user u, IP ip has been created."
			return fmt.Errorf("message 722051 without Group/User/IP: %w", ErrSkip)
		}
		return fmt.Errorf("message %d: missing Group", l.id)
	}
	user, b, ok := asaValue(b, "User")
	if !ok {
		return fmt.Errorf("message %d: missing User", l.id)
	}
	ip, b, ok := asaValue(b, "IP")
	if !ok {
		return fmt.Errorf("message %d: missing IP", l.id)
	}
	remote, ok := parseAddr(ip)
	if !ok {
		return fmt.Errorf("message %d: bad IP %q", l.id, quote(ip))
	}
	s.Group, s.User, s.RemoteIP = p.strs.get(group), p.strs.get(user), remote
	b = trimSpaces(b)
	switch l.id {
	case 113039, 716001, 722022:
		s.Kind = event.VPNStart
	case 722051:
		s.Kind = event.VPNAssign
		v4, rest, ok := asaValue(b, "IPv4 Address")
		if !ok {
			return fmt.Errorf("message 722051: missing IPv4 Address")
		}
		v6, _, ok := asaValue(rest, "IPv6 address")
		if !ok {
			return fmt.Errorf("message 722051: missing IPv6 address")
		}
		a4, ok4 := parseAddr(v4)
		a6, ok6 := parseAddr(v6)
		switch {
		case ok4 && !a4.IsUnspecified():
			s.AssignedIP = a4
		case ok6 && !a6.IsUnspecified():
			s.AssignedIP = a6
		case len(v4) != 0 && !ok4, len(v6) != 0 && !ok6:
			return fmt.Errorf("message 722051: bad assigned address %q / %q", quote(v4), quote(v6))
		default:
			return fmt.Errorf("message 722051 without an assigned address: %w", ErrSkip)
		}
	case 722023:
		s.Kind = event.VPNEnd
		s.Reason = string(bytes.TrimSuffix(b, []byte(".")))
	case 716002:
		s.Kind = event.VPNEnd
		r, ok := bytes.CutPrefix(b, []byte("WebVPN session terminated"))
		if !ok {
			return fmt.Errorf("message 716002: unexpected text %q", quote(b))
		}
		s.Reason = string(bytes.TrimSuffix(trimSpaces(bytes.TrimPrefix(r, []byte(":"))), []byte(".")))
	}
	return nil
}

// asaValue reads "Name value " or "Name <value> " at the start of b.
func asaValue(b []byte, name string) (value, rest []byte, ok bool) {
	b = trimSpaces(b)
	if !bytes.HasPrefix(b, []byte(name)) || len(b) <= len(name) || b[len(name)] != ' ' {
		return nil, nil, false
	}
	b = b[len(name)+1:]
	if len(b) > 0 && b[0] == '<' {
		end := bytes.IndexByte(b, '>')
		if end < 0 {
			return nil, nil, false
		}
		return b[1:end], b[end+1:], true
	}
	tok, rest := nextToken(b)
	return tok, rest, len(tok) > 0
}

// disconnected reads 113019. A LAN-to-LAN tunnel's end is no user's
// session: it is skipped.
func (p *ciscoASAParser) disconnected(l *asaLine, s *event.VPNSession) error {
	b := l.body
	group, b, ok1 := asaEq(b, "Group")
	user, b, ok2 := asaEq(b, "Username")
	ip, b, ok3 := asaEq(b, "IP")
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("message 113019: missing Group, Username or IP")
	}
	remote, ok := parseAddr(ip)
	if !ok {
		return fmt.Errorf("message 113019: bad IP %q", quote(ip))
	}
	b, ok = bytes.CutPrefix(trimSpaces(b), []byte("Session disconnected."))
	if !ok {
		return fmt.Errorf("message 113019: unexpected text %q", quote(b))
	}
	typ, b, _ := asaColon(b, "Session Type")
	if string(typ) == "LAN-to-LAN" {
		return fmt.Errorf("message 113019 of a LAN-to-LAN tunnel: %w", ErrSkip)
	}
	dur, b, ok := asaColon(b, "Duration")
	if !ok {
		return fmt.Errorf("message 113019: missing Duration")
	}
	d, ok := asaSessionDuration(dur)
	if !ok {
		return fmt.Errorf("message 113019: bad Duration %q", quote(dur))
	}
	xmt, b, ok1 := asaColon(b, "Bytes xmt")
	rcv, b, ok2 := asaColon(b, "Bytes rcv")
	out, ok3 := parseUint(xmt, 1<<63)
	in, ok4 := parseUint(rcv, 1<<63)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return fmt.Errorf("message 113019: bad Bytes xmt or Bytes rcv")
	}
	reason, _, _ := asaColon(b, "Reason")
	s.Kind = event.VPNEnd
	s.Group, s.User, s.RemoteIP = p.strs.get(group), p.strs.get(user), remote
	s.DurationS = float64(d)
	s.BytesOut, s.BytesIn = out, in // xmt: sent by the ASA to the client
	s.Reason = string(reason)
	return nil
}

// asaEq reads "Name = value," at the start of b.
func asaEq(b []byte, name string) (value, rest []byte, ok bool) {
	b = trimSpaces(b)
	b, ok = bytes.CutPrefix(b, []byte(name))
	if !ok {
		return nil, nil, false
	}
	b, ok = bytes.CutPrefix(trimSpaces(b), []byte("="))
	if !ok {
		return nil, nil, false
	}
	end := bytes.IndexByte(b, ',')
	if end < 0 {
		return nil, nil, false
	}
	return trimSpaces(b[:end]), b[end+1:], true
}

// asaColon reads "Name: value" at the start of b, up to the next ", " (the
// value of the last field runs to the end, less a final period).
func asaColon(b []byte, name string) (value, rest []byte, ok bool) {
	b = trimSpaces(b)
	b, ok = bytes.CutPrefix(b, []byte(name+":"))
	if !ok {
		return nil, b, false
	}
	if end := bytes.Index(b, []byte(", ")); end >= 0 {
		return trimSpaces(b[:end]), b[end+2:], true
	}
	return bytes.TrimSuffix(trimSpaces(b), []byte(".")), nil, true
}

// asaSessionDuration parses a session's duration as 113019 writes it:
// "0h:32m:16s", with a day count before it for long sessions ("1d 2h:03m:04s"
// or "1d:02h:03m:04s").
func asaSessionDuration(b []byte) (int64, bool) {
	var total int64
	seen := false
	for len(b) > 0 {
		i := 0
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == 0 || i == len(b) || i > 9 {
			return 0, false
		}
		n, _ := parseUint(b[:i], 1<<40)
		var unit int64
		switch b[i] {
		case 'd':
			unit = 86400
		case 'h':
			unit = 3600
		case 'm':
			unit = 60
		case 's':
			unit = 1
		default:
			return 0, false
		}
		total += int64(n) * unit
		seen = true
		b = b[i+1:]
		if len(b) > 0 && (b[0] == ':' || b[0] == ' ') {
			b = b[1:]
		}
	}
	return total, seen
}

// asaVPNID is the identity of a session fact: the message, time and sensor,
// and the fact's own fields, so each fact is stored once.
func asaVPNID(s *event.VPNSession, id int) event.ID {
	var b []byte
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(s.Time.Unix()))
	for _, f := range []string{s.Kind, s.Sensor, s.Group, s.User, addrText(s.RemoteIP), addrText(s.AssignedIP), s.Reason} {
		b = append(b, f...)
		b = append(b, 0)
	}
	b = strconv.AppendUint(b, s.BytesIn, 10)
	b = append(b, 0)
	b = strconv.AppendUint(b, s.BytesOut, 10)
	return event.NewID(ciscoASAName, b)
}

// addrText is a's text, "" for the zero address.
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
