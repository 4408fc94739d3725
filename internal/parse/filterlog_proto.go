package parse

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/homesoc/homesoc/internal/event"
)

// Positions of the TCP fields after the IP header's.
const (
	flTCPSrcPort = iota
	flTCPDstPort
	flTCPDataLen
	flTCPFlags
	flTCPSeq
	flTCPAck
	flTCPWindow
)

// transport reads the fields filterlog writes after the IP header's for
// protocol proto: source port, destination port and data length for UDP
// and SCTP, then flags, sequence, ack, window, urgent pointer and options
// for TCP; the message name and its details for ICMP. For other protocols
// (IGMP's "datalength=8", CARP's advertisement, ICMPv6, which filterlog
// does not decode) it reads nothing.
func (p *filterlogParser) transport(proto uint64, f [][]byte, ev *event.Network) error {
	switch proto {
	case 6, 17, 132:
		return p.ports(proto, f, ev)
	case 1:
		if len(f) > 0 {
			ev.ICMPType, ev.ICMPCode = icmpOf(f[0])
		}
	}
	return nil
}

// ports reads the ports of a TCP, UDP or SCTP record and TCP's flags and
// window.
func (p *filterlogParser) ports(proto uint64, f [][]byte, ev *event.Network) error {
	if len(f) > 0 && bytes.HasPrefix(f[0], []byte("errormsg=")) {
		return nil // a TCP header too short to read: no ports
	}
	if len(f) < flTCPDataLen+1 {
		return fmt.Errorf("%s record cut short: %d fields after the IP header, want at least %d", ev.Protocol, len(f), flTCPDataLen+1)
	}
	n, ok := parseUint(f[flTCPSrcPort], 65535)
	if !ok {
		return fmt.Errorf("bad source port %q", quote(f[flTCPSrcPort]))
	}
	ev.SrcPort = uint16(n)
	if n, ok = parseUint(f[flTCPDstPort], 65535); !ok {
		return fmt.Errorf("bad destination port %q", quote(f[flTCPDstPort]))
	}
	ev.DstPort = uint16(n)
	if proto != 6 {
		return nil
	}
	if len(f) <= flTCPFlags {
		return fmt.Errorf("tcp record cut short: no TCP flags")
	}
	flags, ok := p.tcpFlags(f[flTCPFlags])
	if !ok {
		return fmt.Errorf("bad TCP flags %q", quote(f[flTCPFlags]))
	}
	ev.TCPFlags = flags
	if len(f) > flTCPWindow {
		if n, ok := parseUint(f[flTCPWindow], 65535); ok {
			ev.TCPWindow = uint16(n)
		}
	}
	return nil
}

// tcpFlagBits are filterlog's TCP flag letters, in the order it writes
// them, and the kernel's names for them, in the order netfilter writes them
// (highest bit first), so both parsers spell a SYN-ACK "ACK SYN".
var tcpFlagBits = [8]struct {
	letter byte
	name   string
}{{'F', "FIN"}, {'S', "SYN"}, {'R', "RST"}, {'P', "PSH"}, {'A', "ACK"}, {'U', "URG"}, {'E', "ECE"}, {'C', "CWR"}}

// tcpFlags returns the kernel's spelling of filterlog's TCP flag letters
// ("SA" -> "ACK SYN"); false for a letter filterlog never writes or one
// written twice. The spellings are made once per set of flags.
func (p *filterlogParser) tcpFlags(b []byte) (string, bool) {
	var set uint8
	for _, c := range b {
		j := 0
		for j < len(tcpFlagBits) && tcpFlagBits[j].letter != c {
			j++
		}
		if j == len(tcpFlagBits) || set&(1<<j) != 0 {
			return "", false
		}
		set |= 1 << j
	}
	if set == 0 {
		return "", true
	}
	if p.flags[set] == "" {
		var names []string
		for i := len(tcpFlagBits) - 1; i >= 0; i-- {
			if set&(1<<i) != 0 {
				names = append(names, tcpFlagBits[i].name)
			}
		}
		p.flags[set] = strings.Join(names, " ")
	}
	return p.flags[set], true
}

// icmpNames maps the first word filterlog writes for an ICMP message to its
// type and, where the word says, its code. Words filterlog runs into the
// next value ("routeradv30", "source quench64") are matched by prefix.
var icmpNames = []struct {
	name      string
	typ, code uint8
}{
	{"request", 8, 0}, {"reply", 0, 0},
	{"unreachproto", 3, 2}, {"unreachport", 3, 3}, {"needfrag", 3, 4}, {"unreach", 3, 0},
	{"redirect", 5, 0}, {"routeradv", 9, 0}, {"timexceed", 11, 0}, {"paramprob", 12, 0},
	{"maskreply", 18, 0}, {"tstampreply", 14, 0}, {"tstamp", 13, 0},
	{"echo reply", 0, 0}, {"source quench", 4, 0}, {"echo request", 8, 0}, {"router solicitation", 10, 0},
	{"time stamp request", 13, 0}, {"time stamp reply", 14, 0}, {"information request", 15, 0},
	{"information reply", 16, 0}, {"address mask request", 17, 0},
}

// icmpOf returns the type and code of an ICMP message from filterlog's name
// for it; 0, 0 for a name it does not know ("type-??").
func icmpOf(b []byte) (typ, code uint8) {
	for _, n := range icmpNames {
		if bytes.HasPrefix(b, []byte(n.name)) {
			return n.typ, n.code
		}
	}
	return 0, 0
}
