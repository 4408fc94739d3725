package parse

import (
	"bytes"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// yamahaName is the registered name of the Yamaha RTX filter log.
const yamahaName = "yamaha-rtx"

func init() {
	Register(Format{
		Name:        yamahaName,
		Description: "Yamaha RTX/NVR IP filter logs (\"Rejected at IN(n) filter:\", \"Passed at\", dynamic filter [INSPECT] sessions), raw, behind a syslog header or as show log prints them",
		New:         func(o Options) Parser { return newYamahaParser(o) },
		Sniff:       sniffYamaha,
	})
}

// yamahaMaxLine is the longest line the parser accepts. The router writes a
// filter record of about a hundred bytes; 4 KiB leaves room for any header
// a relay adds, so a longer line is a record with junk glued to it.
const yamahaMaxLine = 4 << 10

// Markers of the records the parser reads.
var (
	yamahaRejected = []byte("Rejected at ")
	yamahaPassed   = []byte("Passed at ")
	yamahaInspect  = []byte("[INSPECT] ")
)

// sniffYamaha matches a line holding a filter record: a static filter's
// "Rejected at IN(" / "Passed at OUT(" with its "filter:", or a dynamic
// filter's "[INSPECT] ".
func sniffYamaha(line []byte) bool {
	if bytes.Contains(line, yamahaInspect) {
		return true
	}
	if !bytes.Contains(line, []byte(" filter: ")) {
		return false
	}
	for _, m := range [...]string{"Rejected at IN(", "Rejected at OUT(", "Passed at IN(", "Passed at OUT("} {
		if bytes.Contains(line, []byte(m)) {
			return true
		}
	}
	return false
}

// yamahaParser parses the lines a Yamaha RTX router (RTX830, RTX1210, NVR510
// and their kin) writes for packets its IP filters log, in the shapes they
// reach a file:
//
//	<pri>BODY                            (as the router sends it: no stamp, no host)
//	Mon dd hh:mm:ss [host] [iface] BODY   (RFC 3164, as rsyslog stores it)
//	<pri>1 iso-stamp host app ... BODY    (RFC 5424, as a relay forwards it)
//	yyyy/mm/dd hh:mm:ss: [iface] BODY     (the router's own "show log")
//	[iface] BODY                          (the body alone: the input's time)
//
// where BODY is one of
//
//	[iface] Rejected at IN(n) filter: PROTO src[:port] > dst[:port] [: ICMP message]
//	[iface] Passed at OUT(n) filter: PROTO src[:port] > dst[:port]
//	[INSPECT] iface[out][n] PROTO src:port > dst:port (yyyy/mm/dd hh:mm:ss)
//
// "Rejected" is a reject filter's (reject-log): RTX discards the packet
// without an answer, so the action is drop; "Passed" is a pass-log
// filter's, allow. IN is a packet received on the interface (inbound,
// InIface), OUT one sent on it (outbound, OutIface). The filter's number
// ("default" for the implicit rule at the end of a list) is the rule.
// An [INSPECT] line is a session a dynamic filter let through (allow),
// stamped with the router's clock when the session began; that stamp,
// which carries its year, is the event's time.
//
// IPv6 addresses carry their port after a dot (2001:db8::1.443), as RTX
// writes them; "[2001:db8::1]:443" is read too. Other router messages
// (PPP, IKE, DHCP, "same message repeated") and Ethernet filter records
// (MAC addresses, no IP) are skipped with the reason; a filter record cut
// short or holding a value RTX never writes is rejected with what is wrong.
type yamahaParser struct {
	clock  *stampClock
	strs   interner // interfaces, hosts, filter numbers
	protos interner // protocol name -> IANA keyword
}

func newYamahaParser(o Options) *yamahaParser {
	return &yamahaParser{
		clock:  newStampClock(o),
		strs:   newInterner(asIs),
		protos: newInterner(protocol),
	}
}

// Parse implements Parser.
func (p *yamahaParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	s := trimSpaces(line)
	if len(s) == 0 {
		return ErrSkip
	}
	if len(s) > yamahaMaxLine {
		return fmt.Errorf("line of %d bytes is longer than a Yamaha RTX log line can be (%d): junk after the record?", len(s), yamahaMaxLine)
	}
	if i := badByte(s); i >= 0 {
		lead := len(line) - len(bytes.TrimLeft(line, " \t\r\n"))
		return fmt.Errorf("not a Yamaha RTX line: binary data at byte %d", lead+i)
	}
	h, err := p.header(s)
	if err != nil {
		return err
	}
	if err := p.message(&h, ev); err != nil {
		return err
	}
	ev.ID = event.NewID(yamahaName, line)
	if ev.Time.IsZero() {
		ev.Time = h.time
	}
	ev.Kind = event.KindFirewall
	ev.Format = yamahaName
	ev.Sensor = p.strs.get(h.host)
	return nil
}

// yamahaHeader is what precedes the router's message on a line.
type yamahaHeader struct {
	time   time.Time
	host   []byte
	rest   []byte // the message
	syslog bool   // an RFC 3164 header: the message may start with a host
}

// header reads the header of a line, as the parser's comment lists them.
func (p *yamahaParser) header(s []byte) (yamahaHeader, error) {
	r := skipPriority(s)
	if len(r) < len(s) && len(r) > 2 && r[0] == '1' && r[1] == ' ' {
		return p.header5424(r[2:])
	}
	r = bytes.TrimLeft(r, " ")
	switch {
	case stampShape(r) != 0:
		t, rest, err := p.clock.parse(r)
		if err != nil {
			return yamahaHeader{}, err
		}
		return yamahaHeader{time: t, rest: bytes.TrimLeft(rest, " "), syslog: true}, nil
	case len(r) >= 20 && r[4] == '/' && r[19] == ':': // show log: "2024/03/04 10:20:30: "
		t, err := p.slashStamp(r[:19])
		if err != nil {
			return yamahaHeader{}, err
		}
		return yamahaHeader{time: t, rest: bytes.TrimLeft(r[20:], " ")}, nil
	}
	return yamahaHeader{time: p.clock.receivedAt(), rest: r}, nil
}

// header5424 reads an RFC 5424 header after "<PRI>1 ": stamp, host, app,
// procid, msgid and structured data. "-" is the nil value of each; a nil
// stamp takes the input's time.
func (p *yamahaParser) header5424(s []byte) (yamahaHeader, error) {
	stamp, host, _, msg, ok := split5424(s)
	if !ok {
		return yamahaHeader{}, fmt.Errorf("bad RFC 5424 header %q", quote(s))
	}
	h := yamahaHeader{time: p.clock.receivedAt(), rest: msg}
	if string(stamp) != "-" {
		if stampShape(stamp) != stampISO {
			return h, fmt.Errorf("bad RFC 5424 timestamp %q", quote(stamp))
		}
		t, rest, err := p.clock.parse(stamp)
		if err != nil {
			return h, err
		}
		if len(rest) != 0 {
			return h, fmt.Errorf("bad RFC 5424 timestamp %q", quote(stamp))
		}
		h.time = t
	}
	if string(host) != "-" {
		h.host = host
	}
	return h, nil
}

// slashStamp parses the router's own "yyyy/mm/dd hh:mm:ss", in its local
// time (Options.Location).
func (p *yamahaParser) slashStamp(b []byte) (time.Time, error) {
	if len(b) != 19 || b[4] != '/' || b[7] != '/' || b[10] != ' ' {
		return time.Time{}, fmt.Errorf("bad timestamp %q, want yyyy/mm/dd hh:mm:ss", quote(b))
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	h, mi, sec, ok4 := clock(b[11:])
	if !ok1 || !ok2 || !ok3 || !ok4 || y < 1970 {
		return time.Time{}, fmt.Errorf("bad timestamp %q, want yyyy/mm/dd hh:mm:ss", quote(b))
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return time.Time{}, fmt.Errorf("impossible date %q", quote(b[:10]))
	}
	return p.clock.date(y, time.Month(m), d, h, mi, sec).UTC(), nil
}

// message finds the filter record in the message after the header and reads
// it into ev; the words before it are the syslog host and the interface. A
// message holding no filter record is skipped.
func (p *yamahaParser) message(h *yamahaHeader, ev *event.Network) error {
	m := h.rest
	if i := bytes.Index(m, yamahaInspect); i >= 0 {
		pre, n, ok := p.words(m[:i], 1)
		switch {
		case !ok || (n == 1 && !h.syslog):
			return fmt.Errorf("unrecognised text before [INSPECT]: %q", quote(trimSpaces(m[:i])))
		case n == 1:
			h.host = pre[0]
		}
		return p.inspect(m[i+len(yamahaInspect):], ev)
	}
	i, action, marker := bytes.Index(m, yamahaRejected), "drop", yamahaRejected
	if i < 0 {
		i, action, marker = bytes.Index(m, yamahaPassed), "allow", yamahaPassed
	}
	if i < 0 {
		return fmt.Errorf("router message %q is not a filter log: %w", quote(m), ErrSkip)
	}
	rest := m[i+len(marker):]
	pre, n, ok := p.words(m[:i], 2)
	if !ok || (n == 2 && !h.syslog) {
		return fmt.Errorf("unrecognised text before the filter record: %q", quote(trimSpaces(m[:i])))
	}
	var iface []byte
	switch {
	case n == 2:
		h.host, iface = pre[0], pre[1]
	case n == 1 && h.syslog && !yamahaIface(pre[0]):
		h.host = pre[0]
	case n == 1:
		iface = pre[0]
	}
	ev.Action = action
	return p.filter(rest, iface, ev)
}

// words splits b into at most n (1 or 2) words; false if it holds more.
func (p *yamahaParser) words(b []byte, n int) (w [2][]byte, k int, ok bool) {
	for {
		tok, rest := nextToken(b)
		if len(tok) == 0 {
			return w, k, true
		}
		if k == n {
			return w, k, false
		}
		w[k] = tok
		k++
		b = rest
	}
}

// yamahaIface reports whether a word is an RTX interface name (LAN2,
// PP[01], TUNNEL[1], LAN1(port1), ...) rather than a syslog host.
func yamahaIface(w []byte) bool {
	for _, pre := range [...]string{"PP[", "TUNNEL[", "PPPOE["} {
		if bytes.HasPrefix(w, []byte(pre)) {
			return true
		}
	}
	for _, pre := range [...]string{"LAN", "WAN", "BRIDGE", "VLAN", "LOOPBACK"} {
		if bytes.HasPrefix(w, []byte(pre)) && len(w) > len(pre) && isDigit(w[len(pre)]) {
			return true
		}
	}
	return string(w) == "NULL"
}
