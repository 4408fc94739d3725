package parse

// internCap bounds an interner, so a stream of distinct values (a scan over
// many interfaces, junk host names) cannot grow a parser without limit.
const internCap = 4096

// interner hands out one shared string per distinct byte sequence, so the
// few values that repeat on every line (actions, protocols, interfaces, the
// sensor) cost nothing after their first sighting. The map lookup with
// string(b) as the key does not allocate.
type interner struct {
	m map[string]string
}

func newInterner() interner {
	return interner{m: make(map[string]string, 64)}
}

// get returns b as a string, shared with earlier calls for the same bytes
// while the interner has room.
func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < internCap {
		in.m[s] = s
	}
	return s
}

// lower returns b lower-cased (ASCII) and interned.
func (in *interner) lower(b []byte) string {
	var buf [64]byte
	if len(b) > len(buf) {
		return in.get(asciiLower(make([]byte, len(b)), b))
	}
	return in.get(asciiLower(buf[:len(b)], b))
}

// asciiLower writes the ASCII lower-case of src into dst and returns it.
func asciiLower(dst, src []byte) []byte {
	for i, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
	return dst
}

// lastString remembers the string last interned for one field.
type lastString struct{ s string }

// get returns b as a string, from the last value when it repeats, else from
// the interner.
func (l *lastString) get(in *interner, b []byte) string {
	if string(b) != l.s {
		l.s = in.get(b)
	}
	return l.s
}
