package parse

import "strconv"

// Every parser names a protocol one way: by its IANA keyword ("Keyword" of
// the Assigned Internet Protocol Numbers registry), in lower case, as ECS's
// network.transport does: tcp, udp, icmp, ipv6-icmp, esp, gre, ... A number
// without a keyword stays the number; a protocol the source does not know
// (Zeek's "unknown_transport" without ip_proto) is "".

// protocolKeywords maps protocol numbers to their IANA keywords, for the
// protocols a home or small-office network carries.
var protocolKeywords = map[uint64]string{
	0: "hopopt", 1: "icmp", 2: "igmp", 4: "ipv4", 6: "tcp", 8: "egp", 9: "igp", 17: "udp",
	27: "rdp", 33: "dccp", 41: "ipv6", 43: "ipv6-route", 44: "ipv6-frag", 46: "rsvp", 47: "gre",
	50: "esp", 51: "ah", 58: "ipv6-icmp", 59: "ipv6-nonxt", 60: "ipv6-opts", 88: "eigrp", 89: "ospf",
	94: "ipip", 97: "etherip", 103: "pim", 108: "ipcomp", 112: "vrrp", 115: "l2tp", 132: "sctp",
	135: "mobility-header", 136: "udplite", 137: "mpls-in-ip", 139: "hip", 140: "shim6",
}

// protocolAliases maps the other spellings sources use to the keyword.
var protocolAliases = map[string]string{
	"icmpv6":            "ipv6-icmp", // netfilter PROTO=ICMPv6
	"icmp6":             "ipv6-icmp",
	"ipv6icmp":          "ipv6-icmp",
	"unknown_transport": "", // Zeek, when it has no ip_proto column
}

// protocolOf returns the keyword of a protocol as a source spells it: a
// name in any case, or a number.
func protocolOf(b []byte) string {
	name := string(asciiLower(make([]byte, len(b)), b))
	if n, ok := parseUint(b, 255); ok {
		if k, ok := protocolKeywords[n]; ok {
			return k
		}
		return strconv.FormatUint(n, 10)
	}
	if k, ok := protocolAliases[name]; ok {
		return k
	}
	return name
}
