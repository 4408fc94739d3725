package parse

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// FDR delivers, beside the sensor events, records about hosts that carry no
// event_simpleName:
//
//   - aidmaster: one per sensor, refreshed daily: aid, ComputerName, aip
//     (the address the cloud saw the sensor come from: its router's global
//     address when the host is behind NAT), Version (the OS),
//     event_platform, AgentVersion, AgentLocalTime and Time (epoch seconds);
//     some exports add LocalAddressIP4 and MAC.
//   - managedassets: one per interface of a sensor's host: aid,
//     LocalAddressIP4, MAC, InterfaceAlias, InterfaceDescription, GatewayIP,
//     _time (epoch seconds).
//   - notmanaged: devices without a sensor that a sensor saw on its network
//     (discoverer_aid, NeighborName): not ours to describe.
//
// Address fields may hold several addresses separated by spaces.

// host makes the endpoint states of a record without event_simpleName.
func (p *crowdStrikeParser) host(r *fdrRecord, line []byte) error {
	switch {
	case r.EventType != "":
		return fmt.Errorf("crowdstrike %q record is not a network connection or host record: %w",
			quote([]byte(r.EventType)), ErrSkip)
	case r.AID == "" && r.DiscovererAID != nil:
		return fmt.Errorf("crowdstrike notmanaged record (a device without a sensor): %w", ErrSkip)
	case r.AID == "":
		return errors.New("not a crowdstrike-fdr record: no event_simpleName and no aid")
	case r.AgentVersion != "" || r.AgentLocalTime != "" || r.Version != "" || r.Time != "":
		return p.aidmaster(r, line)
	case r.UnderTime != "":
		return p.managedAsset(r, line)
	}
	return errors.New("crowdstrike record without event_simpleName is neither aidmaster nor managedassets: no Time, AgentLocalTime or _time")
}

// aidmaster makes a public_ip state per aip address and an interface state
// per LocalAddressIP4 address, or one device state when it has neither.
func (p *crowdStrikeParser) aidmaster(r *fdrRecord, line []byte) error {
	var t time.Time
	var err error
	switch {
	case r.Time != "":
		t, err = epochTime(r.Time, "Time")
	case r.AgentLocalTime != "":
		t, err = epochTime(r.AgentLocalTime, "AgentLocalTime")
	default:
		err = errors.New("missing Time")
	}
	if err != nil {
		return err
	}
	publics, err := addrList(r.AIP, "aip")
	if err != nil {
		return err
	}
	return p.hostStates(r, t, line, publics, "")
}

// managedAsset makes an interface state per address of one interface, or a
// device state with its MAC when it has none.
func (p *crowdStrikeParser) managedAsset(r *fdrRecord, line []byte) error {
	t, err := epochTime(r.UnderTime, "_time")
	if err != nil {
		return err
	}
	return p.hostStates(r, t, line, nil, firstOf(r.InterfaceAlias, r.InterfaceDescription))
}

// hostStates makes the states of a host record: a public_ip state per
// address of publics, an interface state per LocalAddressIP4 address, on
// the interface iface and with the record's MAC, and one device state
// (still naming the MAC) when there are neither.
func (p *crowdStrikeParser) hostStates(r *fdrRecord, t time.Time, line []byte, publics []netip.Addr, iface string) error {
	locals, err := addrList(r.LocalAddressIP4, "LocalAddressIP4")
	if err != nil {
		return err
	}
	s := r.state(t, string(line))
	s.Kind = event.StatePublicIP
	for _, a := range publics {
		s.Address = a
		p.add(crowdStrikeName, s)
	}
	s.MAC = edrMAC(r.MAC)
	s.Interface = iface
	p.addInterfaces(crowdStrikeName, s, locals)
	return ErrExtraOnly
}

// addrList parses a field of space-separated addresses; "" is none.
func addrList(v jsonText, name string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, f := range strings.Fields(string(v)) {
		a, ok := edrAddr(jsonText(f))
		if !ok {
			return nil, fmt.Errorf("bad %s %q", name, quote([]byte(v)))
		}
		out = append(out, a)
	}
	return out, nil
}
