package parse

import (
	"fmt"
	"math"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// traffic fills ev from a type=traffic line (forward, local, multicast,
// sniffer). The log is written when a session closes, times out or is
// denied, or, for a long session, at intervals (logid 0000000020,
// action=accept): Time is the log's time, DurationS the session's length so
// far, and Status FortiGate's own action.
func (p *fortiGateParser) traffic(ev *event.Network, line []byte, t time.Time, sensor string) error {
	f := &p.f
	src, dst := f.get(ffSrcIP), f.get(ffDstIP)
	if src == nil {
		return fmt.Errorf("missing srcip")
	}
	if dst == nil {
		return fmt.Errorf("missing dstip")
	}
	sa, ok1 := parseAddr(src)
	da, ok2 := parseAddr(dst)
	if !ok1 || !ok2 {
		// FortiOS writes a name where it has no address (dstip=example.com
		// in proxy and UTM logs): a record, but not one we can store.
		return fmt.Errorf("fortigate traffic log with a srcip or dstip that is not an address: %w", ErrSkip)
	}
	ev.ID = event.NewID(fortiGateName, line)
	ev.Time = t
	ev.Kind = event.KindFirewall
	ev.Format = fortiGateName
	ev.Sensor = sensor
	ev.SrcIP, ev.DstIP = sa, da
	sp, err := fortiUint(f, ffSrcPort, "srcport", math.MaxUint16)
	if err != nil {
		return err
	}
	dp, err := fortiUint(f, ffDstPort, "dstport", math.MaxUint16)
	if err != nil {
		return err
	}
	ev.SrcPort, ev.DstPort = uint16(sp), uint16(dp)
	ev.Protocol = p.protos.get(f.get(ffProto))
	status := p.actions.get(f.get(ffAction))
	ev.Status = status
	ev.Action = fortiAction(status)
	ev.Direction = fortiDirection(f.get(ffSrcIntfRole), f.get(ffDstIntfRole), f.get(ffSubtype))
	ev.InIface = p.strs.get(f.get(ffSrcIntf))
	ev.OutIface = p.strs.get(f.get(ffDstIntf))
	if d := f.get(ffDuration); d != nil {
		n, ok := parseUint(d, math.MaxUint32)
		if !ok {
			return fmt.Errorf("bad duration %q", quote(d))
		}
		ev.DurationS = float64(n)
	}
	counters := [...]struct {
		k    fortiField
		name string
		dst  *uint64
	}{
		{ffSentByte, "sentbyte", &ev.BytesOut}, {ffRcvdByte, "rcvdbyte", &ev.BytesIn},
		{ffSentPkt, "sentpkt", &ev.PacketsOut}, {ffRcvdPkt, "rcvdpkt", &ev.PacketsIn},
	}
	for _, c := range counters {
		if *c.dst, err = fortiUint(f, c.k, c.name, math.MaxInt64); err != nil {
			return err
		}
	}
	// NAT: transip is the source after SNAT, tranip the destination after
	// DNAT; the source's is the one an outside party sees, so it wins.
	for _, k := range [...]fortiField{ffTransIP, ffTranIP} {
		if v := f.get(k); v != nil {
			if a, ok := parseAddr(v); ok {
				ev.NATIP = a
				break
			}
		}
	}
	if name := f.get(ffPolicyName); name != nil {
		ev.RuleName = p.strs.get(name)
	} else {
		ev.RuleName = p.strs.get(f.get(ffPolicyID))
	}
	ev.UserName = p.strs.get(f.get(ffUser))
	ev.Hostname = p.strs.get(f.get(ffSrcName))
	ev.SrcMAC = p.mac(f.get(ffSrcMAC))
	ev.DstMAC = p.mac(f.get(ffDstMAC))
	return nil
}

// mac returns a MAC address as aa:bb:cc:dd:ee:ff, or "" when v is not one.
func (p *fortiGateParser) mac(v []byte) string {
	if len(v) != 17 {
		return ""
	}
	var b [17]byte
	for i, c := range v {
		switch {
		case i%3 == 2:
			if c != ':' && c != '-' {
				return ""
			}
			c = ':'
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			c += 'a' - 'A'
		default:
			return ""
		}
		b[i] = c
	}
	return p.strs.get(b[:])
}

// fortiAction maps FortiGate's action to homesoc's: a session that was let
// through (accept, close, timeout, a reset by either end, ip-conn, dns,
// start) is allow; deny is drop (FortiGate drops silently unless the policy
// sends a reset, which it does not log apart); blocked is block.
func fortiAction(a string) string {
	switch a {
	case "accept", "close", "timeout", "server-rst", "client-rst", "ip-conn", "dns", "start", "":
		return "allow"
	case "deny", "drop", "dropped":
		return "drop"
	case "blocked", "block":
		return "block"
	case "reject":
		return "reject"
	}
	return a
}

// fortiDirection reads a direction from the interfaces' roles (lan, dmz,
// wan, undefined): lan or dmz to wan is outbound, wan to lan or dmz
// inbound, within lan and dmz internal, wan to wan external. A local-in
// session's destination is the firewall itself, inside.
func fortiDirection(srcRole, dstRole, subtype []byte) string {
	in := func(r []byte) int { // 1 inside, 2 outside, 0 unknown
		switch string(r) {
		case "lan", "dmz":
			return 1
		case "wan":
			return 2
		}
		return 0
	}
	s, d := in(srcRole), in(dstRole)
	if d == 0 && string(subtype) == "local" {
		d = 1
	}
	switch {
	case s == 1 && d == 2:
		return event.DirOutbound
	case s == 2 && d == 1:
		return event.DirInbound
	case s == 1 && d == 1:
		return event.DirInternal
	case s == 2 && d == 2:
		return event.DirExternal
	}
	return event.DirUnknown
}
