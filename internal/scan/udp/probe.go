package udp

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/scan"
)

// Probe is one UDP protocol: the datagrams that make its service answer
// and how to read the answer. A new protocol is one file and one entry in
// probes.
type Probe struct {
	// Name is the service the probe identifies ("dns", "upnp", ...).
	Name string
	// Ports are the ports the probe is used for.
	Ports []uint16
	// Silent marks services that ignore unauthenticated datagrams by
	// design (WireGuard): their silence is explained in Port.Info.
	Silent bool
	// Requests returns the datagrams of one attempt, sent in order (e.g.
	// SNMP v2c then v1); the first reply to any of them counts.
	Requests func(x *Exchange) [][]byte
	// Identify reads the first reply, may exchange more datagrams through
	// x, and fills the port's service, product, version and evidence. It
	// returns false when the reply is not this protocol (the port is open
	// all the same; its service is then only guessed).
	Identify func(ctx context.Context, x *Exchange, reply []byte, p *scan.Port) bool
}

// Exchange is the conversation with one UDP port: a connected socket,
// the timeout for each answer, and the scan's send limit.
type Exchange struct {
	Addr    netip.Addr
	Port    uint16
	Timeout time.Duration
	// HTTP is for follow-ups over HTTP to the same address (SSDP
	// descriptions).
	HTTP *http.Client
	// Sent are the datagrams of every attempt so far: a reply may answer
	// an earlier one.
	Sent [][]byte

	conn net.Conn
	wait func(context.Context) error
}

// Ask sends req and returns the first datagram within the timeout that
// match accepts (nil accepts any); stale answers to earlier datagrams are
// skipped that way.
func (x *Exchange) Ask(ctx context.Context, req []byte, match func([]byte) bool) ([]byte, error) {
	if err := x.wait(ctx); err != nil {
		return nil, err
	}
	if _, err := x.conn.Write(req); err != nil {
		return nil, fmt.Errorf("udp %s: %w", netip.AddrPortFrom(x.Addr, x.Port), err)
	}
	deadline := time.Now().Add(x.Timeout)
	_ = x.conn.SetReadDeadline(deadline)
	buf := make([]byte, 65535)
	for {
		n, err := x.conn.Read(buf)
		if err != nil {
			return nil, fmt.Errorf("udp %s: %w", netip.AddrPortFrom(x.Addr, x.Port), err)
		}
		if match == nil || match(buf[:n]) {
			return append([]byte(nil), buf[:n]...), nil
		}
	}
}

// answers reports whether match accepts any datagram sent (the reply's
// transaction id or echoed nonce is ours). With nothing recorded (a
// probe's parser called on its own) it accepts.
func (x *Exchange) answers(match func(req []byte) bool) bool {
	if len(x.Sent) == 0 {
		return true
	}
	for _, req := range x.Sent {
		if match(req) {
			return true
		}
	}
	return false
}

// probes is the registry, keyed by port in probeFor.
var probes = []*Probe{
	ssdpProbe, mdnsProbe, dnsProbe, ntpProbe, snmpProbe, netbiosProbe,
	ikeProbe, ikeNATTProbe, openvpnProbe, natpmpProbe, wireguardProbe,
}

// byPort maps a port to its probe; built once, read only after.
var byPort = func() map[uint16]*Probe {
	m := map[uint16]*Probe{}
	names := map[string]bool{}
	for _, p := range probes {
		if names[p.Name] {
			panic("udp: probe " + p.Name + " registered twice")
		}
		names[p.Name] = true
		for _, port := range p.Ports {
			if m[port] != nil {
				panic(fmt.Sprintf("udp: port %d has two probes: %s and %s", port, m[port].Name, p.Name))
			}
			m[port] = p
		}
	}
	return m
}()

// genericProbe sends an empty datagram: enough to tell closed (ICMP) from
// open (any reply) from silent.
var genericProbe = &Probe{
	Name:     "",
	Requests: func(*Exchange) [][]byte { return [][]byte{{}} },
}

// probeFor is the probe port gets: an assigned one, its usual one, or the
// empty datagram.
func (s Scanner) probeFor(port uint16) *Probe {
	if name, ok := s.Probes[port]; ok {
		for _, p := range probes {
			if p.Name == name {
				return p
			}
		}
	}
	if p := byPort[port]; p != nil {
		return p
	}
	return genericProbe
}
