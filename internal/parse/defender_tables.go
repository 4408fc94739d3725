package parse

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// defenderActions maps the ActionTypes of DeviceNetworkEvents that are
// connections to a direction and homesoc's action. Defender documents them
// in the portal's schema reference:
//
//	ConnectionSuccess, ConnectionAcknowledged, ConnectionFound -> allow (the
//	    connection was made, its SYN answered, or found established)
//	ConnectionAttempt, ConnectionRequest -> attempt (a SYN was seen, no
//	    outcome: as Zeek's S0)
//	ConnectionFailed -> reject (it did not get through: as Zeek's REJ)
//	InboundConnectionAccepted, InboundConnectionAcknowledged -> inbound
//	    allow (the device took the connection or answered its SYN: the
//	    port is open)
//	InboundConnectionAttempt -> inbound attempt
//
// ListeningConnectionCreated is a listen state; the other ActionTypes
// (DnsConnectionInspected, HttpConnectionInspected, NetworkSignatureInspected,
// ...) describe traffic, not a connection's outcome, and are skipped.
var defenderActions = map[string]struct{ dir, action string }{
	"ConnectionSuccess":             {event.DirOutbound, "allow"},
	"ConnectionAcknowledged":        {event.DirOutbound, "allow"},
	"ConnectionFound":               {event.DirOutbound, "allow"},
	"ConnectionAttempt":             {event.DirOutbound, "attempt"},
	"ConnectionRequest":             {event.DirOutbound, "attempt"},
	"ConnectionFailed":              {event.DirOutbound, "reject"},
	"InboundConnectionAccepted":     {event.DirInbound, "allow"},
	"InboundConnectionAcknowledged": {event.DirInbound, "allow"},
	"InboundConnectionAttempt":      {event.DirInbound, "attempt"},
}

// defenderListen is the ActionType of a port the device started listening on.
const defenderListen = "ListeningConnectionCreated"

// networkEvent maps a DeviceNetworkEvents row.
func (p *defenderMapper) networkEvent(r *defenderRow, t time.Time, line []byte, ev *event.Network) error {
	act := string(r.ActionType)
	if act == defenderListen {
		return p.listen(r, t, line)
	}
	da, ok := defenderActions[act]
	if !ok {
		return fmt.Errorf("defender %s action %q is not a connection: %w", tableNetworkEvents, quote([]byte(act)), ErrSkip)
	}
	local, err := r.local()
	if err != nil {
		return err
	}
	remote, err := edrEnd(edrField{r.RemoteIP, "RemoteIP"}, edrField{r.RemotePort, "RemotePort"})
	if err != nil {
		return err
	}
	dir := da.dir
	if dir == event.DirOutbound && inboundByNetworkInspection(r.AdditionalFields) {
		dir = event.DirInbound
	}
	setEnds(ev, dir, local, remote)
	if r.ReportID != "" {
		// DeviceId, ReportId and Timestamp identify a record (Defender's own
		// advice for joining tables); seconds, as the portal's CSV keeps them.
		var k []byte
		k = append(k, r.DeviceID...)
		k = append(k, 0)
		k = append(k, r.ReportID...)
		k = binary.BigEndian.AppendUint64(k, uint64(t.Unix()))
		ev.ID = event.NewID(defenderIDs, k)
	} else {
		ev.ID = event.NewID(p.format, line)
	}
	ev.Time = t
	ev.Kind = event.KindEndpoint
	ev.Action = da.action
	ev.Direction = dir
	ev.Protocol = defenderProtocol(string(r.Protocol))
	ev.DeviceID = string(r.DeviceID)
	ev.Hostname = string(r.DeviceName)
	ev.UserName = string(r.AccountName)
	ev.Sensor = defenderSensor
	ev.Format = p.format
	return nil
}

// inboundByNetworkInspection reports whether AdditionalFields says the
// connection came in: Defender's network inspection records SYNs it saw as
// ConnectionAttempt and adds {"direction":"In"} for those that arrived.
func inboundByNetworkInspection(fields jsonText) bool {
	if !strings.Contains(string(fields), "direction") {
		return false
	}
	var af struct {
		Direction jsonText `json:"direction"`
	}
	if json.Unmarshal([]byte(fields), &af) != nil {
		return false
	}
	return strings.EqualFold(string(af.Direction), "In") || strings.EqualFold(string(af.Direction), "Inbound")
}

