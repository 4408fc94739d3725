// Package scan verifies what an address exposes: a TCP connect scan and UDP
// probes, IPv4 and IPv6 on one code path, then service and version detection
// on the ports found open. Its results are Scans of Hosts of Ports, the shape
// stores keep, nmap XML imports into, and diffs compare.
package scan

import (
	"net/netip"
	"time"
)

// Port states, as nmap names them.
const (
	Open         = "open"          // something answered: a TCP handshake, a UDP reply
	Closed       = "closed"        // TCP refused (RST), or ICMP port unreachable for UDP
	Filtered     = "filtered"      // no answer to TCP, or an ICMP prohibition
	OpenFiltered = "open|filtered" // UDP silence: open and quiet, or dropped
)

// Protocols of a port.
const (
	TCP = "tcp"
	UDP = "udp"
)

// Sources of a scan.
const (
	SourceHomesoc = "homesoc" // our own scanner
	SourceNmap    = "nmap"    // imported from nmap -oX
)

// Scan is one run against one or more targets.
type Scan struct {
	ID       string    `json:"id"`     // assigned when stored
	Source   string    `json:"source"` // SourceHomesoc or SourceNmap
	Args     string    `json:"args"`   // what ran: our command line, or nmap's args attribute
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// TCPPorts and UDPPorts are the ports the scan tried on every host, as
	// compact lists (FormatPorts: "1-1024,8080,49152"), "" for none of the
	// protocol. Both "" means the scan did not record them (stored before
	// scans did, or an nmap file without <scaninfo services=...>); Coverage
	// reads them, and Diff uses them not to call an untried port closed.
	TCPPorts string `json:"tcp_ports"`
	UDPPorts string `json:"udp_ports"`
	Hosts    []Host `json:"hosts"`
}

// Host is the outcome for one target address.
type Host struct {
	Addr     netip.Addr `json:"addr"`
	Hostname string     `json:"hostname,omitempty"`
	// Status is "up" when anything answered (an open or closed port),
	// "down" otherwise.
	Status   string    `json:"status"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// SRTT is the smoothed round-trip time the scan measured (zero when
	// nothing answered).
	SRTT time.Duration `json:"-"`
	// Ports lists every port found open, open|filtered or filtered
	// explicitly; the closed and silent rest are counted in Closed and
	// Filtered (nmap's "extraports"), per protocol.
	Ports    []Port         `json:"ports"`
	Closed   map[string]int `json:"closed"`   // by protocol
	Filtered map[string]int `json:"filtered"` // by protocol: no answer (TCP) or open|filtered (UDP)
}

// Port is what one port of a host showed.
type Port struct {
	Port   uint16 `json:"port"`
	Proto  string `json:"proto"` // TCP or UDP
	State  string `json:"state"` // Open, Closed, Filtered, OpenFiltered
	Reason string `json:"reason"`
	// Service is the protocol found on the port ("ssh", "http", "https",
	// "upnp", ...), or, without a match, the port's usual service with
	// Guessed set.
	Service string `json:"service,omitempty"`
	Guessed bool   `json:"guessed,omitempty"`
	Product string `json:"product,omitempty"` // e.g. "OpenSSH", "lighttpd", "MiniUPnPd"
	Version string `json:"version,omitempty"` // e.g. "9.2p1"
	Info    string `json:"info,omitempty"`    // extra detail: "Debian 2+deb12u3", "protocol 2.0"
	OS      string `json:"os,omitempty"`      // an OS the service named
	// Evidence is what the service said that the identification rests on.
	Evidence Evidence `json:"evidence"`
	// RTT is the time the port's first answer took; ProbeTime the time its
	// service detection took.
	RTT       time.Duration `json:"-"`
	ProbeTime time.Duration `json:"-"`
}

// Evidence is what a service said about itself.
type Evidence struct {
	Banner string    `json:"banner,omitempty"` // the first bytes it sent, control characters escaped
	HTTP   *HTTPInfo `json:"http,omitempty"`
	TLS    *TLSInfo  `json:"tls,omitempty"`
	// Fields are other facts a probe read, e.g. "sysDescr", "ssdp_server",
	// "upnp_friendly_name", "redis_version".
	Fields map[string]string `json:"fields,omitempty"`
}

// HTTPInfo is what an HTTP(S) service answered to GET /.
type HTTPInfo struct {
	Status   int    `json:"status"`
	Server   string `json:"server,omitempty"`
	Title    string `json:"title,omitempty"`
	Location string `json:"location,omitempty"` // a redirect's target
	// Admin names a router or device admin page the answer matched, e.g.
	// "OpenWrt LuCI".
	Admin string `json:"admin,omitempty"`
}

// TLSInfo is what a TLS handshake showed.
type TLSInfo struct {
	Version   string    `json:"version"` // "TLS 1.3"
	ALPN      string    `json:"alpn,omitempty"`
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	DNSNames  []string  `json:"dns_names,omitempty"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SelfSign  bool      `json:"self_signed"`
}

// PortMapping is one port mapping a router's UPnP IGD holds: which inside
// client asked it to forward which outside port.
type PortMapping struct {
	IGD            string        `json:"igd"` // the control URL asked
	RemoteHost     string        `json:"remote_host,omitempty"`
	ExternalPort   uint16        `json:"external_port"`
	Proto          string        `json:"proto"` // TCP or UDP
	InternalClient string        `json:"internal_client"`
	InternalPort   uint16        `json:"internal_port"`
	Enabled        bool          `json:"enabled"`
	Description    string        `json:"description"`
	Lease          time.Duration `json:"-"` // 0: permanent
	Seen           time.Time     `json:"seen"`
}
