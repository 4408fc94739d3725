package parse

// internCap bounds an interner, so a stream of distinct values (a scan over
// many interfaces, junk host names) cannot grow a parser without limit.
const internCap = 4096

// interner hands out one shared string per distinct byte sequence, or a
// value derived from it, so the few values that repeat on every line
// (actions, protocols, interfaces, the sensor) cost nothing after their first
// sighting. A small direct-mapped cache of recent entries sits in front of
// the map: comparing bytes with a string is cheaper than hashing them.
type interner struct {
	kind   int // what it derives from a key: asIs, protocol, action, ruleName, macPair
	m      map[string]internEntry
	recent [64]internEntry
}

// internEntry is a key and its value.
type internEntry struct{ key, val string }

// What an interner derives from a key.
const (
	asIs     = iota // the key itself
	protocol        // the IANA keyword of a protocol name or number
	action          // the action a netfilter log prefix names
	ruleName        // the rule a netfilter log prefix names
	macPair         // the two MACs at the start of a netfilter MAC= value, or a MACSRC=/MACDST= one
)

func newInterner(kind int) interner {
	return interner{kind: kind, m: make(map[string]internEntry, 64)}
}

// get returns the value for b, computed once per distinct b while the
// interner has room. Lookups do not allocate.
func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	r := &in.recent[(uint(len(b))^uint(b[0])<<1^uint(b[len(b)-1])<<2^uint(b[len(b)/2])<<3)%uint(len(in.recent))]
	if r.key == string(b) {
		return r.val
	}
	e, ok := in.m[string(b)]
	if !ok {
		e.key = string(b)
		// A switch, not a func value: with a func the compiler would assume
		// b escapes and move callers' buffers to the heap.
		switch in.kind {
		case asIs:
			e.val = e.key
		case protocol:
			e.val = protocolOf(b)
		case action:
			e.val = actionOf(b)
		case ruleName:
			e.val = ruleOf(b)
		case macPair:
			e.val = macPairOf(b)
		}
		if len(in.m) < internCap {
			in.m[e.key] = e
		}
	}
	*r = e
	return e.val
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
