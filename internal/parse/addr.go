package parse

import "net/netip"

// parseAddr parses an IPv4 or IPv6 address from bytes without allocating.
// It accepts what netip.ParseAddr accepts except zones, which no log format
// we read carries; netip would need a string, and converting one allocates.
func parseAddr(b []byte) (netip.Addr, bool) {
	for _, c := range b {
		switch c {
		case '.':
			var ip [4]byte
			if !parseIPv4(b, ip[:]) {
				return netip.Addr{}, false
			}
			return netip.AddrFrom4(ip), true
		case ':':
			return parseIPv6(b)
		}
	}
	return netip.Addr{}, false
}

// parseIPv4 parses dotted-quad b into ip (4 bytes). Like netip, it rejects
// octets with leading zeros, which some tools read as octal.
func parseIPv4(b []byte, ip []byte) bool {
	i := 0
	for f := range 4 {
		if f > 0 {
			if i == len(b) || b[i] != '.' {
				return false
			}
			i++
		}
		// One to three digits, unrolled: it is the hot path of every line.
		if i == len(b) || b[i]-'0' > 9 {
			return false
		}
		n := uint(b[i] - '0')
		i++
		if i < len(b) && b[i]-'0' <= 9 {
			if n == 0 {
				return false
			}
			n = n*10 + uint(b[i]-'0')
			i++
			if i < len(b) && b[i]-'0' <= 9 {
				n = n*10 + uint(b[i]-'0')
				i++
				if n > 255 {
					return false
				}
			}
		}
		ip[f] = byte(n)
	}
	return i == len(b)
}

// parseIPv6 follows netip's parseIPv6, on bytes and without zones.
func parseIPv6(s []byte) (netip.Addr, bool) {
	var ip [16]byte
	ellipsis := -1 // position of "::" in ip
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if len(s) == 0 {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		off, acc := 0, uint32(0)
		for ; off < len(s); off++ {
			c := s[off]
			switch {
			case c >= '0' && c <= '9':
				acc = acc<<4 + uint32(c-'0')
			case c >= 'a' && c <= 'f':
				acc = acc<<4 + uint32(c-'a'+10)
			case c >= 'A' && c <= 'F':
				acc = acc<<4 + uint32(c-'A'+10)
			default:
				goto done
			}
			if off > 3 {
				return netip.Addr{}, false
			}
		}
	done:
		if off == 0 {
			return netip.Addr{}, false
		}
		if off < len(s) && s[off] == '.' { // trailing embedded IPv4
			if ellipsis < 0 && i != 12 || i+4 > 16 {
				return netip.Addr{}, false
			}
			if !parseIPv4(s, ip[i:i+4]) {
				return netip.Addr{}, false
			}
			s = nil
			i += 4
			break
		}
		ip[i] = byte(acc >> 8)
		ip[i+1] = byte(acc)
		i += 2
		s = s[off:]
		if len(s) == 0 {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = i
			s = s[1:]
			if len(s) == 0 {
				break
			}
		}
	}
	if len(s) != 0 {
		return netip.Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			ip[j+n] = ip[j]
		}
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16(ip), true
}
