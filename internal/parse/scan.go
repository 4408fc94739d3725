package parse

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// Byte-level helpers shared by the parsers. They never allocate.

// isBlank reports whether line holds only white space.
func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\v' && c != '\f' {
			return false
		}
	}
	return true
}

// badByte returns the index of the first byte that cannot be in a text log
// line, or -1: a control byte other than tab (binary junk nearly always has
// them), or a byte of invalid UTF-8 (stores keep text as UTF-8). It tests
// 32 bytes at a time, as every line passes through it, and leaves the
// rare non-ASCII line to utf8.Valid.
func badByte(b []byte) int {
	i := 0
	for ; i+32 <= len(b); i += 32 {
		w := b[i : i+32 : i+32]
		if notText(binary.LittleEndian.Uint64(w))|notText(binary.LittleEndian.Uint64(w[8:]))|
			notText(binary.LittleEndian.Uint64(w[16:]))|notText(binary.LittleEndian.Uint64(w[24:])) != 0 {
			break
		}
	}
	for ; i+8 <= len(b); i += 8 {
		if notText(binary.LittleEndian.Uint64(b[i:])) != 0 {
			break
		}
	}
	ascii := true
	for j := i; j < len(b); j++ {
		switch c := b[j]; {
		case c < 0x20 && c != '\t' || c == 0x7f:
			return j
		case c >= 0x80:
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(b[i:]) {
		for j := i; j < len(b); {
			r, n := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && n == 1 {
				return j
			}
			j += n
		}
	}
	return -1
}

// notText returns non-zero if a byte of x is not printable ASCII: below 0x20
// (x - 0x20 borrows), 0x7f (x + 1 carries into the high bit) or above. A
// borrow or carry can only mark a byte above one truly marked.
func notText(x uint64) uint64 {
	return ((x - 0x20*ones) | x | (x + ones)) & highs
}

// The scanners below look at eight bytes at a time.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// zeroByte returns a word with the high bit set in the lowest byte of x that
// is zero (higher bits may be set falsely; only the lowest counts).
func zeroByte(x uint64) uint64 { return (x - ones) &^ x & highs }

// valueEnd returns the index of the first space in b from i, or len(b).
func valueEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := zeroByte(binary.LittleEndian.Uint64(b[i:]) ^ (' ' * ones)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if j := bytes.IndexByte(b[i:], ' '); j >= 0 {
		return i + j
	}
	return len(b)
}

// parseUint parses a decimal unsigned integer no greater than max.
func parseUint(b []byte, max uint64) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (max-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// digits parses exactly len(b) decimal digits.
func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

// containsFold reports whether b contains upper, an upper-case ASCII word,
// in any case.
func containsFold(b []byte, upper string) bool {
	n := len(upper)
	for i := 0; i+n <= len(b); i++ {
		j := 0
		for ; j < n; j++ {
			c := b[i+j]
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			if c != upper[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// nextToken returns the space-separated token at the start of b (after
// leading spaces) and what follows it.
func nextToken(b []byte) (tok, rest []byte) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' {
		j++
	}
	return b[i:j], b[j:]
}

// trimSpaces trims white space (space, tab, CR, LF) from both ends of b.
func trimSpaces(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// quote shortens b for an error message, so a reject reason stays readable
// when the offending field is a megabyte of junk.
func quote(b []byte) string {
	const max = 64
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
