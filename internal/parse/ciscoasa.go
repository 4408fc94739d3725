package parse

import (
	"bytes"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// ciscoASAName is the registered name of the Cisco ASA / FTD syslog format.
const ciscoASAName = "cisco-asa"

func init() {
	Register(Format{
		Name:        ciscoASAName,
		Description: "Cisco ASA / FTD syslog: AnyConnect/WebVPN sessions, connections built/torn down, ACL denies",
		New:         func(o Options) Parser { return newCiscoASAParser(o) },
		Sniff:       sniffCiscoASA,
	})
}

// asaMaxLine is the longest line the parser accepts: the ASA formats a
// message in at most 1 KiB (FTD's connection events run longer), so 8 KiB
// leaves room for relay headers; a longer line is junk glued to a record.
const asaMaxLine = 8 << 10

// asaTags are the tags that open a message, "%ASA-6-302013:".
var asaTags = [...][]byte{[]byte("%ASA-"), []byte("%FTD-"), []byte("%PIX-"), []byte("%FWSM-")}

// sniffCiscoASA matches a line carrying an ASA/FTD message tag.
func sniffCiscoASA(line []byte) bool {
	_, _, ok := asaTag(line)
	return ok
}

// asaTag finds the message tag "%ASA-L-NNNNNN" in line and returns where it
// starts and the message id.
func asaTag(line []byte) (start, id int, ok bool) {
	off := 0
	for off < len(line) {
		i := bytes.IndexByte(line[off:], '%')
		if i < 0 {
			return 0, 0, false
		}
		i += off
		for _, tag := range asaTags {
			if !bytes.HasPrefix(line[i:], tag) {
				continue
			}
			rest := line[i+len(tag):]
			if len(rest) >= 8 && isDigit(rest[0]) && rest[1] == '-' {
				if n, ok := digits(rest[2:8]); ok && (len(rest) == 8 || rest[8] == ':' || rest[8] == ' ') {
					return i, n, true
				}
			}
		}
		off = i + 1
	}
	return 0, 0, false
}

// ciscoASAParser parses Cisco ASA and Firepower Threat Defense syslog lines
// in the shapes the ASA and relays write them:
//
//	[<pri>]Mon dd yyyy hh:mm:ss [host] [tag]: %ASA-6-302013: body   ("logging timestamp")
//	[<pri>]Mon dd hh:mm:ss host: %ASA-...                          (a relay's RFC 3164 stamp)
//	[<pri>]Mon dd yyyy hh:mm:ss: %ASA-...                          (no device id)
//	[<pri>][1 ]yyyy-mm-ddThh:mm:ss[zone] host ... %ASA-...          (RFC 5424 stamps)
//	%ASA-6-302013: body                                            (the body alone)
//
// A line without a stamp takes the input's time (Options.ModTime). The
// session messages of AnyConnect and WebVPN (asaVPN) become VPN session facts
// in Extra; connection built/teardown and ACL messages (asaConn) become
// network events. Every other message is well-formed and skipped with its id,
// and so is a line without a message tag (another program's line in the
// stream, or a body relayed without its tag). A header holding a stamp the
// parser does not read is rejected rather than stored at the wrong time.
type ciscoASAParser struct {
	clock *stampClock
	strs  interner // hosts, interfaces, groups, users, ACL names
	extra event.Extra
	// dirs remembers the direction of connections built in this stream by
	// their id, so a teardown (which does not say) is oriented the same way.
	dirs  map[uint64]bool // true: outbound
	skips map[int]error   // the skip error of each message id seen
}

func newCiscoASAParser(o Options) *ciscoASAParser {
	return &ciscoASAParser{clock: newStampClock(o), strs: newInterner(asIs), dirs: make(map[uint64]bool), skips: make(map[int]error)}
}

// asaMaxConns bounds the remembered connection directions.
const asaMaxConns = 1 << 16

// Extra implements ExtraParser.
func (p *ciscoASAParser) Extra() *event.Extra { return &p.extra }

// asaLine is a line's header and message.
type asaLine struct {
	time   time.Time
	sensor string
	id     int
	body   []byte
	line   []byte
}

// Parse implements Parser.
func (p *ciscoASAParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	s := trimSpaces(line)
	if len(s) == 0 {
		return ErrSkip
	}
	if len(s) > asaMaxLine {
		return fmt.Errorf("line of %d bytes is longer than an ASA message can be (%d): junk after the record?", len(s), asaMaxLine)
	}
	if i := badByte(s); i >= 0 {
		return fmt.Errorf("not a cisco-asa line: binary data at byte %d", i)
	}
	start, id, ok := asaTag(s)
	if !ok {
		return fmt.Errorf("no %%ASA- or %%FTD- message tag: %w", ErrSkip)
	}
	l := asaLine{id: id, line: line}
	if err := p.header(s[:start], &l); err != nil {
		return err
	}
	body := s[start+1:]
	body = body[bytes.IndexByte(body, '-')+1:] // level
	body = body[2+6:]                          // "6-302013"
	if len(body) > 0 && body[0] == ':' {
		body = body[1:]
	}
	l.body = trimSpaces(body)
	switch id {
	case 113039, 716001, 722022, 722051, 722023, 113019, 716002:
		return p.vpn(&l)
	case 302013, 302015, 302014, 302016:
		return p.conn(&l, ev)
	case 106023:
		return p.deny(&l, ev)
	case 106100:
		return p.acl(&l, ev)
	}
	return p.skip(id)
}

// skip returns the skip error of a message id, made once per id: most
// lines of a real log are messages the parser does not read.
func (p *ciscoASAParser) skip(id int) error {
	if err, ok := p.skips[id]; ok {
		return err
	}
	err := fmt.Errorf("message %d: %w", id, ErrSkip)
	if len(p.skips) < internCap {
		p.skips[id] = err
	}
	return err
}

// header reads the stamp and the device's name before the message tag.
func (p *ciscoASAParser) header(h []byte, l *asaLine) error {
	h = trimSpaces(skipPriority(h))
	if len(h) > 2 && h[0] == '1' && h[1] == ' ' { // RFC 5424 version
		h = h[2:]
	}
	l.time = p.clock.receivedAt()
	if len(h) == 0 {
		return nil
	}
	switch stampShape(h) {
	case stampISO, stampISOSpace:
		n := tokensEnd(h, stampShape(h))
		t, err := p.clock.iso(bytes.TrimSuffix(h[:n], []byte(":")))
		if err != nil {
			return err
		}
		l.time, h = t.UTC(), h[n:]
	case stampClassic:
		t, rest, err := p.classic(h)
		if err != nil {
			return err
		}
		l.time, h = t, rest
	default:
		if stampLike(h) {
			return fmt.Errorf("not a cisco-asa line we can read: unrecognised header %q", quote(h))
		}
	}
	host, _ := nextToken(h)
	host = bytes.TrimSuffix(host, []byte(":"))
	if len(host) > 0 && host[0] != '-' {
		l.sensor = p.strs.get(host)
	}
	return nil
}

// classic reads "Mon dd yyyy hh:mm:ss" (the ASA's own stamp) or "Mon dd
// hh:mm:ss" (a relay's), either followed by ':' when no device id follows,
// and the fraction of "logging timestamp rfc5424"-less high resolution.
func (p *ciscoASAParser) classic(h []byte) (time.Time, []byte, error) {
	mon, rest := nextToken(h)
	day, rest := nextToken(rest)
	third, rest := nextToken(rest)
	year := 0
	if len(third) == 4 {
		y, ok := digits(third)
		if !ok || y < 1970 {
			return time.Time{}, nil, fmt.Errorf("bad timestamp %q", quote(h[:len(h)-len(rest)]))
		}
		year = y
		third, rest = nextToken(rest)
	}
	third = bytes.TrimSuffix(third, []byte(":"))
	if i := bytes.IndexByte(third, '.'); i == 8 {
		if _, ok := digits(third[9:]); !ok {
			return time.Time{}, nil, fmt.Errorf("bad timestamp %q", quote(h[:len(h)-len(rest)]))
		}
		third = third[:8]
	}
	var buf [40]byte
	stamp := append(append(append(append(append(buf[:0], mon...), ' '), day...), ' '), third...)
	if len(mon) != 3 || len(stamp) > len(buf) {
		return time.Time{}, nil, fmt.Errorf("bad timestamp %q", quote(h[:len(h)-len(rest)]))
	}
	t, err := p.clock.classic(stamp, year)
	if err != nil {
		return time.Time{}, nil, err
	}
	return t.UTC(), rest, nil
}
