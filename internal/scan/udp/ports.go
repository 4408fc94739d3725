package udp

import "slices"

// defaultPorts are the UDP ports home routers, NAS boxes and IoT devices
// most often answer on from the internet, each with the service usually
// there. Sources: the UPnP Device Architecture (1900), RFC 6762 (5353),
// RFC 1035 (53), RFC 5905 (123), RFC 3411 (161), RFC 1002 (137), RFC 7296
// and RFC 3948 (500, 4500), the OpenVPN and WireGuard defaults (1194,
// 51820), RFC 6886 (5351), RFC 2661 (1701), RFC 1350 (69), RFC 8489
// (3478), and the amplification services CERT lists in TA14-017A (11211
// memcached, 1900, 123, 161, 53).
var defaultPorts = []struct {
	port uint16
	name string
}{
	{53, "domain"},
	{69, "tftp"},
	{123, "ntp"},
	{137, "netbios-ns"},
	{161, "snmp"},
	{500, "isakmp"},
	{1194, "openvpn"},
	{1701, "l2tp"},
	{1900, "upnp"},
	{3478, "stun"},
	{4500, "nat-t-ike"},
	{5351, "nat-pmp"},
	{5353, "mdns"},
	{11211, "memcache"},
	{51820, "wireguard"},
}

// DefaultPorts returns the UDP ports probed when none are given, in
// ascending order.
func DefaultPorts() []uint16 {
	out := make([]uint16, 0, len(defaultPorts))
	for _, p := range defaultPorts {
		out = append(out, p.port)
	}
	slices.Sort(out)
	return out
}

// serviceName is the usual service of port: its probe's name, else the
// default list's.
func serviceName(port uint16, p *Probe) string {
	for _, d := range defaultPorts {
		if d.port == port {
			return d.name
		}
	}
	if p != nil {
		return p.Name
	}
	return ""
}
