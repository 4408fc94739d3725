package parse

import "strconv"

// ProtocolName returns the IANA keyword of protocol number n, in lower case
// ("tcp", "ipv6-icmp"), or the number when it has none: the spelling every
// parser gives event.Network.Protocol, for sources that decode binary
// records themselves (source/flow).
func ProtocolName(n uint8) string {
	if k, ok := protocolKeywords[uint64(n)]; ok {
		return k
	}
	return strconv.FormatUint(uint64(n), 10)
}
