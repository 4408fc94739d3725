package udp

import (
	"context"
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/homesoc/homesoc/internal/scan"
)

// natpmpProbe asks for the external address (RFC 6886 section 3.2). A
// NAT-PMP (or PCP, RFC 6887, which answers version 0 requests with its
// own version) server reachable from outside lets anyone map ports.
var natpmpProbe = &Probe{
	Name:     "nat-pmp",
	Ports:    []uint16{5351},
	Requests: func(*Exchange) [][]byte { return [][]byte{{0, 0}} },
	Identify: func(_ context.Context, _ *Exchange, reply []byte, p *scan.Port) bool {
		switch {
		case len(reply) >= 12 && reply[0] == 0 && reply[1] == 128:
			p.Service = "nat-pmp"
			f := fields(p)
			f["natpmp_result"] = strconv.Itoa(int(binary.BigEndian.Uint16(reply[2:4])))
			if f["natpmp_result"] == "0" {
				f["natpmp_external_ip"] = netip.AddrFrom4([4]byte(reply[8:12])).String()
			}
			return true
		case len(reply) >= 4 && reply[0] == 2 && reply[1]&0x80 != 0:
			p.Service = "nat-pmp"
			p.Info = "PCP"
			fields(p)["pcp_result"] = strconv.Itoa(int(reply[3]))
			return true
		}
		return false
	},
}

// wireguardProbe sends an empty datagram: WireGuard answers nothing that
// is not a handshake for its key, so an open WireGuard port and a
// filtered one look the same; only ICMP port unreachable (closed) says
// something.
var wireguardProbe = &Probe{
	Name:     "wireguard",
	Ports:    []uint16{51820},
	Silent:   true,
	Requests: func(*Exchange) [][]byte { return [][]byte{{}} },
}
