package parse

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// openVPNName is the registered name of the OpenVPN server log format.
const openVPNName = "openvpn"

func init() {
	Register(Format{
		Name:        openVPNName,
		Description: "OpenVPN 2.x server log (own stamps or a syslog header): client connect, pool address, disconnect",
		New:         func(o Options) Parser { return newOpenVPNParser(o) },
		Sniff:       sniffOpenVPN,
	})
}

// openVPNMarks are messages only OpenVPN writes; a line holding one is
// OpenVPN's. The status file's lines hold none of them.
var openVPNMarks = []string{
	" Peer Connection Initiated with ", "MULTI: ", "MULTI_sva: ", "client-instance ",
	"VERIFY OK: ", "peer info: IV_", "Control Channel: ", "Data Channel: ", "TLS: ",
	"PUSH_REPLY", "TUN/TAP device ", "IFCONFIG POOL", "Initialization Sequence Completed",
	" openvpn[", " openvpn: ", " ovpn-server[",
}

// sniffOpenVPN matches a line holding a message only OpenVPN writes.
func sniffOpenVPN(line []byte) bool {
	if len(line) == 0 || line[0] == '{' {
		return false
	}
	s := string(line)
	for _, m := range openVPNMarks {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// openVPNMaxLine is the longest line accepted: OpenVPN formats a message
// in a buffer of 1 KiB (ERR_BUF_SIZE is 1280 in 2.x); 8 KiB leaves room for
// relays' headers. A longer line is junk glued to a record.
const openVPNMaxLine = 8 << 10

// openVPNMaxAuth bounds the usernames remembered between a client's
// authentication and its connection line.
const openVPNMaxAuth = 4096

// openVPNParser parses an OpenVPN server's log in the shapes it is written:
//
//	2024-05-01 10:00:00 MSG                       (--log, the default stamp)
//	Tue Aug 12 08:26:30 2025 us=340080 MSG        (older stamps, --verb with microseconds)
//	May  1 10:00:00 host ovpn-server[812]: MSG    (syslog, RFC 3164)
//	<30>1 2024-05-01T10:00:00Z host openvpn 812 - - MSG  (RFC 5424)
//	ovpn-server[812]: MSG                         (a tag alone: the input's time)
//	MSG                                           (the body alone: the input's time)
//
// A client's messages start with its prefix, "ip:port" before it
// authenticates and "cn/ip:port" after. Three kinds of message carry a
// session fact (see Parse); every other is skipped.
//
// It remembers the username each remote end authenticated with until its
// session ends, so the facts that follow name that user even when the
// certificate's common name is another (or UNDEF): the session's facts
// then agree on the user.
type openVPNParser struct {
	clock *stampClock
	extra event.Extra
	users map[string]string // remote "ip:port" -> username of its last authentication
}

func newOpenVPNParser(o Options) *openVPNParser {
	return &openVPNParser{clock: newStampClock(o), users: map[string]string{}}
}

// Extra implements ExtraParser.
func (p *openVPNParser) Extra() *event.Extra { return &p.extra }

// errOpenVPNNoFact is the skip of a well-formed message with no session fact.
var errOpenVPNNoFact = fmt.Errorf("openvpn message without a session fact: %w", ErrSkip)

// Parse implements Parser. It returns ErrExtraOnly with one VPNSession in
// Extra for a client connecting ("Peer Connection Initiated": VPNStart), its
// pool address ("MULTI: Learn", "MULTI: primary virtual IP", "MULTI_sva:
// pool returned": VPNAssign) and its end (a signal ending the client
// instance, an inactivity timeout: VPNEnd).
func (p *openVPNParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	s := trimSpaces(line)
	if len(s) == 0 {
		return ErrSkip
	}
	if len(s) > openVPNMaxLine {
		return fmt.Errorf("line of %d bytes is longer than an OpenVPN log line can be (%d): junk after the record?", len(s), openVPNMaxLine)
	}
	if i := badByte(s); i >= 0 {
		return fmt.Errorf("not an openvpn line: binary data at byte %d", i)
	}
	t, host, body, err := p.header(s)
	if err != nil {
		return err
	}
	f := event.VPNSession{Time: t, Sensor: string(host)}
	msg := string(body)
	switch {
	case strings.Contains(msg, " Peer Connection Initiated with "):
		err = p.connected(msg, &f)
	case strings.Contains(msg, "MULTI: Learn: "):
		err = learned(msg, &f)
	case strings.Contains(msg, "MULTI: primary virtual IP for "):
		err = primaryIP(msg, &f)
	case strings.Contains(msg, "MULTI_sva: pool returned "):
		err = poolReturned(msg, &f)
	case strings.Contains(msg, " received, client-instance "), strings.Contains(msg, "Inactivity timeout ("):
		err = ended(msg, &f)
		if err == nil {
			defer delete(p.users, netip.AddrPortFrom(f.RemoteIP, f.RemotePort).String())
		}
	case strings.Contains(msg, "TLS: Username/Password authentication succeeded for username '"):
		p.authenticated(msg)
		return fmt.Errorf("openvpn authentication (its user goes to the connection that follows): %w", ErrSkip)
	default:
		return errOpenVPNNoFact
	}
	if err != nil {
		return err
	}
	if f.Kind != event.VPNStart {
		f.User = p.user(f.User, netip.AddrPortFrom(f.RemoteIP, f.RemotePort))
	}
	f.Format = openVPNName
	f.Raw = string(line)
	f.ID = vpnID(openVPNName, &f)
	p.extra.VPNSessions = append(p.extra.VPNSessions, f)
	return ErrExtraOnly
}

// header reads a line's stamp and syslog host and tag, and drops
// OpenVPN's "us=123456"; a line without a stamp has the input's time.
func (p *openVPNParser) header(s []byte) (t time.Time, host, body []byte, err error) {
	s = skipPriority(s)
	if len(s) > 2 && s[0] == '1' && s[1] == ' ' && stampShape(s[2:]) == stampISO { // RFC 5424
		if t, s, err = p.clock.parse(s[2:]); err != nil {
			return t, nil, nil, err
		}
		host, s = nextToken(s)
		_, s = nextToken(s) // app
		_, s = nextToken(s) // procid
		_, s = nextToken(s) // msgid
		s = trimSpaces(s)
		n, ok := StructuredData(s)
		if !ok {
			return t, nil, nil, fmt.Errorf("bad RFC 5424 structured data %q", quote(s))
		}
		if string(host) == "-" {
			host = nil
		}
		return t, host, skipMicros(s[n:]), nil
	}
	if stampShape(s) == 0 {
		// The body alone, or behind the tag alone as journalctl -o cat
		// and some relays write it ("ovpn-server[812]: ", "openvpn-server@x: ").
		host, s = syslogTag(s)
		return p.clock.receivedAt(), host, skipMicros(s), nil
	}
	if t, s, err = p.clock.parse(s); err != nil {
		return t, nil, nil, err
	}
	// A syslog header has "host tag[pid]:" or "tag:" after its stamp.
	host, s = syslogTag(s)
	return t, host, skipMicros(s), nil
}

// syslogTag splits the syslog host and tag off s, when the first or second
// token is a tag: "name[pid]:", or "name:" where name has "vpn" in it
// (openvpn:, ovpn-server:) - message words such as "MULTI:" are not tags.
func syslogTag(s []byte) (host, rest []byte) {
	first, after := nextToken(s)
	if isSyslogTag(first) {
		return nil, after
	}
	second, after2 := nextToken(after)
	if len(first) > 0 && isSyslogTag(second) {
		return first, after2
	}
	return nil, s
}

func isSyslogTag(tok []byte) bool {
	if len(tok) < 2 || tok[len(tok)-1] != ':' {
		return false
	}
	name := string(tok[:len(tok)-1])
	if strings.HasSuffix(name, "]") {
		i := strings.IndexByte(name, '[')
		if i <= 0 {
			return false
		}
		_, ok := parseUint([]byte(name[i+1:len(name)-1]), 1<<32)
		return ok
	}
	return strings.Contains(strings.ToLower(name), "vpn")
}

// skipMicros drops the "us=123456" OpenVPN writes after its stamp with
// --verb 4 and above (and older releases always).
func skipMicros(s []byte) []byte {
	s = trimSpaces(s)
	if tok, rest := nextToken(s); len(tok) > 3 && string(tok[:3]) == "us=" {
		if _, ok := digits(tok[3:]); ok {
			return trimSpaces(rest)
		}
	}
	return s
}

// connected reads "ip:port [cn] Peer Connection Initiated with
// [AF_INET]ip:port".
func (p *openVPNParser) connected(msg string, f *event.VPNSession) error {
	const mark = " Peer Connection Initiated with "
	i := strings.Index(msg, mark)
	pre, with := msg[:i], strings.TrimSpace(msg[i+len(mark):])
	if j := strings.IndexByte(with, ' '); j >= 0 { // later releases add "(via ...)"
		with = with[:j]
	}
	if j := strings.IndexByte(with, ']'); strings.HasPrefix(with, "[AF_") && j > 0 {
		with = with[j+1:]
	}
	remote, err := vpnEndpoint(with)
	if err != nil {
		return fmt.Errorf("openvpn connection: bad remote %q", quote([]byte(with)))
	}
	// "ip:port [cn]", or "[cn]" alone where a relay dropped the prefix
	b := strings.Index(pre, " [") + 1
	if (b == 0 && !strings.HasPrefix(pre, "[")) || !strings.HasSuffix(pre, "]") || len(pre) < b+2 {
		return fmt.Errorf("openvpn connection: no [common name] in %q", quote([]byte(pre)))
	}
	f.Kind = event.VPNStart
	f.User = pre[b+1 : len(pre)-1]
	f.RemoteIP, f.RemotePort = remote.Addr(), remote.Port()
	f.User = p.user(f.User, remote)
	if f.User == "" || f.User == "UNDEF" {
		return fmt.Errorf("openvpn connection without a user: %w", ErrSkip)
	}
	return nil
}

// user is the username the remote end authenticated with, else cn.
func (p *openVPNParser) user(cn string, remote netip.AddrPort) string {
	if u, ok := p.users[remote.String()]; ok {
		return u
	}
	return cn
}

// authenticated remembers the username of "ip:port TLS: Username/Password
// authentication succeeded for username 'x'".
func (p *openVPNParser) authenticated(msg string) {
	const mark = "TLS: Username/Password authentication succeeded for username '"
	i := strings.Index(msg, mark)
	user, _, ok := strings.Cut(msg[i+len(mark):], "'")
	_, remote, err := clientPrefix(msg[:i])
	if !ok || user == "" || err != nil || !remote.IsValid() {
		return
	}
	if len(p.users) >= openVPNMaxAuth {
		clear(p.users)
	}
	p.users[remote.String()] = user
}

// learned reads "cn/ip:port MULTI: Learn: 10.8.0.6 -> cn/ip:port".
func learned(msg string, f *event.VPNSession) error {
	const mark = "MULTI: Learn: "
	i := strings.Index(msg, mark)
	addr, client, ok := strings.Cut(msg[i+len(mark):], " -> ")
	if !ok {
		return fmt.Errorf("openvpn learn: no \" -> \" in %q", quote([]byte(msg[i:])))
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		// A tap client's MAC, an iroute's subnet: not the client's address.
		return fmt.Errorf("openvpn learn of a route or MAC, not a pool address: %w", ErrSkip)
	}
	f.AssignedIP = a.Unmap()
	return assignTo(strings.TrimSpace(client), f)
}

// primaryIP reads "cn/ip:port MULTI: primary virtual IP for cn/ip:port:
// 10.8.0.6" (OpenVPN 2.5 and later).
func primaryIP(msg string, f *event.VPNSession) error {
	const mark = "MULTI: primary virtual IP for "
	i := strings.Index(msg, mark)
	rest := msg[i+len(mark):]
	j := strings.LastIndex(rest, ": ")
	if j < 0 {
		return fmt.Errorf("openvpn primary virtual IP: no address in %q", quote([]byte(rest)))
	}
	a, err := netip.ParseAddr(strings.TrimSpace(rest[j+2:]))
	if err != nil || a.Zone() != "" {
		return fmt.Errorf("openvpn primary virtual IP: bad address %q", quote([]byte(rest[j+2:])))
	}
	f.AssignedIP = a.Unmap()
	return assignTo(rest[:j], f)
}

// poolReturned reads "cn/ip:port MULTI_sva: pool returned IPv4=10.8.0.6,
// IPv6=(Not enabled)".
func poolReturned(msg string, f *event.VPNSession) error {
	const mark = "MULTI_sva: pool returned "
	i := strings.Index(msg, mark)
	for _, kv := range strings.Split(msg[i+len(mark):], ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if k != "IPv4" && k != "IPv6" {
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" {
			f.AssignedIP = a.Unmap()
			break
		}
	}
	if !f.AssignedIP.IsValid() {
		return fmt.Errorf("openvpn pool returned no address: %w", ErrSkip)
	}
	return assignTo(strings.TrimSpace(msg[:i]), f)
}

// assignTo makes f the assignment to the client "cn/ip:port".
func assignTo(client string, f *event.VPNSession) error {
	user, remote, err := clientPrefix(client)
	if err != nil {
		return fmt.Errorf("openvpn assignment: %w", err)
	}
	if user == "" {
		return fmt.Errorf("openvpn assignment to an unauthenticated client: %w", ErrSkip)
	}
	f.Kind, f.User, f.RemoteIP, f.RemotePort = event.VPNAssign, user, remote.Addr(), remote.Port()
	return nil
}

// ended reads "cn/ip:port SIGTERM[soft,remote-exit] received,
// client-instance exiting" (or restarting) and "cn/ip:port Inactivity
// timeout (--inactive), exiting". The reason is the signal or the timeout.
func ended(msg string, f *event.VPNSession) error {
	var pre, reason string
	if i := strings.Index(msg, " received, client-instance "); i >= 0 {
		pre = msg[:i]
		j := strings.LastIndexByte(pre, ' ')
		pre, reason = msg[:j+1], msg[j+1:i]
		if j < 0 {
			pre = ""
		}
	} else {
		i := strings.Index(msg, "Inactivity timeout (")
		pre = msg[:i]
		reason, _, _ = strings.Cut(msg[i:], ")")
		reason += ")"
	}
	pre = strings.TrimSpace(pre)
	if pre == "" {
		return fmt.Errorf("openvpn client instance ended without its client's name: %w", ErrSkip)
	}
	user, remote, err := clientPrefix(pre)
	if err != nil {
		return fmt.Errorf("openvpn end: %w", err)
	}
	if user == "" {
		return fmt.Errorf("openvpn client ended before it authenticated: %w", ErrSkip)
	}
	f.Kind, f.User, f.RemoteIP, f.RemotePort, f.Reason = event.VPNEnd, user, remote.Addr(), remote.Port(), reason
	return nil
}

// clientPrefix reads a client's prefix: "cn/ip:port" (the common name may
// hold spaces and slashes) or "ip:port" before it authenticates, with a
// trailing " [cn]" of some messages dropped.
func clientPrefix(s string) (user string, remote netip.AddrPort, err error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "]") {
		if i := strings.LastIndex(s, " ["); i >= 0 {
			s = s[:i]
		}
	}
	ep := s
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		user, ep = s[:i], s[i+1:]
	}
	remote, err = vpnEndpoint(ep)
	if err != nil {
		return "", remote, fmt.Errorf("bad client %q", quote([]byte(s)))
	}
	return user, remote, nil
}

