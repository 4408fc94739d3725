package udp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"strings"

	"github.com/homesoc/homesoc/internal/scan"
)

// netbiosProbe sends a NetBIOS node status request for "*" (RFC 1002
// section 4.2.17) and reads the name table and the unit id (the MAC
// address) of the answer (section 4.2.18). No library covers NetBIOS;
// the packet is a DNS-like header and one encoded name.
var netbiosProbe = &Probe{
	Name:     "netbios-ns",
	Ports:    []uint16{137},
	Requests: func(*Exchange) [][]byte { return [][]byte{nbstatRequest()} },
	Identify: identifyNetBIOS,
}

func nbstatRequest() []byte {
	b := make([]byte, 12, 50)
	_, _ = rand.Read(b[:2])              // transaction id
	binary.BigEndian.PutUint16(b[4:], 1) // QDCOUNT
	b = append(b, encodeNetBIOSName("*")...)
	b = append(b, 0x00, 0x21, 0x00, 0x01) // NBSTAT, IN
	return b
}

// encodeNetBIOSName is RFC 1001's first-level encoding of a name padded
// with NULs (for "*") to 16 bytes, as one label.
func encodeNetBIOSName(name string) []byte {
	raw := make([]byte, 16)
	copy(raw, name)
	out := []byte{32}
	for _, c := range raw {
		out = append(out, 'A'+c>>4, 'A'+c&0x0f)
	}
	return append(out, 0)
}

// netbiosName is one entry of a node status answer's name table.
type netbiosName struct {
	name   string
	suffix byte
	group  bool
}

func identifyNetBIOS(_ context.Context, x *Exchange, reply []byte, p *scan.Port) bool {
	names, mac, err := parseNodeStatus(reply)
	if err != nil {
		return false
	}
	if !x.answers(func(req []byte) bool { return len(req) >= 2 && reply[0] == req[0] && reply[1] == req[1] }) {
		return false
	}
	p.Service = "netbios-ns"
	f := fields(p)
	var list []string
	for _, n := range names {
		list = append(list, fmt.Sprintf("%s<%02x>", n.name, n.suffix))
		switch {
		case n.suffix == 0x00 && !n.group && f["netbios_name"] == "":
			f["netbios_name"] = n.name
		case n.suffix == 0x00 && n.group && f["netbios_workgroup"] == "":
			f["netbios_workgroup"] = n.name
		}
	}
	f["netbios_names"] = strings.Join(list, ",")
	if mac != nil {
		f["netbios_mac"] = mac.String()
	}
	if f["netbios_workgroup"] != "" {
		p.Info = "workgroup: " + f["netbios_workgroup"]
	}
	return true
}

// parseNodeStatus reads a node status response: header, the echoed
// question name, type, class, TTL, RDLENGTH, then NUM_NAMES entries of 18
// bytes and the statistics, whose first 6 bytes are the unit id.
func parseNodeStatus(b []byte) ([]netbiosName, net.HardwareAddr, error) {
	if len(b) < 12 || b[2]&0x80 == 0 {
		return nil, nil, fmt.Errorf("not a NetBIOS response")
	}
	if binary.BigEndian.Uint16(b[6:8]) == 0 {
		return nil, nil, fmt.Errorf("no answer records")
	}
	i := 12
	for i < len(b) && b[i] != 0 { // the name: labels, or a pointer
		if b[i]&0xc0 == 0xc0 {
			i++
			break
		}
		i += int(b[i]) + 1
	}
	i++
	if i+10 > len(b) || binary.BigEndian.Uint16(b[i:]) != 0x21 {
		return nil, nil, fmt.Errorf("not a node status answer")
	}
	rdlen := int(binary.BigEndian.Uint16(b[i+8:]))
	i += 10
	if rdlen < 1 || i+rdlen > len(b) {
		return nil, nil, fmt.Errorf("node status answer cut short")
	}
	rd := b[i : i+rdlen]
	count := int(rd[0])
	if 1+count*18 > len(rd) {
		return nil, nil, fmt.Errorf("node status answer cut short")
	}
	names := make([]netbiosName, 0, count)
	for k := 0; k < count; k++ {
		e := rd[1+k*18 : 1+(k+1)*18]
		names = append(names, netbiosName{
			name:   strings.TrimRight(string(e[:15]), " \x00"),
			suffix: e[15],
			group:  e[16]&0x80 != 0,
		})
	}
	var mac net.HardwareAddr
	if st := rd[1+count*18:]; len(st) >= 6 {
		mac = net.HardwareAddr(append([]byte(nil), st[:6]...))
	}
	return names, mac, nil
}
