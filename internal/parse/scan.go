package parse

import "bytes"

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

// controlByte returns the index of the first control byte (other than tab)
// in b, or -1. Text logs never carry them; binary junk nearly always does.
func controlByte(b []byte) int {
	for i, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return i
		}
	}
	return -1
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

// trimSpaces trims ASCII spaces and tabs from both ends of b.
func trimSpaces(b []byte) []byte {
	return bytes.Trim(b, " \t")
}

// quote shortens b for an error message, so a reject reason stays readable
// when the offending field is a megabyte of junk.
func quote(b []byte) string {
	const max = 64
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