// defenderProtocol maps Defender's Protocol column (TcpV4, TcpV6, Tcp, Udp,
// UdpV6, Icmp, IcmpV6, ...) to the IANA keyword.
func defenderProtocol(s string) string {
	l := strings.ToLower(s)
	switch {
	case l == "":
		return ""
	case strings.HasPrefix(l, "tcp"):
		return "tcp"
	case strings.HasPrefix(l, "udp"):
		return "udp"
	case l == "icmpv6" || l == "icmp6":
		return "ipv6-icmp"
	case strings.HasPrefix(l, "icmp"):
		return "icmp"
	}
	return protocolOf([]byte(s))
}

// listen makes the listen state of a ListeningConnectionCreated row.
func (p *defenderMapper) listen(r *defenderRow, t time.Time, line []byte) error {
	local, err := r.local()
	if err != nil {
		return err
	}
	s := p.state(r, t, string(line))
	s.Kind = event.StateListen
	s.Address, s.Port = local.Addr(), local.Port()
	s.Protocol = defenderProtocol(string(r.Protocol))
	s.UserName = string(r.AccountName)
	p.add(defenderIDs, s)
	return ErrExtraOnly
}

// networkInfo makes an interface state per address of a DeviceNetworkInfo
// row, or a device state (with the adapter's MAC) when it lists none. An
// entry that is not an address (the samples hold anonymised ones such as
// "1.1.1.1.5") is left out rather than costing the row its other addresses.
func (p *defenderMapper) networkInfo(r *defenderRow, t time.Time, line []byte) error {
	var list []struct {
		IPAddress jsonText `json:"IPAddress"`
	}
	if v := strings.TrimSpace(string(r.IPAddresses)); v != "" {
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			return fmt.Errorf("bad IPAddresses %q: %v", quote([]byte(v)), err)
		}
	}
	var addrs []netip.Addr
	for _, e := range list {
		if a, ok := edrAddr(e.IPAddress); ok {
			addrs = append(addrs, a)
		}
	}
	s := p.state(r, t, string(line))
	s.MAC = edrMAC(r.MacAddress)
	s.Interface = firstOf(r.AdapterName, r.AdapterDescription, r.AdapterType)
	p.addInterfaces(defenderIDs, s, addrs)
	return ErrExtraOnly
}

// deviceInfo makes the public_ip state of a DeviceInfo row, or a device
// state when it has no PublicIP.
func (p *defenderMapper) deviceInfo(r *defenderRow, t time.Time, line []byte) error {
	public, err := optAddr(r.PublicIP, "PublicIP")
	if err != nil {
		return err
	}
	s := p.state(r, t, string(line))
	s.Platform = string(r.OSPlatform)
	s.OS = defenderOS(r)
	s.UserName = firstLoggedOn(r.LoggedOnUsers)
	s.Kind = event.StateDevice
	if public.IsValid() {
		s.Kind, s.Address = event.StatePublicIP, public
	}
	p.add(defenderIDs, s)
	return ErrExtraOnly
}

// defenderOS joins OSPlatform, OSVersion and OSBuild: "Windows11 10.0
// build 22631".
func defenderOS(r *defenderRow) string {
	os := strings.TrimSpace(string(r.OSPlatform) + " " + string(r.OSVersion))
	if r.OSBuild != "" {
		os = strings.TrimSpace(os + " build " + string(r.OSBuild))
	}
	return os
}

// firstLoggedOn is the first UserName of LoggedOnUsers, or "".
func firstLoggedOn(v jsonText) string {
	var users []struct {
		UserName jsonText `json:"UserName"`
	}
	if json.Unmarshal([]byte(v), &users) != nil || len(users) == 0 {
		return ""
	}
	return string(users[0].UserName)
}

// firstOf returns the first non-empty value.
func firstOf(vs ...jsonText) string {
	for _, v := range vs {
		if v != "" {
			return string(v)
		}
	}
	return ""
}

// local is the row's local end.
func (r *defenderRow) local() (netip.AddrPort, error) {
	return edrEnd(edrField{r.LocalIP, "LocalIP"}, edrField{r.LocalPort, "LocalPort"})
}

// state is an endpoint state with the row's device columns filled in.
func (p *defenderMapper) state(r *defenderRow, t time.Time, raw string) event.EndpointState {
	return event.EndpointState{
		Time:     t,
		DeviceID: string(r.DeviceID),
		Hostname: string(r.DeviceName),
		Sensor:   defenderSensor,
		Format:   p.format,
		Raw:      raw,
	}
}
