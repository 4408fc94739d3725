// Package event holds homesoc's normalised record types: the contract between
// parsers, the intel matcher, stores and rules. Every parser produces these,
// every store persists them, every rule queries their columns.
package event

import (
	"encoding/hex"
	"net/netip"
	"time"

	"github.com/zeebo/xxh3"
)

// Kinds of network event.
const (
	KindFlow     = "flow"
	KindFirewall = "firewall"
	KindEndpoint = "endpoint"
)

// Directions of a network event, seen from the network we watch.
const (
	DirInbound  = "inbound"
	DirOutbound = "outbound"
	DirInternal = "internal"
	DirExternal = "external"
	DirUnknown  = "unknown"
)

// ID is a record's deterministic identity: a 128-bit hash of what makes the
// record unique, so the same record ingested twice is stored once.
type ID [16]byte

// NewID hashes a format name and a record's identity bytes (the raw line for
// line formats, the producer's own id where it has one): XXH3-128 of the
// key, seeded with the hash of the format. It does not allocate.
func NewID(format string, key []byte) ID {
	return ID(xxh3.Hash128Seed(key, xxh3.HashString(format)).Bytes())
}

// IsZero reports whether the id was never set.
func (id ID) IsZero() bool { return id == ID{} }

// String renders the id in UUID form, which is how stores keep it.
func (id ID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], id[10:16])
	return string(b[:])
}

// Network is one connection-level record: a flow, a firewall log line or an
// EDR network event. Times are UTC at second resolution (DurationS keeps the
// exact duration); IP addresses are netip values and stored canonically.
// Zero values mean "not present in the source".
type Network struct {
	ID        ID
	Time      time.Time // start of the flow, or the time of the log line
	EndTime   time.Time // end of the flow; zero for single-packet records
	DurationS float64
	Kind      string // KindFlow, KindFirewall, KindEndpoint
	Action    string // allow, drop, reject, block, ... (lower case)
	Direction string // DirInbound, ...
	Protocol  string // the IANA keyword, lower case: tcp, udp, icmp, ipv6-icmp, esp, ...; a number without one stays the number
	SrcIP     netip.Addr
	SrcPort   uint16
	DstIP     netip.Addr
	DstPort   uint16
	// BytesOut and BytesIn count IP-level bytes (headers included, as
	// NetFlow's octets) from source to destination and back.
	BytesOut   uint64
	BytesIn    uint64
	PacketsOut uint64
	PacketsIn  uint64
	TTL        uint8
	TCPFlags   string // e.g. "SYN" or "SYN ACK", as the source spells them
	// ICMPType and ICMPCode are an ICMP or ICMPv6 message's type and code;
	// they mean something only when Protocol is icmp or ipv6-icmp (type 0 is
	// an echo reply), and the ports are then 0.
	ICMPType  uint8
	ICMPCode  uint8
	SrcMAC    string // the frame's source MAC, "aa:bb:cc:dd:ee:ff"
	DstMAC    string // the frame's destination MAC
	IPID      uint16 // the IPv4 identification (54321: masscan and zmap)
	TCPWindow uint16 // the TCP window of a logged segment
	PacketLen uint32 // the logged packet's IP length (netfilter LEN=)
	RuleName  string // the firewall rule that logged the record, e.g. "WAN_IN-10"
	FlowUID   string // the sensor's id of the connection (Zeek uid), to pivot to its other logs
	Service   string // the application protocol the sensor recognised (Zeek service), e.g. "dns" or "ssl,http"
	InIface   string
	OutIface  string
	NATIP     netip.Addr // translated / agent public address
	DeviceID  string
	Hostname  string
	UserName  string
	Sensor    string // the host or tool that reported the record
	Format    string // the parser that produced it
	Status    string // the source's own state, e.g. a flow's status or Zeek conn_state
	Raw       string // the source record as received
}

// Reject is an input record that could not be parsed. It is kept with its
// reason in the dead-letter table; it never stops a run. A record may hold
// any bytes, so Raw is always valid UTF-8 and RawEncoding says how it holds
// the record (see reject.go): make one with NewReject, and stores keep
// r.Stored().
type Reject struct {
	Time   time.Time `json:"time"`   // when it was rejected
	Source string    `json:"source"` // file name, "-" for stdin, or a listener address
	Line   int64     `json:"line"`   // 1-based line number within Source
	Format string    `json:"format"`
	Reason string    `json:"reason"`
	Raw    string    `json:"raw"`
	// RawEncoding is RawText (Raw is the record as received) or RawEscaped
	// (the record was not valid UTF-8; RawBytes gives back its bytes).
	RawEncoding string `json:"raw_encoding"`
}

// Sighting is a network event that touched an indicator.
type Sighting struct {
	EventID     ID
	IndicatorID string
	Time        time.Time  // the event's time
	MatchedIP   netip.Addr // the event's address that matched
	PeerIP      netip.Addr // the other side of the event: ours
	PeerPort    uint16     // the port on the peer's side
	Port        uint16     // the port on the indicator's side
	Protocol    string
	Action      string // the event's action: a dropped inbound probe is no contact
	// PeerIsSource says our side initiated: the indicator is the event's
	// destination.
	PeerIsSource bool
	Source       string // "ingest" or "retro-hunt"
}

// SecondsUTC normalises t to UTC at second resolution, the precision every
// store keeps.
func SecondsUTC(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Second)
}
