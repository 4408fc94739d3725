// Package ipscope classifies IP addresses by where they can be reached: the
// one classification homesoc uses everywhere - at ingest (the *_scope columns
// rules read), by the scanner's safety check, and by the exposure chain.
//
// The ranges come from IANA's IPv4 and IPv6 Special-Purpose Address
// Registries (RFC 6890 and its updates): a range the registry marks as not
// globally reachable gets its own scope, and everything outside global
// unicast space (IPv6 outside 2000::/3, IPv4 240/4) is reserved.
package ipscope

import "net/netip"

// Scope is where an address can be reached from. It is stored as text, so
// SQL compares with the constants' values ('global', 'private', ...).
type Scope string

// Scopes, as stored.
const (
	Global        Scope = "global"        // reachable from the internet
	Private       Scope = "private"       // RFC 1918, and NAT64 local use 64:ff9b:1::/48
	CGNAT         Scope = "cgnat"         // shared address space 100.64.0.0/10 (RFC 6598)
	Loopback      Scope = "loopback"      // 127.0.0.0/8, ::1
	LinkLocal     Scope = "link-local"    // 169.254.0.0/16, fe80::/10
	ULA           Scope = "ula"           // unique local fc00::/7
	Multicast     Scope = "multicast"     // 224.0.0.0/4, ff00::/8
	Documentation Scope = "documentation" // 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20
	Unspecified   Scope = "unspecified"   // 0.0.0.0, ::
	Reserved      Scope = "reserved"      // every other special-purpose or unassigned range
	Invalid       Scope = ""              // the zero netip.Addr
)

type rangeScope struct {
	prefix netip.Prefix
	scope  Scope
}

// special lists the special-purpose ranges, most specific first where they
// nest.
var special = []rangeScope{
	// IPv4
	{netip.MustParsePrefix("0.0.0.0/32"), Unspecified},
	{netip.MustParsePrefix("0.0.0.0/8"), Reserved}, // "this network"
	{netip.MustParsePrefix("10.0.0.0/8"), Private},
	{netip.MustParsePrefix("100.64.0.0/10"), CGNAT},
	{netip.MustParsePrefix("127.0.0.0/8"), Loopback},
	{netip.MustParsePrefix("169.254.0.0/16"), LinkLocal},
	{netip.MustParsePrefix("172.16.0.0/12"), Private},
	{netip.MustParsePrefix("192.0.0.0/24"), Reserved}, // IETF protocol assignments
	{netip.MustParsePrefix("192.0.2.0/24"), Documentation},
	{netip.MustParsePrefix("192.88.99.0/24"), Reserved}, // deprecated 6to4 relay anycast
	{netip.MustParsePrefix("192.168.0.0/16"), Private},
	{netip.MustParsePrefix("198.18.0.0/15"), Reserved}, // benchmarking (RFC 2544)
	{netip.MustParsePrefix("198.51.100.0/24"), Documentation},
	{netip.MustParsePrefix("203.0.113.0/24"), Documentation},
	{netip.MustParsePrefix("224.0.0.0/4"), Multicast},
	{netip.MustParsePrefix("240.0.0.0/4"), Reserved}, // future use, and the broadcast address
	// IPv6 (IPv4-mapped addresses are classified as their IPv4 address)
	{netip.MustParsePrefix("::/128"), Unspecified},
	{netip.MustParsePrefix("::1/128"), Loopback},
	{netip.MustParsePrefix("64:ff9b:1::/48"), Private}, // NAT64 local use (RFC 8215)
	{netip.MustParsePrefix("100::/64"), Reserved},      // discard-only
	{netip.MustParsePrefix("2001:db8::/32"), Documentation},
	{netip.MustParsePrefix("2001::/23"), Reserved}, // IETF protocol assignments (Teredo, ORCHID, ...)
	{netip.MustParsePrefix("3fff::/20"), Documentation},
	{netip.MustParsePrefix("5f00::/16"), Reserved}, // SRv6 SIDs
	{netip.MustParsePrefix("fc00::/7"), ULA},
	{netip.MustParsePrefix("fe80::/10"), LinkLocal},
	{netip.MustParsePrefix("ff00::/8"), Multicast},
}

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	nat64          = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: the IPv4 address in the last 32 bits
	sixToFour      = netip.MustParsePrefix("2002::/16")    // RFC 3056: the IPv4 address in bits 16-47
)

// Of returns the scope of a. An IPv6 address that a translator or relay
// turns into an IPv4 one (NAT64's well-known prefix, 6to4) has the scope of
// that IPv4 address: 64:ff9b::7f00:1 reaches 127.0.0.1.
func Of(a netip.Addr) Scope {
	if !a.IsValid() {
		return Invalid
	}
	a = a.Unmap().WithZone("")
	if v4, ok := embedded4(a); ok {
		return Of(v4)
	}
	for _, r := range special {
		if r.prefix.Contains(a) {
			return r.scope
		}
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		return Reserved
	}
	return Global
}

// embedded4 returns the IPv4 address a NAT64 or 6to4 address stands for.
func embedded4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case !a.Is6():
		return netip.Addr{}, false
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// IsGlobal reports whether a is reachable from the internet.
func IsGlobal(a netip.Addr) bool { return Of(a) == Global }

// Text returns the scope of a as stored, "" for an invalid address.
func Text(a netip.Addr) string { return string(Of(a)) }
