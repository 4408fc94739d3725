package store

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/ipscope"
)

// EndpointColumns are the columns of endpoint_states, in table order: what
// both engines write and the conformance tests read back.
const EndpointColumns = `id, time, device_id, hostname, kind, address, address_scope, port, protocol,
	mac, interface, os, platform, user_name, sensor, format, raw`

// EndpointRow is an endpoint state as both engines store it: the values of
// EndpointColumns after id and time, in that order, with the address as
// canonical text and its scope as ipscope.Text gives it.
func EndpointRow(st *event.EndpointState) []any {
	return []any{st.DeviceID, st.Hostname, st.Kind, AddrText(st.Address), ipscope.Text(st.Address),
		int32(st.Port), st.Protocol, st.MAC, st.Interface, st.OS, st.Platform, st.UserName,
		st.Sensor, st.Format, st.Raw}
}

// DistinctStates returns the indexes of the states of sts whose ID no
// earlier state in sts has, in order, and the earliest and latest Time of
// sts, as event.Distinct does for network events. EDR state batches are
// small, so a map does.
func DistinctStates(sts []event.EndpointState) (rows []int32, lo, hi time.Time) {
	if len(sts) == 0 {
		return nil, time.Time{}, time.Time{}
	}
	seen := make(map[event.ID]struct{}, len(sts))
	lo, hi = sts[0].Time, sts[0].Time
	for i := range sts {
		if _, dup := seen[sts[i].ID]; !dup {
			seen[sts[i].ID] = struct{}{}
			rows = append(rows, int32(i))
		}
		lo, hi = MinTime(lo, sts[i].Time), MaxTime(hi, sts[i].Time)
	}
	return rows, lo, hi
}

// EndpointSpans returns the ingest spans of the endpoint states sts[rows].
func EndpointSpans(sts []event.EndpointState, rows []int32) []IngestSpan {
	var sb SpanBuilder
	for _, i := range rows {
		sb.Add(sts[i].Time)
	}
	return sb.Spans("endpoint_states")
}

// ScopeNote says what a *_scope column holds; the column comments of both
// engines end with it.
const ScopeNote = newScopeNote + ", and for rows stored before the column existed"

// newScopeNote is ScopeNote for the tables made with their scope columns.
const newScopeNote = "the scope of the address as ipscope classifies it at ingest: global, private, cgnat, loopback, link-local, ula, multicast, documentation, unspecified or reserved; empty when there is no address"

// SrcScopeComment and DstScopeComment are the comments of network_events'
// scope columns.
const (
	SrcScopeComment = "src_ip: " + ScopeNote
	DstScopeComment = "dst_ip: " + ScopeNote
)

// EndpointComments are the comments of endpoint_states' columns, in table
// order, for both engines' schemas (and docs/schema.md).
var EndpointComments = [][2]string{
	{"id", "hash of the source record and the fact taken from it: the same export ingested twice stores each fact once"},
	{"time", "when the EDR observed the fact (UTC, seconds)"},
	{"device_id", "the EDR's host id (CrowdStrike aid, Defender DeviceId): the key that ties a device's states and network events together"},
	{"hostname", "the device's host name as the EDR reports it"},
	{"kind", "what the row says: interface (an address an interface holds), public_ip (the address the EDR cloud saw the device come from: its router's global address behind NAT), listen (a port the device listens on) or device (metadata only)"},
	{"address", "the address of the fact, canonical text: the interface's, the public one, or the bound one of a listen (:: or 0.0.0.0 for all)"},
	{"address_scope", "address: " + ScopeNote},
	{"port", "listen: the port listened on; 0 otherwise"},
	{"protocol", "listen: tcp or udp; empty otherwise"},
	{"mac", "the interface's MAC address, aa:bb:cc:dd:ee:ff, empty if not reported"},
	{"interface", "the interface's name or description"},
	{"os", "the operating system and version the EDR reports, e.g. Windows 10 or macOS 14.4"},
	{"platform", "the EDR's platform name (CrowdStrike event_platform Win/Mac/Lin, Defender OSPlatform)"},
	{"user_name", "the user the record names, if any"},
	{"sensor", "the EDR that reported it (crowdstrike, defender)"},
	{"format", "the parser that produced the row"},
	{"raw", "the source record as received"},
}

// ScopeCache remembers the scopes of recent addresses, so that a writer
// classifies each address of a batch once rather than once per event: logs
// repeat their addresses (the router's, a scanner's), and ipscope.Text tries
// its ranges one by one (about 130 ns an address). It is exact: an entry
// holds the address itself and the scope ipscope gave it. The zero value is
// ready to use; it is not safe for concurrent use (one per writer thread).
type ScopeCache struct {
	slots [scopeSlots]scopeSlot
}

const scopeSlots = 1024 // a power of two

type scopeSlot struct {
	addr  netip.Addr
	scope string
}

// Text returns ipscope.Text(a).
func (c *ScopeCache) Text(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	b := a.As16()
	h := (binary.LittleEndian.Uint64(b[:8])*0x9E3779B97F4A7C15 ^ binary.LittleEndian.Uint64(b[8:])) * 0xBF58476D1CE4E5B9
	s := &c.slots[h>>(64-10)]
	if s.scope != "" && s.addr == a {
		return s.scope
	}
	s.addr, s.scope = a, ipscope.Text(a)
	return s.scope
}
