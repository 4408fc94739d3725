package parse

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// squidName is the registered name of the Squid access.log format.
const squidName = "squid"

func init() {
	Register(Format{
		Name:        squidName,
		Description: "Squid access.log, native (squid) or common/combined logformat, with or without a syslog header",
		New:         func(o Options) Parser { return newSquidParser(o) },
		Sniff:       sniffSquid,
	})
}

// sniffSquid matches a native access.log line, alone or after a syslog
// header: an epoch stamp with milliseconds among the first tokens, then the
// elapsed milliseconds, the client and a CODE/status pair.
func sniffSquid(line []byte) bool {
	rest := trimSpaces(line)
	for i := 0; i < 10; i++ {
		var ts []byte
		ts, rest = nextToken(rest)
		if len(ts) == 0 {
			return false
		}
		if _, _, ok := decimal(ts); !ok || len(ts) < 12 || ts[len(ts)-4] != '.' {
			continue
		}
		_, rest = nextToken(rest) // elapsed
		_, rest = nextToken(rest) // client
		code, _ := nextToken(rest)
		i := bytes.IndexByte(code, '/')
		return i > 0 && squidWord(code[:i]) && len(code)-i == 4
	}
	return false
}

// squidBody returns the part of a syslog line after its "squid[pid]:",
// "squid:" or "(squid-1):" tag, and the host before the tag.
func squidBody(s []byte) (host, body []byte) {
	for i := 0; i < 6; i++ {
		var tok []byte
		tok, s = nextToken(s)
		if len(tok) == 0 {
			return nil, nil
		}
		if tok[len(tok)-1] == ':' && bytes.Contains(tok, []byte("squid")) {
			return host, s
		}
		host = tok
	}
	return nil, nil
}

// squidParser parses Squid's access.log as Squid documents it
// (https://wiki.squid-cache.org/Features/LogFormat):
//
//	time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost type ["referer" "user-agent"]
//	remotehost rfc931 authuser [date] "method URL HTTP/v" status bytes ["referer" "user-agent"] [code:peerstatus]
//
// the native and the common/combined logformats, either alone or after a
// syslog header (stamp, host, "squid[pid]:"; or RFC 5424's, app squid), as
// access_log syslog: writes them. Each request is an event.HTTP in Extra; Parse returns ErrExtraOnly.
// A record of a transaction that ended before Squid read a request
// (NONE_NONE/000 ... error:transaction-end-before-headers) carries no
// request and is skipped. The server address is HIER_DIRECT's (or
// ORIGINAL_DST's) peer, or the URL's host when that is an address; a
// parent proxy's address is not the server's and is not taken.
//
// Fields are found by one scan of the line; method, action, user and
// content type are interned, and Host is a substring of URL, so a line costs
// the Raw and URL strings.
type squidParser struct {
	clock *stampClock
	loc   *time.Location
	strs  interner
	extra event.Extra
}

func newSquidParser(o Options) *squidParser {
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	return &squidParser{clock: newStampClock(o), loc: loc, strs: newInterner(asIs)}
}

// Extra implements ExtraParser.
func (p *squidParser) Extra() *event.Extra { return &p.extra }

// Parse implements Parser.
func (p *squidParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	s := trimSpaces(line)
	if len(s) == 0 {
		return ErrSkip
	}
	if i := badByte(s); i >= 0 {
		return fmt.Errorf("not a squid line: binary data at byte %d", i)
	}
	var h event.HTTP
	body := s
	if !isDigit(s[0]) || !squidRecordStart(s) {
		host, b, err := p.syslogHeader(s)
		if err != nil {
			return err
		}
		body = b
		h.Sensor = p.strs.get(host)
	}
	var err error
	if ts, _ := nextToken(body); isEpoch(ts) {
		err = p.native(body, &h)
	} else {
		err = p.common(body, &h)
	}
	if err != nil {
		return err
	}
	h.Format = squidName
	h.Raw = string(line)
	h.ID = event.NewID(squidName, body)
	p.extra.HTTP = append(p.extra.HTTP, h)
	return ErrExtraOnly
}

// isEpoch reports whether tok is an epoch stamp ("1714557600.123").
func isEpoch(tok []byte) bool {
	_, _, ok := decimal(tok)
	return ok
}

