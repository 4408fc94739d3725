package parse

import (
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// vpn turns a type=event subtype=vpn line into VPN session facts. The
// FortiOS Log Message Reference logs, for SSL-VPN (tunneltype ssl-tunnel,
// ssl-web) and IPsec (tunneltype ipsec, dial-up and site-to-site):
//
//   - action=tunnel-up (39424 SSL, 37138 IPsec): a VPNStart fact carrying
//     everything the line names (user, group, remip, tunnelip, tunnelid),
//     and, when the line names the client's pool address (tunnelip, or
//     IPsec's assignip), a VPNAssign fact too, so that attribution finds
//     the address the same way whatever the VPN's parser;
//   - action=tunnel-down (39425, 37139): a VPNEnd fact with duration,
//     sentbyte (to the client: BytesOut), rcvdbyte (from it: BytesIn) and
//     reason;
//   - action=tunnel-stats (39949, 37141), logged every few minutes while a
//     tunnel is up: a VPNAssign fact when it names a user and a pool
//     address, so a session whose tunnel-up is before the log's start is
//     still attributed; one without either (a site-to-site IPsec tunnel) is
//     skipped.
//
// Every other VPN action (ssl-login-fail, ssl-new-con, negotiate, phase 1
// and 2 progress, certificate updates) is skipped with the action in the
// reason: a failed login opens no session, and identity needs sessions.
// "N/A" is FortiGate's "none" and reads as absent. The session id is
// tunnelid (0, which FortiGate writes for no tunnel, is none).
func (p *fortiGateParser) vpn(line []byte, t time.Time, sensor string) error {
	f := &p.f
	action := f.get(ffAction)
	var kind string
	switch string(action) {
	case "tunnel-up":
		kind = event.VPNStart
	case "tunnel-down":
		kind = event.VPNEnd
	case "tunnel-stats":
		kind = event.VPNAssign
	default:
		return fmt.Errorf("fortigate vpn %s event: %w", quote(action), ErrSkip)
	}
	s := event.VPNSession{
		Time:   t,
		Kind:   kind,
		Sensor: sensor,
		Format: fortiGateName,
	}
	s.User = p.strs.get(fortiFirst(f.get(ffUser), f.get(ffXAuthUser)))
	s.Group = p.strs.get(fortiFirst(f.get(ffGroup), f.get(ffXAuthGroup), f.get(ffVPNTunnel)))
	var err error
	if s.RemoteIP, err = fortiOptAddr(f, ffRemIP, "remip"); err != nil {
		return err
	}
	port, err := fortiUint(f, ffRemPort, "remport", math.MaxUint16)
	if err != nil {
		return err
	}
	s.RemotePort = uint16(port)
	if s.AssignedIP, err = fortiOptAddr(f, ffTunnelIP, "tunnelip"); err != nil {
		return err
	}
	if !s.AssignedIP.IsValid() {
		if s.AssignedIP, err = fortiOptAddr(f, ffAssignIP, "assignip"); err != nil {
			return err
		}
	}
	if id := f.get(ffTunnelID); id != nil && string(id) != "0" {
		s.SessionID = string(id) // one per session: interning would only fill the interner
	}
	if kind == event.VPNAssign && (s.User == "" || !s.AssignedIP.IsValid()) {
		return fmt.Errorf("fortigate vpn tunnel-stats event without a user or a tunnel address: %w", ErrSkip)
	}
	if kind == event.VPNEnd {
		if d := f.get(ffDuration); d != nil {
			n, ok := parseUint(d, math.MaxUint32)
			if !ok {
				return fmt.Errorf("bad duration %q", quote(d))
			}
			s.DurationS = float64(n)
		}
		if s.BytesOut, err = fortiUint(f, ffSentByte, "sentbyte", math.MaxInt64); err != nil {
			return err
		}
		if s.BytesIn, err = fortiUint(f, ffRcvdByte, "rcvdbyte", math.MaxInt64); err != nil {
			return err
		}
		s.Reason = p.strs.get(f.get(ffReason))
	}
	s.Raw = string(line)
	p.addVPN(line, s)
	if kind == event.VPNStart && s.AssignedIP.IsValid() {
		s.Kind = event.VPNAssign
		p.addVPN(line, s)
	}
	return ErrExtraOnly
}

// addVPN appends a fact with its id: the line and the fact's kind, so the
// two facts of one tunnel-up line differ.
func (p *fortiGateParser) addVPN(line []byte, s event.VPNSession) {
	key := append(p.idKey[:0], s.Kind...)
	key = append(key, 0)
	key = append(key, line...)
	p.idKey = key
	s.ID = event.NewID(fortiGateName, key)
	p.extra.VPNSessions = append(p.extra.VPNSessions, s)
}

// fortiFirst returns the first non-nil value.
func fortiFirst(vs ...[]byte) []byte {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// fortiOptAddr parses an optional address field: absent (or N/A) is the
// zero address, anything else must be an address.
func fortiOptAddr(f *fortiFields, k fortiField, name string) (netip.Addr, error) {
	v := f.get(k)
	if v == nil {
		return netip.Addr{}, nil
	}
	a, ok := parseAddr(v)
	if !ok {
		return netip.Addr{}, fmt.Errorf("bad %s %q", name, quote(v))
	}
	return a, nil
}
