package parse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/homesoc/homesoc/internal/event"
)

// fields reads the packet fields into ev.
func (p *netfilterParser) fields(b []byte, ev *event.Network) error {
	var f packetFields
	f.scan(b)
	if f.junk > 0 {
		t, _ := nextToken(b[f.junk-1:])
		return fmt.Errorf("junk after the packet fields at %q: not a word the kernel writes", quote(t))
	}
	src, dst, spt, dpt, ttl := f.value(b, fSRC), f.value(b, fDST), f.value(b, fSPT), f.value(b, fDPT), f.value(b, fTTL)
	var ok bool
	switch {
	case src == nil:
		return errMissingSrc
	case dst == nil:
		return errMissingDst
	}
	if ev.SrcIP, ok = parseAddr(src); !ok {
		return fmt.Errorf("bad SRC address %q", quote(src))
	}
	if ev.DstIP, ok = parseAddr(dst); !ok {
		return fmt.Errorf("bad DST address %q", quote(dst))
	}
	if spt != nil {
		n, ok := parseUint(spt, 65535)
		if !ok {
			return fmt.Errorf("bad SPT %q", quote(spt))
		}
		ev.SrcPort = uint16(n)
	}
	if dpt != nil {
		n, ok := parseUint(dpt, 65535)
		if !ok {
			return fmt.Errorf("bad DPT %q", quote(dpt))
		}
		ev.DstPort = uint16(n)
	}
	if ttl != nil {
		n, ok := parseUint(ttl, 255)
		if !ok {
			return fmt.Errorf("bad TTL %q", quote(ttl))
		}
		ev.TTL = uint8(n)
	}
	ev.InIface = p.strs.get(f.value(b, fIN))
	ev.OutIface = p.strs.get(f.value(b, fOUT))
	ev.Protocol = p.protocol(f.value(b, fPROTO))
	ev.TCPFlags = p.strs.get(f.flags[:f.nflags])
	p.extras(b, &f, ev)
	return nil
}

// extras reads the fields an analyst pivots on but no rule needs whole:
// a value the kernel would not write is left out rather than failing the
// line.
func (p *netfilterParser) extras(b []byte, f *packetFields, ev *event.Network) {
	if n, ok := parseUint(f.value(b, fLEN), 1<<32-1); ok {
		ev.PacketLen = uint32(n)
	}
	// IPv4's ID= comes before PROTO=; an ID= after it is an ICMP echo's.
	if f.seen&(1<<fPROTO) == 0 || f.at[fID][0] < f.at[fPROTO][0] {
		if n, ok := parseUint(f.value(b, fID), 65535); ok {
			ev.IPID = uint16(n)
		}
	}
	if n, ok := parseUint(f.value(b, fWINDOW), 65535); ok {
		ev.TCPWindow = uint16(n)
	}
	if ev.Protocol == "icmp" || ev.Protocol == "ipv6-icmp" {
		if n, ok := parseUint(f.value(b, fTYPE), 255); ok {
			ev.ICMPType = uint8(n)
		}
		if n, ok := parseUint(f.value(b, fCODE), 255); ok {
			ev.ICMPCode = uint8(n)
		}
	}
	// MAC= is the link-layer header: destination, source, EtherType.
	if mac := f.value(b, fMAC); len(mac) >= 35 {
		if pair := p.macs.get(mac[:35]); pair != "" {
			ev.DstMAC, ev.SrcMAC = pair[:17], pair[18:]
		}
		return
	}
	// nftables' "log flags ether" and ulogd's --log-macdecode split it:
	// MACSRC= MACDST= MACPROTO=.
	if f.seen&(1<<fMACSRC|1<<fMACDST) != 0 {
		ev.SrcMAC = p.macs.get(f.value(b, fMACSRC))
		ev.DstMAC = p.macs.get(f.value(b, fMACDST))
	}
}

