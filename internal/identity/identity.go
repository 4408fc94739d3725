// Package identity answers who and which device stood behind an address at
// a time: from the sessions of VPN concentrators (built here from the facts
// they log), the device ids of EDRs and the asset inventory. It never joins
// two machines because they shared a private address at the same time: an
// address of a VPN pool resolves through the VPN session of that moment, a
// private address an EDR reported resolves only through that EDR's device
// id, and an answer with more than one candidate at one moment is
// "ambiguous", with every candidate and its evidence, never a guess.
//
// The package holds the types and the logic; the store keeps the intervals
// and answers the interval queries (Source).
package identity

import (
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/geoip"
)

// How a session's interval ended (Interval.EndKind).
const (
	EndLogged     = "logged"     // the concentrator logged its end
	EndReassigned = "reassigned" // no end was logged; its address was assigned to another session then
	EndMax        = "max"        // no end was logged; assumed to last at most the maximum session length
)

// Interval is one VPN session as an interval of time, built from the facts
// of vpn_sessions (start, assign, end) and stored in vpn_intervals. End is
// always set: for a session with no logged end it is the earlier of the
// next assignment of its address and Start plus the maximum session length
// (EndKind says which).
type Interval struct {
	ID         event.ID
	Start, End time.Time
	EndKind    string
	User       string
	Group      string
	RemoteIP   netip.Addr // the client's public address
	RemotePort uint16
	Remote     geoip.Info // where RemoteIP is, when a GeoIP database is configured
	AssignedIP netip.Addr // the pool address: who is behind it while the session lasts
	SessionID  string
	DeviceID   string
	Hostname   string
	BytesIn    uint64
	BytesOut   uint64
	Reason     string
	Sensor     string
	Format     string
	Facts      []event.ID // the vpn_sessions rows it was built from: the evidence
}

// Query asks who stood behind Addr over [From, To] (From == To for one
// moment). DeviceID, when the evidence names one (an EDR's event), is the
// device the answer must go through for a private address.
type Query struct {
	Addr     netip.Addr
	DeviceID string
	From, To time.Time
}

// Answer statuses.
const (
	Resolved  = "resolved"  // one user and/or device over the whole span
	Several   = "several"   // different ones one after another (one pool address, two sessions): each listed with its interval
	Ambiguous = "ambiguous" // more than one at the same moment: every candidate listed, none chosen
	Unknown   = "unknown"   // no evidence
)

// Answer is what attribution found for one Query.
type Answer struct {
	Addr       netip.Addr  `json:"address"`
	From       time.Time   `json:"from"`
	To         time.Time   `json:"to"`
	Status     string      `json:"status"`
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one user and/or device behind an address, with the evidence
// that says so.
type Candidate struct {
	Source   string    `json:"source"` // "vpn" or "edr"
	User     string    `json:"user,omitempty"`
	DeviceID string    `json:"device_id,omitempty"`
	Hostname string    `json:"hostname,omitempty"`
	Owner    string    `json:"owner,omitempty"` // from the asset inventory
	From     time.Time `json:"from"`            // the evidence's interval
	To       time.Time `json:"to"`
	Evidence string    `json:"evidence"` // one line a person reads: which session or device record
	// Source-specific detail: a VPN session's group, public address,
	// concentrator, session id and how it ended; the ids of the records.
	Group     string   `json:"group,omitempty"`
	RemoteIP  string   `json:"remote_ip,omitempty"`
	Sensor    string   `json:"sensor,omitempty"`
	SessionID string   `json:"session_id,omitempty"`
	EndKind   string   `json:"end_kind,omitempty"`
	Records   []string `json:"records,omitempty"` // ids of the rows (vpn_sessions, endpoint_states, network_events)
	// A VPN candidate's whole session (From and To are it clipped to the
	// query's span) and the id of its vpn_intervals row.
	Interval   *Span  `json:"interval,omitempty"`
	IntervalID string `json:"interval_id,omitempty"`
}

// Span is an interval of time.
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// DeviceRecord is an EDR's record that a device held an address at a time:
// an endpoint_states row of kind interface, or the local side of a
// network_events row of kind endpoint. Attribution of a private address
// reads these.
type DeviceRecord struct {
	Table    string // endpoint_states or network_events
	ID       string // the row's id (event_id of network_events)
	Time     time.Time
	DeviceID string
	Hostname string
	Addr     netip.Addr
	Sensor   string
	Format   string
}
