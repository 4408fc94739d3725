package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/ipscope"
)

// VPNIntervalColumns are the columns of vpn_intervals, in table order: what
// both engines write and read back. Scenario rules read these names.
const VPNIntervalColumns = `id, start_time, end_time, end_kind, user_name, group_name, remote_ip, remote_scope,
	remote_port, remote_country, remote_asn, remote_as_org, remote_lat, remote_lon, remote_located,
	assigned_ip, assigned_scope, session_id, device_id, hostname, bytes_in, bytes_out, reason, sensor,
	format, facts, built_at`

// VPNIntervalComments are the comments of vpn_intervals' columns, in table
// order, for both engines' schemas (and docs/schema.md).
var VPNIntervalComments = []ColumnComment{
	{"vpn_intervals", "id", "hash of the concentrator, the session's key, its assigned address and start: a rebuild that yields the same session keeps its id"},
	{"vpn_intervals", "start_time", "when the session started (its start or assign fact; an end fact's time less its logged duration when the start was not logged; a status snapshot's Connected Since), UTC"},
	{"vpn_intervals", "end_time", "when the session ended, always set: see end_kind"},
	{"vpn_intervals", "end_kind", "logged (the concentrator logged the end), reassigned (no end logged: its address went to another session then) or max (no end logged: start plus the maximum session length)"},
	{"vpn_intervals", "user_name", "the authenticated user"},
	{"vpn_intervals", "group_name", "the tunnel group, connection profile or group policy"},
	{"vpn_intervals", "remote_ip", "the client's public (ISP) address, canonical text; empty if no fact carried it"},
	{"vpn_intervals", "remote_scope", "remote_ip: " + newScopeNote},
	{"vpn_intervals", "remote_port", "the client's source port; 0 if not logged"},
	{"vpn_intervals", "remote_country", "remote_ip's ISO country code from the configured GeoIP database; empty without one or when the address is not in it"},
	{"vpn_intervals", "remote_asn", "remote_ip's autonomous system number from the GeoIP database; 0 if unknown"},
	{"vpn_intervals", "remote_as_org", "the organisation of remote_asn; empty if unknown"},
	{"vpn_intervals", "remote_lat", "remote_ip's latitude from the GeoIP database; meaningful only when remote_located is 1"},
	{"vpn_intervals", "remote_lon", "remote_ip's longitude from the GeoIP database; meaningful only when remote_located is 1"},
	{"vpn_intervals", "remote_located", "1 when the GeoIP database gave remote_ip a location (remote_lat, remote_lon), else 0"},
	{"vpn_intervals", "assigned_ip", "the client's address in the VPN pool, canonical text: who is behind it while the session lasts"},
	{"vpn_intervals", "assigned_scope", "assigned_ip: " + newScopeNote},
	{"vpn_intervals", "session_id", "the concentrator's id of the session; empty if it has none"},
	{"vpn_intervals", "device_id", "the client device, where a fact names it"},
	{"vpn_intervals", "hostname", "the client's host name, where a fact names it"},
	{"vpn_intervals", "bytes_in", "bytes received from the client over the session, from its end fact; 0 otherwise"},
	{"vpn_intervals", "bytes_out", "bytes sent to the client over the session, from its end fact; 0 otherwise"},
	{"vpn_intervals", "reason", "why the session ended, as logged"},
	{"vpn_intervals", "sensor", "the concentrator that logged the session"},
	{"vpn_intervals", "format", "the parser of the session's facts"},
	{"vpn_intervals", "facts", "the ids of the vpn_sessions rows the interval was built from, comma-separated: the evidence"},
	{"vpn_intervals", "built_at", "when the interval was last built from its facts"},
}