// macPairOf returns the destination and source MACs at the start of a MAC=
// value, "dd:dd:dd:dd:dd:dd:ss:ss:ss:ss:ss:ss", or the one MAC of a MACSRC=
// or MACDST= value, in lower case; "" if they are not MAC addresses.
func macPairOf(b []byte) string {
	if len(b) != 35 && len(b) != 17 {
		return ""
	}
	pair := make([]byte, len(b))
	for i, c := range b {
		switch {
		case i%3 == 2:
			if c != ':' {
				return ""
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			c += 'a' - 'A'
		default:
			return ""
		}
		pair[i] = c
	}
	return string(pair)
}

// protocol maps PROTO= to the protocol's IANA keyword.
func (p *netfilterParser) protocol(b []byte) string {
	switch string(b) {
	case "TCP":
		return "tcp"
	case "UDP":
		return "udp"
	case "ICMP":
		return "icmp"
	case "ICMPv6":
		return "ipv6-icmp"
	}
	return p.protos.get(b)
}

// The netfilter fields the parser keeps, as indexes of packetFields.at.
const (
	fIN = iota
	fOUT
	fSRC
	fDST
	fPROTO
	fSPT
	fDPT
	fTTL // TTL= or, for IPv6, HOPLIMIT=
	fMAC
	fID
	fLEN
	fTYPE
	fCODE
	fWINDOW
	fMACSRC
	fMACDST
	nFields
)

// packetFields locates the values of the netfilter fields the parser keeps
// in a line. It holds offsets, not slices: it has no pointers, so filling it
// costs no write barriers.
type packetFields struct {
	at     [nFields][2]int // start and end of each value
	seen   uint            // bit i set: field i was found
	flags  [24]byte        // "URG ACK PSH RST SYN FIN" at most
	nflags int
	depth  int // nesting of [ ] around a quoted packet
	junk   int // 1 + the offset of the first bare word the kernel never writes; 0 if none
}

// value returns field i of the scanned line b: nil if absent, non-nil but
// empty for "KEY=".
func (f *packetFields) value(b []byte, i int) []byte {
	if f.seen&(1<<i) == 0 {
		return nil
	}
	return b[f.at[i][0]:f.at[i][1]:f.at[i][1]]
}

// scan reads the KEY=VALUE pairs and flag words of b, in any order. The first
// occurrence of a key wins, and a bracketed packet (the one an ICMP error
// quotes) is skipped, so its addresses do not replace the outer ones.
//
// It is the hot loop of the netfilter parser. Rather than walk a line byte by
// byte, paying a mispredicted branch at the end of each of some twenty short
// tokens, it finds the spaces of eight bytes at a time, as the bits of a
// mask, and visits the tokens between them. A token's first eight bytes are
// read as one integer too: the '=' is found in it, and a key is looked up by
// it in a small perfect hash, so no key is compared as a string.
func (f *packetFields) scan(b []byte) {
	tok := 0
	for w := 0; w < len(b); w += 8 {
		var m uint64
		if w+8 <= len(b) {
			m = exactZeroByte(binary.LittleEndian.Uint64(b[w:]) ^ (' ' * ones))
		} else {
			for j := w; j < len(b); j++ {
				if b[j] == ' ' {
					m |= 0x80 << (8 * (j - w))
				}
			}
		}
		for ; m != 0; m &= m - 1 {
			end := w + bits.TrailingZeros64(m)>>3
			if end > tok {
				// The common token, KEY=VALUE with a short key, inline.
				if tok+8 <= len(b) && f.depth == 0 && b[tok] != '[' {
					x := binary.LittleEndian.Uint64(b[tok:])
					if eq := bits.TrailingZeros64(exactZeroByte(x^('='*ones))) >> 3; eq < end-tok && eq < 8 {
						f.keep(keyIndex(x&(1<<(8*eq)-1), eq), tok+eq+1, end)
						tok = end + 1
						continue
					}
				}
				f.token(b, tok, end)
			}
			tok = end + 1
		}
	}
	if tok < len(b) {
		f.token(b, tok, len(b))
	}
}

// keep records field k's value at b[start:end] unless it was seen before;
// k < 0 is a field not kept.
func (f *packetFields) keep(k, start, end int) {
	if k >= 0 && f.seen&(1<<k) == 0 {
		f.seen |= 1 << k
		f.at[k] = [2]int{start, end}
	}
}

// exactZeroByte returns x with the high bit of each zero byte set, and no
// other bit: unlike the usual (x-ones)&^x&highs it has no false positives, so
// every bit of a mask can be used.
func exactZeroByte(x uint64) uint64 {
	const lows = 0x7f7f7f7f7f7f7f7f
	return ^((x&lows + lows) | x | lows)
}

// Flag words and the one long key as little-endian integers, as token
// reads them.
const (
	kSYN = uint64('S') | uint64('Y')<<8 | uint64('N')<<16
	kACK = uint64('A') | uint64('C')<<8 | uint64('K')<<16
	kFIN = uint64('F') | uint64('I')<<8 | uint64('N')<<16
	kRST = uint64('R') | uint64('S')<<8 | uint64('T')<<16
	kPSH = uint64('P') | uint64('S')<<8 | uint64('H')<<16
	kURG = uint64('U') | uint64('R')<<8 | uint64('G')<<16
	// HOPLIMIT fills all eight bytes; its '=' is the ninth.
	kHOPLIMIT = uint64('H') | uint64('O')<<8 | uint64('P')<<16 | uint64('L')<<24 |
		uint64('I')<<32 | uint64('M')<<40 | uint64('I')<<48 | uint64('T')<<56
)

// token records the KEY=VALUE pair or flag word b[start:end]. It reads the
// token's first eight bytes as one integer: every key it keeps but one fits
// in them, so keys and flags compare as integers, not strings.
func (f *packetFields) token(b []byte, start, end int) {
	t := b[start:end]
	if f.depth > 0 || t[0] == '[' {
		f.depth += bytes.Count(t, []byte("[")) - bytes.Count(t, []byte("]"))
		return
	}
	var x uint64
	if start+8 <= len(b) {
		x = binary.LittleEndian.Uint64(b[start:])
	} else {
		var pad [8]byte
		copy(pad[:], t)
		x = binary.LittleEndian.Uint64(pad[:])
	}
	m := exactZeroByte(x ^ ('=' * ones))
	eq := bits.TrailingZeros64(m) >> 3 // 8 if none
	var k int
	switch {
	case eq >= len(t) || m == 0 && bytes.IndexByte(t[8:], '=') < 0: // no '=': a bare word
		if len(t) == 3 && f.flag(x&0xffffff) || f.junk != 0 || kernelWord(t) {
			return
		}
		f.junk = start + 1
		return
	case m != 0:
		k = keyIndex(x&(1<<(8*eq)-1), eq)
	case t[8] == '=' && x == kHOPLIMIT: // the one long key
		k = fTTL
	default:
		return
	}
	f.keep(k, start+eq+1, end)
}

// keyIndex returns the field a key of n bytes (as an integer) names, or -1.
// The keys kept hash to distinct slots of keyTable with this multiplier, so
// one comparison decides. (The length counts: a key may hold zero bytes.)
func keyIndex(key uint64, n int) int {
	e := &keyTable[key*keyHashMul>>58]
	if e.key != key || int(e.len) != n {
		return -1
	}
	return int(e.field)
}

const keyHashMul = 0xb80704bb7b4d7c03

type keyEntry struct {
	key        uint64
	len, field int8
}

// keyTable's empty slots have a length no key has.
var keyTable = func() (t [64]keyEntry) {
	for i := range t {
		t[i].len = -1
	}
	for _, k := range [...]struct {
		name  string
		field int8
	}{{"IN", fIN}, {"OUT", fOUT}, {"SRC", fSRC}, {"DST", fDST}, {"PROTO", fPROTO}, {"SPT", fSPT}, {"DPT", fDPT}, {"TTL", fTTL},
		{"MAC", fMAC}, {"ID", fID}, {"LEN", fLEN}, {"TYPE", fTYPE}, {"CODE", fCODE}, {"WINDOW", fWINDOW},
		{"MACSRC", fMACSRC}, {"MACDST", fMACDST}} {
		var key uint64
		for i := range len(k.name) {
			key |= uint64(k.name[i]) << (8 * i)
		}
		e := &t[key*keyHashMul>>58]
		if e.len >= 0 {
			panic("parse: netfilter keys collide in keyTable")
		}
		*e = keyEntry{key: key, len: int8(len(k.name)), field: k.field}
	}
	return t
}()

// kernelWord reports whether a bare word (no '=') is one the kernel may
// write among packet fields: flags and markers in upper case (DF, CE, MF,
// ECE, INCOMPLETE, OPT (0204...)), brackets, and KEY:value (FRAG:1480,
// IPv6's ID:0000abcd). Any other word with a lower-case letter or a byte
// beyond ASCII comes from something else: another line glued on, junk.
func kernelWord(t []byte) bool {
	if i := bytes.IndexByte(t, ':'); i > 0 && upperWord(t[:i]) {
		return true
	}
	for _, c := range t {
		if 'a' <= c && c <= 'z' || c >= 0x80 {
			return false
		}
	}
	return true
}

// upperWord reports whether w is upper-case ASCII letters only.
func upperWord(w []byte) bool {
	for _, c := range w {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// flag appends a TCP flag word (given as an integer) to the flags, in the
// order they come, and reports whether w is one. The kernel also logs IP
// flags (DF, MF, CE) and ECN bits (CWR, ECE), which are not kept.
func (f *packetFields) flag(w uint64) bool {
	var name string
	switch w {
	case kSYN:
		name = "SYN"
	case kACK:
		name = "ACK"
	case kFIN:
		name = "FIN"
	case kRST:
		name = "RST"
	case kPSH:
		name = "PSH"
	case kURG:
		name = "URG"
	default:
		return false
	}
	if f.nflags+4 > len(f.flags) {
		return true
	}
	if f.nflags > 0 {
		f.flags[f.nflags] = ' '
		f.nflags++
	}
	f.nflags += copy(f.flags[f.nflags:], name)
	return true
}
