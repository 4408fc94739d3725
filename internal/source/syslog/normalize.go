package syslog

import (
	"bytes"
	"time"

	"github.com/homesoc/homesoc/internal/parse"
)

// stampLayout is the stamp the listener supplies to a message that carries
// none: RFC 3339 in UTC at second resolution, as rsyslog's file format writes
// it. Every parser reads it in the stamp position, and unlike a classic
// "Nov 28 10:00:00" it carries its year and zone.
const stampLayout = "2006-01-02T15:04:05Z"

// bom is the UTF-8 byte order mark RFC 5424 puts before a MSG in UTF-8.
var bom = []byte{0xef, 0xbb, 0xbf}

// normalizer turns syslog messages as received into lines as a syslog daemon
// writes them to a file, the text homesoc's parsers read. It caches the
// received stamp of the current second. Not safe for concurrent use.
type normalizer struct {
	sec   int64
	stamp []byte
}

// appendLine appends msg, one syslog message as received (its framing
// removed), to dst as a line and returns the extended slice; host is the
// sender's address, now when the message arrived. It leaves dst as it is
// for a message of nothing but line ends, NULs and spaces, and a PRI.
//
// The message keeps its own bytes wherever the parsers read them; the
// listener only adds what is missing:
//
//   - line ends (CR, LF, NUL) and spaces around the message go;
//   - RFC 5424 ("<PRI>1 stamp host app procid msgid sd msg") stays RFC 5424,
//     PRI included (the parsers know it by it); a nil stamp ("-") becomes the
//     received time, a nil host the sender's address, and a BOM before the
//     MSG goes;
//   - anything else is RFC 3164 or a bare body: its PRI goes, as a syslog
//     daemon drops it, and the line becomes "stamp host rest". A message
//     without a stamp ("Nov 28 10:00:00", ASA's "Nov 28 2024 10:00:00", RFC
//     3339) has no header at all: it gets the received time and the
//     sender's address. A stamped one keeps its host, or gets the sender's
//     address when what follows the stamp is not a host but a tag
//     ("filterlog[1]:", "kernel:"), an ASA message ("%ASA-..."), a log
//     prefix ("[WAN_IN-D]") or key=value fields.
func (n *normalizer) appendLine(dst, msg []byte, now time.Time, host string) []byte {
	msg = bytes.Trim(msg, " \t\r\n\x00")
	if len(msg) == 0 {
		return dst
	}
	body, pri := msg, []byte(nil)
	if p := priLen(msg); p > 0 {
		body, pri = msg[p:], msg[:p]
	}
	if pri != nil && len(body) > 2 && body[0] == '1' && body[1] == ' ' {
		return n.append5424(dst, msg[:len(pri)+2], body[2:], now, host)
	}
	body = bytes.TrimLeft(body, " ")
	if len(body) == 0 {
		return dst
	}
	sl := stampLen(body)
	if sl == 0 { // no header at all
		dst = append(append(append(dst, n.received(now)...), ' '), host...)
		return append(append(dst, ' '), body...)
	}
	dst = append(dst, body[:sl]...)
	rest := bytes.TrimLeft(body[sl:], " ")
	if first, _, _ := bytes.Cut(rest, []byte{' '}); hostMissing(first) {
		dst = append(append(dst, ' '), host...)
	}
	if len(rest) > 0 {
		dst = append(append(dst, ' '), rest...)
	}
	return dst
}

// append5424 appends an RFC 5424 message: head is "<PRI>1 ", s what
// follows. A header it cannot split is appended as it is, for the parser to
// reject with its reason.
func (n *normalizer) append5424(dst, head, s []byte, now time.Time, host string) []byte {
	stamp, rest, ok1 := cutToken(s)
	hostname, rest, ok2 := cutToken(rest)
	if !ok1 || !ok2 {
		return append(append(dst, head...), s...)
	}
	dst = append(dst, head...)
	if string(stamp) == "-" {
		dst = append(dst, n.received(now)...)
	} else {
		dst = append(dst, stamp...)
	}
	dst = append(dst, ' ')
	if string(hostname) == "-" {
		dst = append(dst, host...)
	} else {
		dst = append(dst, hostname...)
	}
	dst = append(dst, ' ')
	// app, procid and msgid, then the structured data: the MSG after it
	// loses its BOM.
	hdr := rest
	for i := 0; i < 3; i++ {
		var ok bool
		if _, hdr, ok = cutToken(hdr); !ok {
			return append(dst, rest...)
		}
	}
	sd := sdLen(hdr)
	if sd == 0 {
		return append(dst, rest...)
	}
	msgAt := len(rest) - len(hdr) + sd
	dst = append(dst, rest[:msgAt]...)
	m := rest[msgAt:]
	if len(m) > 0 && m[0] == ' ' && bytes.HasPrefix(m[1:], bom) {
		if m = m[1+len(bom):]; len(m) > 0 {
			dst = append(dst, ' ')
		}
	}
	return append(dst, m...)
}