// IntervalStore keeps VPN sessions as intervals (vpn_intervals) and answers
// attribution's lookups, each in one query.
type IntervalStore interface {
	// ReplaceVPNIntervals makes the stored intervals that start within
	// [from, to] exactly ivs (which must all start there): it writes those
	// new or changed, removes those ivs no longer holds, and records the
	// ingest spans (start to end) of each it wrote or removed under table
	// vpn_intervals, so rules over it evaluate them. ivs' own BuiltAt is
	// the time of the write.
	ReplaceVPNIntervals(ctx context.Context, from, to time.Time, ivs []identity.Interval) (IntervalCounts, error)
	// VPNFacts returns the vpn_sessions rows with time in [from, to].
	VPNFacts(ctx context.Context, from, to time.Time) ([]event.VPNSession, error)
	// VPNIntervals returns, in one query, by start, the intervals whose
	// assigned address is one of the spans' and which overlap [From, To]:
	// at least those of each span's address over its span (an engine may
	// return more, of the same addresses, over the spans' whole range).
	VPNIntervals(ctx context.Context, spans []identity.Query) ([]identity.Interval, error)
	// DeviceRecords returns, in one query, the records of EDRs that a
	// device (with a device id) held one of addrs within [from, to]:
	// endpoint_states rows of kind interface and network_events rows of
	// kind endpoint by their local address (dst_ip of an inbound one,
	// src_ip of the others).
	DeviceRecords(ctx context.Context, addrs []netip.Addr, from, to time.Time) ([]identity.DeviceRecord, error)
}

// IntervalCounts says what ReplaceVPNIntervals did.
type IntervalCounts struct {
	Written   int `json:"written"`   // new or changed
	Removed   int `json:"removed"`   // no longer built from the facts
	Unchanged int `json:"unchanged"` // the same as stored
}

// IntervalRow is an interval as both engines store it: the values of
// VPNIntervalColumns after id, in that order.
func IntervalRow(iv *identity.Interval, builtAt time.Time) []any {
	located := uint8(0)
	if iv.Remote.Located {
		located = 1
	}
	facts := make([]string, len(iv.Facts))
	for i, f := range iv.Facts {
		facts[i] = f.String()
	}
	return []any{event.SecondsUTC(iv.Start), event.SecondsUTC(iv.End), iv.EndKind, iv.User, iv.Group,
		AddrText(iv.RemoteIP), ipscope.Text(iv.RemoteIP), int32(iv.RemotePort), iv.Remote.Country, int64(iv.Remote.ASN),
		iv.Remote.ASOrg, iv.Remote.Lat, iv.Remote.Lon, located, AddrText(iv.AssignedIP), ipscope.Text(iv.AssignedIP),
		iv.SessionID, iv.DeviceID, iv.Hostname, clampInt64(iv.BytesIn), clampInt64(iv.BytesOut), iv.Reason,
		iv.Sensor, iv.Format, strings.Join(facts, ","), event.SecondsUTC(builtAt)}
}

// IntervalColumnsAfterID are VPNIntervalColumns but id, for a SELECT after the
// engine's id expression.
var IntervalColumnsAfterID = strings.SplitN(strings.Join(strings.Fields(VPNIntervalColumns), " "), ", ", 2)[1]