// squidRecordStart reports whether s starts with a record rather than a
// syslog stamp: an epoch stamp, or a client address.
func squidRecordStart(s []byte) bool {
	tok, _ := nextToken(s)
	if _, _, ok := decimal(tok); ok {
		return true
	}
	_, ok := parseAddr(tok)
	return ok
}

// syslogHeader reads "[<pri>]stamp host squid[pid]: " and returns the host
// and the record after it.
func (p *squidParser) syslogHeader(s []byte) (host, body []byte, err error) {
	s = skipPriority(s)
	if len(s) > 2 && s[0] == '1' && s[1] == ' ' {
		return p.header5424(s[2:])
	}
	if stampShape(s) == 0 {
		tok, _ := nextToken(s)
		return nil, nil, fmt.Errorf("not a squid line: %q is neither a squid record nor a syslog stamp", quote(tok))
	}
	_, rest, err := p.clock.parse(s)
	if err != nil {
		return nil, nil, err
	}
	host, body = squidBody(rest)
	if body == nil {
		return nil, nil, fmt.Errorf("syslog line without a squid tag")
	}
	body = trimSpaces(body)
	if len(body) == 0 {
		return nil, nil, fmt.Errorf("squid syslog line without a record")
	}
	return host, body, nil
}

// header5424 reads the RFC 5424 header after "<PRI>1 ": stamp, host, app
// (squid), procid, msgid and structured data, then the record.
func (p *squidParser) header5424(s []byte) (host, body []byte, err error) {
	if stampShape(s) != stampISO {
		tok, _ := nextToken(s)
		return nil, nil, fmt.Errorf("bad RFC 5424 timestamp %q", quote(tok))
	}
	_, rest, err := p.clock.parse(s)
	if err != nil {
		return nil, nil, err
	}
	host, rest = nextToken(rest)
	app, rest := nextToken(rest)
	if !bytes.Contains(app, []byte("squid")) {
		return nil, nil, fmt.Errorf("syslog line without a squid tag")
	}
	_, rest = nextToken(rest) // procid
	_, rest = nextToken(rest) // msgid
	rest = trimSpaces(rest)
	n, ok := StructuredData(rest)
	if !ok {
		return nil, nil, fmt.Errorf("bad RFC 5424 structured data")
	}
	body = trimSpaces(rest[n:])
	if len(body) == 0 {
		return nil, nil, fmt.Errorf("squid syslog line without a record")
	}
	if string(host) == "-" {
		host = nil
	}
	return host, body, nil
}

// native parses Squid's native format.
func (p *squidParser) native(s []byte, h *event.HTTP) error {
	var f [10][]byte
	rest := s
	for i := range f {
		f[i], rest = nextToken(rest)
	}
	if len(f[9]) == 0 {
		return fmt.Errorf("squid native line has fewer than 10 fields")
	}
	sec, nsec, ok := decimal(f[0])
	if !ok || sec > maxEpoch {
		return fmt.Errorf("bad squid time %q", quote(f[0]))
	}
	h.Time = event.SecondsUTC(time.Unix(sec, nsec))
	ms, ok := parseUint(f[1], math.MaxUint32)
	if !ok {
		return fmt.Errorf("bad squid elapsed %q", quote(f[1]))
	}
	h.DurationS = float64(ms) / 1000
	if h.SrcIP, ok = parseAddr(f[2]); !ok {
		return fmt.Errorf("bad squid client address %q", quote(f[2]))
	}
	h.SrcIP = h.SrcIP.Unmap()
	if err := p.code(f[3], h); err != nil {
		return err
	}
	if h.BytesIn, ok = parseUint(f[4], math.MaxUint64); !ok {
		return fmt.Errorf("bad squid bytes %q", quote(f[4]))
	}
	if err := p.request(f[5], f[6], h); err != nil {
		return err
	}
	h.User = p.user(f[7])
	if err := p.hierarchy(f[8], h); err != nil {
		return err
	}
	if string(f[9]) != "-" {
		h.ContentType = p.strs.get(f[9])
	}
	p.headers(rest, h)
	return nil
}

// code reads "TCP_MISS/200".
func (p *squidParser) code(b []byte, h *event.HTTP) error {
	i := bytes.IndexByte(b, '/')
	if i <= 0 {
		return fmt.Errorf("bad squid result code %q", quote(b))
	}
	st, ok := parseUint(b[i+1:], 999)
	if !ok {
		return fmt.Errorf("bad squid status %q", quote(b[i+1:]))
	}
	h.Action = p.strs.get(b[:i])
	h.Status = int(st)
	return nil
}

