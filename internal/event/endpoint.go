package event

import (
	"net/netip"
	"time"
)

// Kinds of endpoint state: each row is one fact an EDR reported about a
// device at a time.
const (
	// StateInterface: an address held by one of the device's interfaces.
	StateInterface = "interface"
	// StatePublicIP: the address the EDR's cloud saw the device come from
	// (CrowdStrike's aip, Defender's PublicIP): its router's global address
	// when the device is behind NAT.
	StatePublicIP = "public_ip"
	// StateListen: a port the device listens on (Address is the bound
	// address, unspecified for all).
	StateListen = "listen"
	// StateDevice: the device's metadata alone (OS, host name), when a
	// record names no address.
	StateDevice = "device"
)

// EndpointState is one fact an EDR reported about a device: what it says
// about itself, not a connection. Zero values mean "not in the record".
type EndpointState struct {
	ID        ID
	Time      time.Time // when the EDR observed it, UTC at second resolution
	DeviceID  string    // the EDR's host id (CrowdStrike aid, Defender DeviceId)
	Hostname  string
	Kind      string // StateInterface, StatePublicIP, StateListen, StateDevice
	Address   netip.Addr
	Port      uint16 // StateListen
	Protocol  string // StateListen: tcp, udp
	MAC       string // "aa:bb:cc:dd:ee:ff", of the interface
	Interface string // the interface's name or description
	OS        string // e.g. "Windows 10", "macOS 14.4"
	Platform  string // the EDR's platform name: "Win", "Mac", "Lin", "Windows11"
	UserName  string // the user the record names, if any
	Sensor    string // the EDR that reported it
	Format    string // the parser that produced it
	Raw       string // the source record as received
}

// Extra holds the records a line carries for tables other than
// network_events. A parser whose lines carry them fills one (see
// parse.ExtraParser); the pipeline stores them beside the events.
type Extra struct {
	Endpoints   []EndpointState
	VPNSessions []VPNSession
	HTTP        []HTTP
}

// Len is how many records e holds.
func (e *Extra) Len() int { return len(e.Endpoints) + len(e.VPNSessions) + len(e.HTTP) }

// Reset empties e, keeping its memory.
func (e *Extra) Reset() {
	e.Endpoints, e.VPNSessions, e.HTTP = e.Endpoints[:0], e.VPNSessions[:0], e.HTTP[:0]
}