// ReadVPNIntervals runs a query that selects idExpr (the id as text) and
// the columns of vpn_intervals after id, and returns the intervals.
func ReadVPNIntervals(ctx context.Context, qr Querier, q string, args ...any) ([]identity.Interval, error) {
	var out []identity.Interval
	err := qr.collect(ctx, "vpn intervals", q, args, func(r Rows) error {
		var iv identity.Interval
		var id, remote, remoteScope, assigned, assignedScope, facts string
		var port int32
		var asn, in, out64 int64
		var located uint8
		var builtAt time.Time
		if err := r.Scan(&id, &iv.Start, &iv.End, &iv.EndKind, &iv.User, &iv.Group, &remote, &remoteScope, &port,
			&iv.Remote.Country, &asn, &iv.Remote.ASOrg, &iv.Remote.Lat, &iv.Remote.Lon, &located, &assigned,
			&assignedScope, &iv.SessionID, &iv.DeviceID, &iv.Hostname, &in, &out64, &iv.Reason, &iv.Sensor,
			&iv.Format, &facts, &builtAt); err != nil {
			return err
		}
		var err error
		if iv.ID, err = ParseID(id); err != nil {
			return err
		}
		iv.Start, iv.End = iv.Start.UTC(), iv.End.UTC()
		iv.RemoteIP, _ = netip.ParseAddr(remote)
		iv.AssignedIP, _ = netip.ParseAddr(assigned)
		iv.RemotePort, iv.Remote.ASN, iv.Remote.Located = uint16(port), uint32(asn), located == 1
		iv.BytesIn, iv.BytesOut = uint64(in), uint64(out64)
		for _, f := range strings.Split(facts, ",") {
			if f == "" {
				continue
			}
			fid, err := ParseID(f)
			if err != nil {
				return err
			}
			iv.Facts = append(iv.Facts, fid)
		}
		out = append(out, iv)
		return nil
	})
	return out, err
}

// ParseID reads an id in UUID form, as event.ID.String writes it.
func ParseID(s string) (event.ID, error) {
	var id event.ID
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return id, fmt.Errorf("bad id %q", s)
	}
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return id, fmt.Errorf("bad id %q: %w", s, err)
	}
	return id, nil
}

// IntervalsByStart is the query of the intervals that start within [?, ?],
// selecting idExpr first.
func IntervalsByStart(idExpr string) string {
	return `SELECT ` + idExpr + `, ` + IntervalColumnsAfterID + ` FROM vpn_intervals WHERE start_time BETWEEN ? AND ?`
}

// InList is addrs as a list of SQL string literals for IN (...): canonical
// text, which holds no quote. Callers ask nothing for no addresses: an
// empty list is (”).
func InList(addrs []netip.Addr) string {
	if len(addrs) == 0 {
		return "('')"
	}
	var b strings.Builder
	b.WriteByte('(')
	seen := make(map[netip.Addr]struct{}, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		if _, dup := seen[a]; dup || !a.IsValid() {
			continue
		}
		seen[a] = struct{}{}
		if len(seen) > 1 {
			b.WriteByte(',')
		}
		b.WriteString("'" + a.String() + "'")
	}
	if len(seen) == 0 {
		return "('')"
	}
	b.WriteByte(')')
	return b.String()
}

// DiffIntervals compares the intervals built with those stored (the same
// range): the ones to write (new or changed), the ones to remove, and the
// spans of both.
func DiffIntervals(stored, built []identity.Interval) (write, remove []identity.Interval, spans []IngestSpan, c IntervalCounts) {
	have := make(map[event.ID]*identity.Interval, len(stored))
	for i := range stored {
		have[stored[i].ID] = &stored[i]
	}
	var sb SpanBuilder
	seen := make(map[event.ID]struct{}, len(built))
	for i := range built {
		iv := &built[i]
		if _, dup := seen[iv.ID]; dup {
			continue
		}
		seen[iv.ID] = struct{}{}
		if old, ok := have[iv.ID]; ok && sameInterval(old, iv) {
			c.Unchanged++
			continue
		}
		write = append(write, *iv)
		sb.Add(event.SecondsUTC(iv.Start))
		sb.Add(event.SecondsUTC(iv.End))
	}
	for i := range stored {
		if _, ok := seen[stored[i].ID]; !ok {
			remove = append(remove, stored[i])
			sb.Add(stored[i].Start)
			sb.Add(stored[i].End)
		}
	}
	c.Written, c.Removed = len(write), len(remove)
	return write, remove, sb.Spans("vpn_intervals"), c
}

// sameInterval reports whether a stored interval holds what a built one
// does, at the resolution stored.
func sameInterval(stored, built *identity.Interval) bool {
	return slices.Equal(IntervalRow(stored, time.Time{}), IntervalRow(built, time.Time{}))
}

