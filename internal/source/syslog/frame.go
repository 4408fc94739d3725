package syslog

import (
	"bytes"
	"fmt"
)

// framer splits a TCP or TLS stream into syslog messages. The first byte
// of a connection says how it is framed (RFC 6587): a digit starts octet
// counting ("LEN SP MSG", RFC 5425's framing over TLS), anything else
// non-transparent framing, where LF or NUL ends a message (and a CR before
// the LF goes).
//
// A message longer than max is handed on as a rejected frame holding its
// first max bytes, and the rest of it is discarded: no firewall message is
// that long, so it is junk, and storing its first part as if it were the
// message would store a wrong record. A bad octet count (not digits, no
// space after them) cannot be trusted to find the next frame: the bytes up
// to the next LF are handed on as a rejected frame and framing resumes after
// it; with no LF within max bytes the connection cannot resync and is
// closed.
type framer struct {
	max     int
	mode    byte // 0 before the first byte, 'o' octet counting, 'n' non-transparent
	discard int  // bytes of an over-long octet-counted frame still to drop
	toEOL   bool // drop up to the next LF or NUL (an over-long line's rest)
	// scanned is how many bytes from the frame's start are known to hold
	// no LF or NUL, so that a sender trickling a long line byte by byte
	// costs one scan of it, not one per read.
	scanned int
}

// frame is what framer.next found.
type frame struct {
	msg    []byte // a message, or nil
	reject string // why msg is a rejected frame, or ""
	bad    bool   // a framing error (counted)
	fatal  bool   // framing is lost: close the connection
}

// next finds the next frame in b, the stream's unread bytes; eof says no
// more will come. It returns the frame (msg nil for none: bytes skipped) and
// how many bytes of b it used; used 0 means it needs more bytes than b holds.
// msg points into b.
func (f *framer) next(b []byte, eof bool) (fr frame, used int) {
	if len(b) == 0 {
		return fr, 0
	}
	switch {
	case f.discard > 0:
		n := min(f.discard, len(b))
		f.discard -= n
		return fr, n
	case f.toEOL:
		if i := delim(b); i >= 0 {
			f.toEOL = false
			return fr, i + 1
		}
		return fr, len(b)
	}
	if f.mode == 0 {
		f.mode = 'n'
		if '1' <= b[0] && b[0] <= '9' {
			f.mode = 'o'
		}
	}
	if f.mode == 'o' {
		fr, used = f.octet(b, eof)
	} else {
		fr, used = f.line(b, eof)
	}
	if used > 0 {
		f.scanned = 0
	}
	return fr, used
}

// delim returns the index of the first LF or NUL in b, the bytes from the
// frame's start, or -1, scanning only what it has not scanned before.
func (f *framer) delim(b []byte) int {
	i := delim(b[min(f.scanned, len(b)):])
	if i < 0 {
		f.scanned = len(b)
		return -1
	}
	return f.scanned + i
}

// line reads a non-transparent frame.
func (f *framer) line(b []byte, eof bool) (frame, int) {
	i := f.delim(b)
	switch {
	case i > f.max:
		return f.tooLong(b[:f.max], i), i + 1
	case i >= 0:
		return frame{msg: bytes.TrimSuffix(b[:i], []byte{'\r'})}, i + 1
	case len(b) > f.max:
		f.toEOL = true
		return f.tooLong(b[:f.max], 0), f.max
	case eof: // the last message, without its LF
		return frame{msg: b}, len(b)
	}
	return frame{}, 0
}

// tooLong is the rejected frame of a message of n bytes (0: more than
// head) whose first bytes are head.
func (f *framer) tooLong(head []byte, n int) frame {
	size := fmt.Sprintf("of %d bytes", n)
	if n == 0 {
		size = fmt.Sprintf("of more than %d bytes", len(head))
	}
	return frame{msg: head, bad: true,
		reject: fmt.Sprintf("syslog message %s is longer than the limit of %d bytes: its first %d bytes are kept, the rest dropped", size, f.max, len(head))}
}

// maxDigits bounds an octet count: 10 digits hold any count up to 9 GB.
const maxDigits = 10

// octet reads an octet-counted frame.
func (f *framer) octet(b []byte, eof bool) (frame, int) {
	// Some senders end each frame with a LF as well: between frames, line
	// ends and spaces are skipped.
	if skip := len(b) - len(bytes.TrimLeft(b, "\r\n\x00 ")); skip > 0 {
		return frame{}, skip
	}
	i := 0
	for i < len(b) && i <= maxDigits && isDigit(b[i]) {
		i++
	}
	switch {
	case i == len(b) && i <= maxDigits && !eof:
		return frame{}, 0
	case i == 0 || b[0] == '0' || i > maxDigits || i == len(b) || b[i] != ' ':
		return f.badCount(b, eof)
	}
	n := 0
	for _, c := range b[:i] {
		n = n*10 + int(c-'0')
	}
	head := i + 1
	switch {
	case n > f.max && len(b)-head >= f.max:
		f.discard = n - f.max
		return f.tooLong(b[head:head+f.max], n), head + f.max
	case n <= f.max && len(b)-head >= n:
		return frame{msg: b[head : head+n]}, head + n
	case eof:
		return frame{msg: b[head:], bad: true, reject: fmt.Sprintf(
			"syslog frame cut short: the connection ended %d bytes into a frame of %d", len(b)-head, n)}, len(b)
	}
	return frame{}, 0
}

// badCount hands on the bytes up to the next line end of a frame whose
// octet count is bad.
func (f *framer) badCount(b []byte, eof bool) (frame, int) {
	const why = "bad syslog octet count (RFC 6587 wants \"LEN SP MSG\", LEN a number from 1)"
	i := f.delim(b)
	switch {
	case i >= 0 && i <= f.max:
		return frame{msg: bytes.TrimSuffix(b[:i], []byte{'\r'}), bad: true, reject: why}, i + 1
	case len(b) > f.max || eof:
		n := min(len(b), f.max)
		return frame{msg: b[:n], bad: true, fatal: true, reject: why + "; no line end to resync at: connection closed"}, n
	}
	return frame{}, 0
}

// delim returns the index of the first LF or NUL in b, or -1.
func delim(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	end := i
	if end < 0 {
		end = len(b)
	}
	if j := bytes.IndexByte(b[:end], 0); j >= 0 {
		return j
	}
	return i
}
