package event

import (
	"net/netip"
	"time"
)

// Kinds of VPN session fact.
const (
	// VPNStart: a session began (a client connected and authenticated).
	VPNStart = "start"
	// VPNAssign: the session got its address in the VPN pool.
	VPNAssign = "assign"
	// VPNEnd: the session ended (disconnect, timeout, tunnel down).
	VPNEnd = "end"
)

// VPNSession is one fact a VPN concentrator logged about a session: its
// start, the pool address assigned to it, or its end. Sessions are
// intervals made of these facts (identity joins them); a fact is kept as
// logged. Zero values mean "not in the record".
type VPNSession struct {
	ID         ID
	Time       time.Time  // when the fact was logged, UTC at second resolution
	Kind       string     // VPNStart, VPNAssign, VPNEnd
	User       string     // the authenticated user
	Group      string     // the tunnel or connection profile / group policy
	RemoteIP   netip.Addr // the client's public (ISP) address
	RemotePort uint16
	AssignedIP netip.Addr // the client's address inside the VPN (pool)
	SessionID  string     // the concentrator's id of the session, where it has one
	DeviceID   string     // the client device, where the log names it
	Hostname   string     // the client's host name, where the log names it
	BytesIn    uint64     // at the end: bytes from the client
	BytesOut   uint64     // at the end: bytes to the client
	DurationS  float64    // at the end: the session's length as logged
	Reason     string     // at the end: why it ended, as logged
	Sensor     string     // the concentrator that logged it
	Format     string     // the parser that produced it
	Raw        string     // the source record as received
}

// HTTP is one request a proxy or sensor saw (Squid access.log, Zeek
// http.log).
type HTTP struct {
	ID          ID
	Time        time.Time // when the request was made, UTC at second resolution
	DurationS   float64
	SrcIP       netip.Addr // the client
	SrcPort     uint16
	DstIP       netip.Addr // the server (Squid's HIER_DIRECT/ADDR, Zeek's id.resp_h)
	DstPort     uint16
	User        string // the authenticated user, where the proxy knows one
	Method      string // GET, POST, CONNECT, ...
	URL         string // as logged
	Host        string // the server's name (Host header, CONNECT target, URL host)
	Status      int    // the HTTP status (0: none)
	BytesOut    uint64 // request bytes (client to server), where logged
	BytesIn     uint64 // response bytes (server to client)
	ContentType string
	UserAgent   string
	Referrer    string
	Action      string // the proxy's verdict, e.g. Squid's TCP_MISS, TCP_DENIED
	FlowUID     string // the sensor's connection id (Zeek uid)
	Sensor      string
	Format      string
	Raw         string
}