// errBadEndpoint is the error of a remote end that is not ip:port.
var errBadEndpoint = errors.New("not ip:port")

// vpnEndpoint parses a remote end as OpenVPN prints it: "1.2.3.4:1194",
// "2001:db8::1:1194" (IPv6 without brackets: the port is after the last
// colon), "[2001:db8::1]:1194", an IPv4-mapped address, or with the
// protocol before it as 2.5's status file writes it ("udp4:1.2.3.4:1194",
// "tcp4-server:1.2.3.4:1194").
func vpnEndpoint(s string) (netip.AddrPort, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i > 0 && (strings.HasPrefix(s, "udp") || strings.HasPrefix(s, "tcp")) {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return ap, errBadEndpoint
		}
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}, errBadEndpoint
	}
	a, err := netip.ParseAddr(s[:i])
	if err != nil || a.Zone() != "" {
		return netip.AddrPort{}, errBadEndpoint
	}
	port, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return netip.AddrPort{}, errBadEndpoint
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
}

// vpnID is the identity of a session fact: every field that makes it, not
// the line, so one fact logged twice in one second by two messages (MULTI:
// Learn and MULTI: primary virtual IP) is stored once. Bytes are left out:
// a status file rewritten every minute gives one start per session.
func vpnID(format string, f *event.VPNSession) event.ID {
	var b []byte
	for _, s := range []string{f.Kind, f.User, f.Group, f.SessionID, f.Reason, f.Sensor} {
		b = append(b, s...)
		b = append(b, 0)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(f.Time.Unix()))
	for _, a := range []netip.Addr{f.RemoteIP, f.AssignedIP} {
		if a.IsValid() {
			b = append(b, a.String()...)
		}
		b = append(b, 0)
	}
	b = binary.BigEndian.AppendUint16(b, f.RemotePort)
	return event.NewID(format, b)
}
