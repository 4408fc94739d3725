package event

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Encodings of Reject.Raw.
const (
	// RawText means Raw is the record exactly as received: it was valid
	// UTF-8.
	RawText = "text"
	// RawEscaped means the record was not valid UTF-8: Raw holds it with
	// each byte of an invalid sequence written as \xNN (two lower-case hex
	// digits) and each backslash doubled, so that RawBytes gives back the
	// exact bytes. Valid characters, control characters included, are kept
	// as they are.
	RawEscaped = "escaped"
)

// NewReject returns the reject of a record of any bytes, in its stored form
// (see Stored).
func NewReject(at time.Time, source string, line int64, format, reason string, raw []byte) Reject {
	return Reject{Time: at, Source: source, Line: line, Format: format, Reason: reason, Raw: string(raw)}.Stored()
}

// Stored returns r as every store keeps it, whoever built it: Raw valid UTF-8
// with RawEncoding saying how it holds the record, Source, Format and Reason
// valid UTF-8 (an invalid byte there is written \xNN: they describe the
// record, they are not it), and the time in UTC at second resolution.
//
// A Raw that is not already a valid RawEscaped text is taken as the record's
// own bytes, whatever RawEncoding said: so a reject built by hand with
// invalid bytes in Raw is kept, not refused.
func (r Reject) Stored() Reject {
	if r.RawEncoding != RawEscaped || !utf8.ValidString(r.Raw) {
		r.Raw, r.RawEncoding = EncodeRaw(r.Raw)
	}
	r.Time = SecondsUTC(r.Time)
	r.Source = validText(r.Source)
	r.Format = validText(r.Format)
	r.Reason = validText(r.Reason)
	return r
}

// RawBytes returns the record's bytes as received.
func (r Reject) RawBytes() []byte {
	if r.RawEncoding != RawEscaped {
		return []byte(r.Raw)
	}
	return unescapeRaw(r.Raw)
}

// EncodeRaw returns a record's bytes as valid UTF-8 text and the encoding
// used: the record itself and RawText when it is valid UTF-8 (without
// copying), else its RawEscaped form.
func EncodeRaw(raw string) (text, encoding string) {
	if utf8.ValidString(raw) {
		return raw, RawText
	}
	return escapeInvalid(raw, true), RawEscaped
}

// validText returns s with each byte of an invalid UTF-8 sequence written as
// \xNN; s itself when it is valid.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return escapeInvalid(s, false)
}

// escapeInvalid writes each byte of an invalid UTF-8 sequence in s as \xNN,
// and, if escapeBackslash, each backslash as \\.
func escapeInvalid(s string, escapeBackslash bool) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		case c == '\\' && escapeBackslash:
			b.WriteString(`\\`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unescapeRaw undoes the RawEscaped encoding. A backslash that starts no
// escape is kept as it is.
func unescapeRaw(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			out = append(out, c)
			continue
		}
		switch {
		case s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case s[i+1] == 'x' && i+3 < len(s) && isHex(s[i+2]) && isHex(s[i+3]):
			out = append(out, unhex(s[i+2])<<4|unhex(s[i+3]))
			i += 3
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