// user reads an ident or authenticated user name; "-" is none.
func (p *squidParser) user(b []byte) string {
	if string(b) == "-" {
		return ""
	}
	return p.strs.get(b)
}

// request fills method, URL, host and port. A record whose URL Squid
// replaced by an error tag (no request was read) is skipped.
func (p *squidParser) request(method, url []byte, h *event.HTTP) error {
	if bytes.HasPrefix(url, []byte("error:")) {
		return fmt.Errorf("squid transaction without a request (%s): %w", quote(url), ErrSkip)
	}
	if string(method) != "-" {
		h.Method = p.strs.get(method)
	}
	if len(url) == 0 || string(url) == "-" {
		return nil
	}
	h.URL = string(url)
	host, port := urlHost(h.URL, h.Method == "CONNECT")
	h.Host = host
	h.DstPort = port
	// Only an address can parse as one: a name costs ParseAddr's error.
	if maybeAddr(host) {
		if a, err := netip.ParseAddr(host); err == nil {
			h.DstIP = a.Unmap()
		}
	}
	return nil
}

// maybeAddr reports whether s could be an IP address: IPv4 starts with a
// digit, IPv6 has a colon.
func maybeAddr(s string) bool {
	return s != "" && ('0' <= s[0] && s[0] <= '9' || strings.IndexByte(s, ':') >= 0)
}

// urlHost returns the host and port of a URL ("http://host:port/path") or
// of a CONNECT target ("host:port"). A URL without a port gets its scheme's.
func urlHost(u string, connect bool) (host string, port uint16) {
	rest := u
	scheme := ""
	if i := indexString(u, "://"); i >= 0 {
		scheme, rest = u[:i], u[i+3:]
	} else if !connect {
		return "", 0 // a path or an opaque URL: no host
	}
	end := len(rest)
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c == '/' || c == '?' || c == '#' {
			end = i
			break
		}
	}
	hp := rest[:end]
	if i := lastIndexByte(hp, '@'); i >= 0 {
		hp = hp[i+1:]
	}
	host = hp
	var ps string
	if len(hp) > 0 && hp[0] == '[' {
		if i := indexString(hp, "]"); i > 0 {
			host = hp[1:i]
			if len(hp) > i+1 && hp[i+1] == ':' {
				ps = hp[i+2:]
			}
		}
	} else if i := lastIndexByte(hp, ':'); i >= 0 && indexString(hp[:i], ":") < 0 {
		host, ps = hp[:i], hp[i+1:]
	}
	if ps != "" {
		if n, ok := parseUint([]byte(ps), math.MaxUint16); ok {
			port = uint16(n)
		}
	} else {
		switch scheme {
		case "http", "ws":
			port = 80
		case "https", "wss":
			port = 443
		case "ftp":
			port = 21
		}
	}
	return host, port
}

