package parse

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// fortiGateName is the registered name of the FortiGate format.
const fortiGateName = "fortigate"

func init() {
	Register(Format{
		Name:        fortiGateName,
		Description: "FortiGate key=value logs: traffic into network_events, SSL-VPN and IPsec tunnel-up/down/stats into vpn_sessions",
		New:         func(o Options) Parser { return newFortiGateParser(o) },
		Sniff:       sniffFortiGate,
	})
}

// sniffFortiGate matches a FortiGate key=value line: it has a logid and a
// subtype, and is not CEF (whose keys carry a vendor prefix).
func sniffFortiGate(line []byte) bool {
	return bytes.Contains(line, []byte("logid=")) && bytes.Contains(line, []byte("subtype=")) &&
		!bytes.Contains(line, []byte("|Fortinet|"))
}

// fortiMaxLine is the longest line the parser accepts: FortiOS writes a log
// message of at most a few KiB (a traffic log with every UTM and device
// field is under 4 KiB); a longer line is records run together.
const fortiMaxLine = 16 << 10

var (
	errFortiNoFields = errors.New("not a FortiGate line: no key=value fields")
	errFortiNoType   = errors.New("missing type=")
	errFortiCut      = errors.New("quoted value not closed: line cut short")
)

// fortiGateParser parses FortiGate (FortiOS) logs as its syslog and
// FortiAnalyzer forwarding writes them: key=value pairs, values quoted when
// they are text, separated by spaces (or commas in the "csv" format), with
// or without a syslog header before them. Per the FortiOS Log Message
// Reference:
//
//   - type=traffic lines become network events (ev filled, nil returned);
//   - type=event subtype=vpn tunnel-up / tunnel-down / tunnel-stats lines
//     become VPN session facts in Extra (ErrExtraOnly); see fortigate_vpn.go;
//   - every other type and subtype (utm, system events, ssl-login-fail, ...)
//     is skipped with the type in the reason, and so are CEF records (the
//     "CEF:0|Fortinet|..." output format is another format).
//
// The time is eventtime (epoch in s, ms, us or ns: absolute, so tz does not
// apply), else date and time in tz when the line has one (+0900) or in
// Options.Location, else the syslog header's stamp, else the input's time.
//
// The line is scanned once, byte by byte; repeated strings (interfaces,
// device names, users) are interned, so a line costs no allocation once
// they have been seen.
type fortiGateParser struct {
	clock   *stampClock
	f       fortiFields
	strs    interner
	protos  interner
	actions interner
	extra   event.Extra
	stamp   [40]byte // date + ' ' + time + tz, for stampClock.iso
	idKey   []byte   // a VPN fact's identity, reused between lines
}

func newFortiGateParser(o Options) *fortiGateParser {
	return &fortiGateParser{
		clock:   newStampClock(o),
		strs:    newInterner(asIs),
		protos:  newInterner(protocol),
		actions: newInterner(asIs),
	}
}

// Extra implements ExtraParser.
func (p *fortiGateParser) Extra() *event.Extra { return &p.extra }

// Parse implements Parser.
func (p *fortiGateParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	s := trimSpaces(line)
	if len(s) == 0 {
		return ErrSkip
	}
	if len(s) > fortiMaxLine {
		return fmt.Errorf("line of %d bytes is longer than a FortiGate log message can be (%d): records run together?", len(s), fortiMaxLine)
	}
	if i := badByte(s); i >= 0 {
		return fmt.Errorf("not a FortiGate line: binary data at byte %d", i)
	}
	if isCEF(s) {
		return fmt.Errorf("fortigate CEF record (CEF output is not read; log in the default key=value format): %w", ErrSkip)
	}
	head := s
	if s[0] == '<' { // syslog <pri>
		if j := bytes.IndexByte(s, '>'); j > 0 && j < 5 {
			s = s[j+1:]
		}
	}
	start := fortiBodyStart(s)
	if start < 0 {
		return errFortiNoFields
	}
	header, body := s[:start], s[start:]
	if !p.f.scan(body) {
		return errFortiCut
	}
	f := &p.f
	typ, sub := f.get(ffType), f.get(ffSubtype)
	switch {
	case typ == nil:
		return errFortiNoType
	case f.vals[ffLogID] == nil && f.vals[ffFortiWebLogID] != nil:
		return fmt.Errorf("fortiweb %s/%s log (FortiWeb's fields): %w", quote(typ), quote(sub), ErrSkip)
	}
	isTraffic := string(typ) == "traffic"
	isVPN := string(typ) == "event" && string(sub) == "vpn"
	if !isTraffic && !isVPN {
		return fmt.Errorf("fortigate %s/%s log: %w", quote(typ), quote(sub), ErrSkip)
	}
	t, err := p.time(header)
	if err != nil {
		return err
	}
	sensor := p.strs.get(f.get(ffDevName))
	if isVPN {
		return p.vpn(head, t, sensor)
	}
	return p.traffic(ev, head, t, sensor)
}

// isCEF reports whether s is a CEF record, with or without its "CEF:"
// version prefix ("0|Fortinet|FortiGate-100F|...").
func isCEF(s []byte) bool {
	i := bytes.IndexByte(s, '=')
	if i < 0 {
		i = len(s)
	}
	return bytes.Contains(s[:i], []byte("|Fortinet|")) || bytes.HasPrefix(s, []byte("CEF:"))
}

// time returns the line's time, UTC at second resolution.
func (p *fortiGateParser) time(header []byte) (time.Time, error) {
	f := &p.f
	if et := f.get(ffEventTime); et != nil {
		return fortiEpoch(et)
	}
	date, tm := f.get(ffDate), f.get(ffTime)
	if date != nil && tm != nil {
		tz := f.get(ffTZ)
		if _, ok := zoneOffset(tz); !ok {
			tz = nil // "UTC+2" and other spellings: the input's zone
		}
		if len(date)+1+len(tm)+len(tz) > len(p.stamp) {
			return time.Time{}, fmt.Errorf("bad date/time %q %q", quote(date), quote(tm))
		}
		b := append(p.stamp[:0], date...)
		b = append(b, ' ')
		b = append(b, tm...)
		b = append(b, tz...)
		t, err := p.clock.iso(b)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad date/time %q %q", quote(date), quote(tm))
		}
		return t.UTC(), nil
	}
	if header = trimSpaces(header); len(header) > 0 && stampShape(header) != 0 {
		if t, _, err := p.clock.parse(header); err == nil {
			return t, nil
		}
	}
	return p.clock.receivedAt(), nil
}

// fortiEpoch parses eventtime: seconds (10 digits), or milli-, micro- or
// nanoseconds, which FortiOS 6.2 and later write.
func fortiEpoch(b []byte) (time.Time, error) {
	n, ok := parseUint(b, 1<<63-1)
	if ok {
		switch {
		case len(b) >= 18:
			n /= 1e9
		case len(b) >= 15:
			n /= 1e6
		case len(b) >= 12:
			n /= 1e3
		}
	}
	if !ok || n == 0 || n > maxEpoch {
		return time.Time{}, fmt.Errorf("bad eventtime %q", quote(b))
	}
	return time.Unix(int64(n), 0).UTC(), nil
}

// fortiUint parses an optional counter; absent is 0.
func fortiUint(f *fortiFields, k fortiField, name string, max uint64) (uint64, error) {
	v := f.get(k)
	if v == nil {
		return 0, nil
	}
	n, ok := parseUint(v, max)
	if !ok {
		return 0, fmt.Errorf("bad %s %q", name, quote(v))
	}
	return n, nil
}