// received returns the stamp of now, cached for its second.
func (n *normalizer) received(now time.Time) []byte {
	if s := now.Unix(); s != n.sec || n.stamp == nil {
		n.sec = s
		n.stamp = now.UTC().AppendFormat(n.stamp[:0], stampLayout)
	}
	return n.stamp
}

// priLen returns the length of the "<PRI>" at the start of b (PRI of one to
// three digits), or 0.
func priLen(b []byte) int {
	if len(b) < 3 || b[0] != '<' {
		return 0
	}
	for i := 1; i < len(b) && i <= 4; i++ {
		switch {
		case b[i] == '>' && i > 1:
			return i + 1
		case !isDigit(b[i]):
			return 0
		}
	}
	return 0
}

// cutToken returns the token at the start of s (one space-delimited word)
// and what follows its space; ok is false when s has no space after it.
func cutToken(s []byte) (tok, rest []byte, ok bool) {
	i := bytes.IndexByte(s, ' ')
	if i <= 0 {
		return nil, nil, false
	}
	return s[:i], s[i+1:], true
}

// sdLen returns the length of the RFC 5424 structured data at the start of
// s (parse.StructuredData), or 0.
func sdLen(s []byte) int {
	n, _ := parse.StructuredData(s)
	return n
}

// stampLen returns the length of the syslog stamp at the start of b, or 0:
// RFC 3339 ("2024-11-28T10:00:00.5+01:00", or with a space for the T), the
// classic "Nov 28 10:00:00" or "Nov  8 10:00:00.123", and Cisco ASA's "Nov
// 28 2024 10:00:00", which may end with ':'. It checks the shape only; the
// parsers check the values.
func stampLen(b []byte) int {
	if len(b) >= 19 && isDigits(b[0:4]) && b[4] == '-' && isDigits(b[5:7]) && b[7] == '-' && isDigits(b[8:10]) &&
		isDigits(b[11:13]) && b[13] == ':' && isDigits(b[14:16]) && b[16] == ':' && isDigits(b[17:19]) {
		switch b[10] {
		case 'T':
			return wordEnd(b, 0)
		case ' ':
			return wordEnd(b, 11)
		}
		return 0
	}
	if len(b) < 15 || !isMonth(b[:3]) || b[3] != ' ' {
		return 0
	}
	i := 4
	if b[i] == ' ' {
		i++
	}
	d := i
	for i < len(b) && i-d < 2 && isDigit(b[i]) {
		i++
	}
	if i == d || i >= len(b) || b[i] != ' ' {
		return 0
	}
	i++
	if i+5 <= len(b) && isDigits(b[i:i+4]) && b[i+4] == ' ' { // ASA's year
		i += 5
	}
	if i+8 > len(b) || !isDigits(b[i:i+2]) || b[i+2] != ':' || !isDigits(b[i+3:i+5]) || b[i+5] != ':' || !isDigits(b[i+6:i+8]) {
		return 0
	}
	i += 8
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && b[i] == ':' {
		i++
	}
	if i < len(b) && b[i] != ' ' {
		return 0
	}
	return i
}

// hostMissing reports whether tok, the word after a stamp, is not a host
// but the message itself: a tag, an ASA message, a log prefix or a
// key=value field.
func hostMissing(tok []byte) bool {
	return len(tok) == 0 || tok[len(tok)-1] == ':' || tok[0] == '%' || tok[0] == '[' ||
		bytes.IndexByte(tok, '=') >= 0
}

// wordEnd returns the offset of the first space at or after from, or len(b).
func wordEnd(b []byte, from int) int {
	if i := bytes.IndexByte(b[from:], ' '); i >= 0 {
		return from + i
	}
	return len(b)
}

func isMonth(b []byte) bool {
	switch string(b) {
	case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec":
		return true
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return len(b) > 0
}