func indexString(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func lastIndexByte(s string, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// hierarchy reads "HIER_DIRECT/1.2.3.4": the peer is the server only when
// Squid went direct to it.
func (p *squidParser) hierarchy(b []byte, h *event.HTTP) error {
	code, peer, ok := bytes.Cut(b, []byte("/"))
	if !ok {
		return fmt.Errorf("bad squid hierarchy %q", quote(b))
	}
	code = bytes.TrimPrefix(code, []byte("HIER_"))
	if string(code) != "DIRECT" && string(code) != "ORIGINAL_DST" {
		return nil
	}
	if a, ok := parseAddr(peer); ok {
		h.DstIP = a.Unmap()
	}
	return nil
}

// headers reads the optional "referer" "user-agent" pair and, in the
// common format, the "CODE:HIER" token.
func (p *squidParser) headers(rest []byte, h *event.HTTP) {
	var q [2][]byte
	n := 0
	for {
		rest = trimSpaces(rest)
		if len(rest) == 0 {
			break
		}
		if rest[0] == '"' {
			end := bytes.IndexByte(rest[1:], '"')
			if end < 0 {
				break
			}
			if n < len(q) {
				q[n] = rest[1 : 1+end]
			}
			n++
			rest = rest[end+2:]
			continue
		}
		var tok []byte
		tok, rest = nextToken(rest)
		if i := bytes.IndexByte(tok, ':'); i > 0 && h.Action == "" && squidWord(tok[:i]) {
			h.Action = p.strs.get(tok[:i])
		}
	}
	if n >= 2 {
		if string(q[0]) != "-" {
			h.Referrer = string(q[0])
		}
		if string(q[1]) != "-" {
			h.UserAgent = p.strs.get(q[1])
		}
	}
}

// common parses the common and combined logformats:
// remotehost rfc931 authuser [date] "method URL HTTP/v" status bytes ...
func (p *squidParser) common(s []byte, h *event.HTTP) error {
	client, rest := nextToken(s)
	var ok bool
	if h.SrcIP, ok = parseAddr(client); !ok {
		return fmt.Errorf("bad squid client address %q", quote(client))
	}
	h.SrcIP = h.SrcIP.Unmap()
	ident, rest := nextToken(rest)
	auth, rest := nextToken(rest)
	if h.User = p.user(auth); h.User == "" {
		h.User = p.user(ident)
	}
	rest = trimSpaces(rest)
	if len(rest) == 0 || rest[0] != '[' {
		return fmt.Errorf("squid common line without a [date]")
	}
	end := bytes.IndexByte(rest, ']')
	if end < 0 {
		return fmt.Errorf("squid common line without a [date]")
	}
	t, err := p.commonTime(rest[1:end])
	if err != nil {
		return err
	}
	h.Time = t
	rest = trimSpaces(rest[end+1:])
	if len(rest) == 0 || rest[0] != '"' {
		return fmt.Errorf("squid common line without a quoted request")
	}
	end = bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return fmt.Errorf("squid common line with an unterminated request")
	}
	req := rest[1 : 1+end]
	rest = rest[end+2:]
	method, r := nextToken(req)
	url, _ := nextToken(r)
	if err := p.request(method, url, h); err != nil {
		return err
	}
	status, rest := nextToken(rest)
	st, ok := parseUint(status, 999)
	if !ok {
		return fmt.Errorf("bad squid status %q", quote(status))
	}
	h.Status = int(st)
	size, rest := nextToken(rest)
	if string(size) != "-" {
		if h.BytesIn, ok = parseUint(size, math.MaxUint64); !ok {
			return fmt.Errorf("bad squid bytes %q", quote(size))
		}
	}
	p.headers(rest, h)
	return nil
}

// commonTime reads Squid's %tl ("05/Feb/2025:11:30:29 +0100") or the
// zone-less "05/02/2025 11:30:29" (month first) some log setups write, in
// the input's zone.
func (p *squidParser) commonTime(b []byte) (time.Time, error) {
	bad := fmt.Errorf("bad squid date %q", quote(b))
	if len(b) < 19 || b[2] != '/' || b[5] != '/' && b[6] != '/' {
		return time.Time{}, bad
	}
	num := func(b []byte) int {
		n, ok := parseUint(b, 9999)
		if !ok {
			return -1
		}
		return int(n)
	}
	var y, d, hh, mm, ss int
	var m time.Month
	var zone []byte
	if b[5] == '/' { // mm/dd/yyyy hh:mm:ss
		m, d, y = time.Month(num(b[0:2])), num(b[3:5]), num(b[6:10])
		if len(b) < 19 || b[10] != ' ' {
			return time.Time{}, bad
		}
		hh, mm, ss = num(b[11:13]), num(b[14:16]), num(b[17:19])
		zone = trimSpaces(b[19:])
	} else { // dd/Mon/yyyy:hh:mm:ss +zzzz
		if len(b) < 20 {
			return time.Time{}, bad
		}
		d, m, y = num(b[0:2]), monthOf(b[3:6]), num(b[7:11])
		hh, mm, ss = num(b[12:14]), num(b[15:17]), num(b[18:20])
		zone = trimSpaces(b[20:])
	}
	if y < 1970 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 {
		return time.Time{}, bad
	}
	loc := p.loc
	if len(zone) > 0 {
		off, ok := zoneOffset(zone)
		if !ok {
			return time.Time{}, bad
		}
		loc = time.FixedZone("", off)
	}
	return event.SecondsUTC(time.Date(y, m, d, hh, mm, ss, 0, loc)), nil
}

// squidWord reports whether w is a Squid result or hierarchy code
// (TCP_MISS, NONE_NONE): upper-case letters, digits and underscores.
func squidWord(w []byte) bool {
	for _, c := range w {
		if (c < 'A' || c > 'Z') && c != '_' && !isDigit(c) {
			return false
		}
	}
	return len(w) > 0
}