// VPNFactsQuery selects the facts of vpn_sessions within [?, ?], idExpr
// (the id as text) first.
func VPNFactsQuery(idExpr string) string {
	return `SELECT ` + idExpr + `, time, kind, user_name, group_name, remote_ip, remote_port, assigned_ip, session_id,
		device_id, hostname, bytes_in, bytes_out, duration_s, reason, sensor, format, raw
		FROM vpn_sessions WHERE time BETWEEN ? AND ?`
}

// ReadVPNFacts runs VPNFactsQuery.
func ReadVPNFacts(ctx context.Context, qr Querier, idExpr string, from, to time.Time) ([]event.VPNSession, error) {
	var out []event.VPNSession
	err := qr.collect(ctx, "vpn facts", VPNFactsQuery(idExpr), []any{from, to}, func(r Rows) error {
		var f event.VPNSession
		var id, remote, assigned string
		var port int32
		var in, out64 int64
		if err := r.Scan(&id, &f.Time, &f.Kind, &f.User, &f.Group, &remote, &port, &assigned, &f.SessionID,
			&f.DeviceID, &f.Hostname, &in, &out64, &f.DurationS, &f.Reason, &f.Sensor, &f.Format, &f.Raw); err != nil {
			return err
		}
		var err error
		if f.ID, err = ParseID(id); err != nil {
			return err
		}
		f.Time = f.Time.UTC()
		f.RemoteIP, _ = netip.ParseAddr(remote)
		f.AssignedIP, _ = netip.ParseAddr(assigned)
		f.RemotePort, f.BytesIn, f.BytesOut = uint16(port), uint64(in), uint64(out64)
		out = append(out, f)
		return nil
	})
	return out, err
}

// DeviceRecordsQuery is DeviceRecords' query over the addresses of in,
// the condition on an address column ("IN ('a','b')", "IN _addrs"), with [?, ?] the time range given twice
// (once per table); idExpr and eventIDExpr render endpoint_states.id and
// network_events.event_id as text.
func DeviceRecordsQuery(in, idExpr, eventIDExpr string) string {
	return `SELECT 'endpoint_states', ` + idExpr + `, time, device_id, hostname, address, sensor, format
		FROM endpoint_states WHERE kind = 'interface' AND device_id != '' AND address ` + in + ` AND time BETWEEN ? AND ?
		UNION ALL
		SELECT 'network_events', ` + eventIDExpr + `, time, device_id, hostname,
			CASE WHEN direction = 'inbound' THEN dst_ip ELSE src_ip END, sensor, format
		FROM network_events WHERE kind = 'endpoint' AND device_id != ''
			AND ((direction = 'inbound' AND dst_ip ` + in + `) OR (direction != 'inbound' AND src_ip ` + in + `))
			AND time BETWEEN ? AND ?`
}

// ReadDeviceRecords runs DeviceRecordsQuery.
func ReadDeviceRecords(ctx context.Context, qr Querier, q string, from, to time.Time) ([]identity.DeviceRecord, error) {
	var out []identity.DeviceRecord
	err := qr.collect(ctx, "device records", q, []any{from, to, from, to}, func(r Rows) error {
		var d identity.DeviceRecord
		var addr string
		if err := r.Scan(&d.Table, &d.ID, &d.Time, &d.DeviceID, &d.Hostname, &addr, &d.Sensor, &d.Format); err != nil {
			return err
		}
		d.Time = d.Time.UTC()
		d.Addr, _ = netip.ParseAddr(addr)
		out = append(out, d)
		return nil
	})
	return out, err
}

// SpanAddrs are the distinct addresses of spans and their whole range.
func SpanAddrs(spans []identity.Query) (addrs []netip.Addr, from, to time.Time) {
	for i, q := range spans {
		addrs = append(addrs, q.Addr.Unmap())
		if i == 0 || q.From.Before(from) {
			from = q.From
		}
		to = MaxTime(to, q.To)
	}
	return addrs, from, to
}
