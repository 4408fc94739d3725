package parse

import (
	"bytes"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// filterlogName is the registered name of the pfSense/OPNsense filter log.
const filterlogName = "filterlog"

func init() {
	Register(Format{
		Name:        filterlogName,
		Description: "pfSense/OPNsense filterlog CSV lines (IPv4 and IPv6; TCP, UDP, ICMP and others) behind an RFC 3164 or RFC 5424 syslog header",
		New:         func(o Options) Parser { return newFilterlogParser(o) },
		Sniff:       sniffFilterlog,
	})
}

// filterlogMaxLine is the longest line the parser accepts. filterlog builds
// a record in an sbuf of a few hundred bytes; 8 KiB leaves room for any
// header a relay adds, so a longer line is a record with junk glued to it.
const filterlogMaxLine = 8 << 10

// sniffFilterlog matches a line whose syslog program is filterlog.
func sniffFilterlog(line []byte) bool {
	s := skipPriority(trimSpaces(line))
	if len(s) > 2 && s[0] == '1' && s[1] == ' ' && len(s) < len(trimSpaces(line)) {
		_, _, app, _, ok := split5424(s[2:])
		return ok && string(app) == filterlogName
	}
	if n := stampShape(s); n != 0 {
		s = s[tokensEnd(s, n):]
	}
	_, prog, _, ok := splitTag(s)
	return ok && string(prog) == filterlogName
}

// filterlogParser parses the lines pfSense and OPNsense write for packets
// their pf rules log, in the shapes syslog delivers them:
//
//	<pri>Mon dd hh:mm:ss [host] filterlog[pid]: CSV   (RFC 3164; pfSense leaves the host out)
//	<pri>1 iso-stamp host filterlog pid msgid sd CSV  (RFC 5424)
//	filterlog[pid]: CSV, or the CSV alone             (a collector's body: the input's time)
//
// The CSV is pfSense's raw filter log format: rule number, sub rule,
// anchor, tracker, interface, reason, action, direction and IP version, then
// the IPv4 or IPv6 header fields and the protocol's own (filterlog_fields.go).
// Lines of other programs (dhcpd, unbound in the same stream) are skipped
// with the program's name; a filterlog line that is cut short or holds a
// value filterlog never writes is rejected with the field at fault.
type filterlogParser struct {
	clock  *stampClock
	strs   interner // interfaces, hosts, trackers, actions
	protos interner // protocol number -> IANA keyword
	flags  [256]string
}

func newFilterlogParser(o Options) *filterlogParser {
	return &filterlogParser{
		clock:  newStampClock(o),
		strs:   newInterner(asIs),
		protos: newInterner(protocol),
	}
}

// Parse implements Parser.
func (p *filterlogParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	s := trimSpaces(line)
	if len(s) == 0 {
		return ErrSkip
	}
	if len(s) > filterlogMaxLine {
		return fmt.Errorf("line of %d bytes is longer than a filterlog line can be (%d): junk after the record?", len(s), filterlogMaxLine)
	}
	if i := badByte(s); i >= 0 {
		lead := len(line) - len(bytes.TrimLeft(line, " \t\r\n"))
		return fmt.Errorf("not a filterlog line: binary data at byte %d", lead+i)
	}
	t, host, body, err := p.header(s)
	if err != nil {
		return err
	}
	if err := p.record(body, ev); err != nil {
		return err
	}
	ev.ID = event.NewID(filterlogName, line)
	ev.Time = t
	ev.Kind = event.KindFirewall
	ev.Format = filterlogName
	ev.Sensor = p.strs.get(host)
	return nil
}

// header reads the syslog header of a line and returns the line's time, the
// sending host (nil if the header names none) and the CSV record after it.
// A line of another program is skipped.
func (p *filterlogParser) header(s []byte) (t time.Time, host, body []byte, err error) {
	r := skipPriority(s)
	if len(r) < len(s) && len(r) > 2 && r[0] == '1' && r[1] == ' ' {
		return p.header5424(r[2:])
	}
	t = p.clock.receivedAt()
	if stampShape(r) != 0 {
		if t, r, err = p.clock.parse(r); err != nil {
			return t, nil, nil, err
		}
	} else if first, _ := nextToken(r); len(first) > 0 && isDigit(first[0]) && bytes.Count(first, []byte{','}) > flIPVer {
		return t, nil, r, nil // the CSV alone: its common fields hold no space
	}
	host, prog, body, ok := splitTag(r)
	switch {
	case !ok:
		return t, nil, nil, fmt.Errorf("not a filterlog line: no syslog program tag (\"filterlog[pid]:\") in %q", quote(trimSpaces(r)))
	case string(prog) != filterlogName:
		return t, nil, nil, fmt.Errorf("syslog program %q is not filterlog: %w", quote(prog), ErrSkip)
	}
	return t, host, body, nil
}

// header5424 reads an RFC 5424 header after "<PRI>1 ": stamp, host, app,
// procid, msgid and structured data. "-" is the nil value of each; a nil
// stamp takes the input's time.
func (p *filterlogParser) header5424(s []byte) (t time.Time, host, body []byte, err error) {
	stamp, host, app, body, ok := split5424(s)
	if !ok {
		return t, nil, nil, fmt.Errorf("bad RFC 5424 header %q", quote(s))
	}
	if string(app) != filterlogName {
		return t, nil, nil, fmt.Errorf("syslog program %q is not filterlog: %w", quote(app), ErrSkip)
	}
	if string(stamp) == "-" {
		t = p.clock.receivedAt()
	} else {
		var rest []byte
		if stampShape(stamp) != stampISO {
			return t, nil, nil, fmt.Errorf("bad RFC 5424 timestamp %q", quote(stamp))
		}
		if t, rest, err = p.clock.parse(stamp); err != nil {
			return t, nil, nil, err
		}
		if len(rest) != 0 {
			return t, nil, nil, fmt.Errorf("bad RFC 5424 timestamp %q", quote(stamp))
		}
	}
	if string(host) == "-" {
		host = nil
	}
	return t, host, body, nil
}

// split5424 splits the RFC 5424 header after "<PRI>1 " into its stamp,
// host and app and the MSG after the structured data.
func split5424(s []byte) (stamp, host, app, msg []byte, ok bool) {
	stamp, s = nextToken(s)
	host, s = nextToken(s)
	app, s = nextToken(s)
	_, s = nextToken(s) // procid
	msgid, s := nextToken(s)
	s = bytes.TrimLeft(s, " ")
	sd, ok := StructuredData(s)
	if !ok || len(msgid) == 0 {
		return nil, nil, nil, nil, false
	}
	msg = bytes.TrimPrefix(trimSpaces(s[sd:]), []byte{0xef, 0xbb, 0xbf}) // the MSG's BOM
	return stamp, host, app, msg, true
}

// splitTag reads what follows an RFC 3164 stamp: an optional host, then the
// tag, "prog[pid]:" or "prog:". It returns the host, the program and the
// message after the tag; ok is false when neither of the first two words is
// a tag.
func splitTag(s []byte) (host, prog, msg []byte, ok bool) {
	first, rest := nextToken(s)
	if prog, ok := tagProgram(first); ok {
		return nil, prog, bytes.TrimLeft(rest, " "), true
	}
	second, rest := nextToken(rest)
	if prog, ok := tagProgram(second); ok && len(first) > 0 {
		return first, prog, bytes.TrimLeft(rest, " "), true
	}
	return nil, nil, nil, false
}

// tagProgram returns the program of a syslog tag, "prog[pid]:" or "prog:".
func tagProgram(tok []byte) ([]byte, bool) {
	if len(tok) < 2 || tok[len(tok)-1] != ':' {
		return nil, false
	}
	prog := tok[:len(tok)-1]
	if n := len(prog); n > 0 && prog[n-1] == ']' {
		i := bytes.IndexByte(prog, '[')
		if i <= 0 {
			return nil, false
		}
		if _, ok := digits(prog[i+1 : n-1]); !ok {
			return nil, false
		}
		prog = prog[:i]
	}
	return prog, len(prog) > 0
}
