package store

import (
	"math"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/ipscope"
)

// VPNColumns are the columns of vpn_sessions, in table order: what both
// engines write and the conformance tests read back.
const VPNColumns = `id, time, kind, user_name, group_name, remote_ip, remote_scope, remote_port,
	assigned_ip, assigned_scope, session_id, device_id, hostname, bytes_in, bytes_out, duration_s,
	reason, sensor, format, raw`

// VPNRow is a VPN session fact as both engines store it: the values of
// VPNColumns after id and time, in that order, with addresses as canonical
// text and their scopes as ipscope.Text gives them.
func VPNRow(v *event.VPNSession) []any {
	return []any{v.Kind, v.User, v.Group, AddrText(v.RemoteIP), ipscope.Text(v.RemoteIP), int32(v.RemotePort),
		AddrText(v.AssignedIP), ipscope.Text(v.AssignedIP), v.SessionID, v.DeviceID, v.Hostname,
		clampInt64(v.BytesIn), clampInt64(v.BytesOut), v.DurationS, v.Reason, v.Sensor, v.Format, v.Raw}
}

// HTTPColumns are the columns of http_events, in table order.
const HTTPColumns = `id, time, duration_s, src_ip, src_scope, src_port, dst_ip, dst_scope, dst_port,
	user_name, method, url, host, status, bytes_out, bytes_in, content_type, user_agent, referrer,
	action, flow_uid, sensor, format, raw`

// HTTPRow is an HTTP request as both engines store it: the values of
// HTTPColumns after id and time, in that order.
func HTTPRow(h *event.HTTP) []any {
	return []any{h.DurationS, AddrText(h.SrcIP), ipscope.Text(h.SrcIP), int32(h.SrcPort),
		AddrText(h.DstIP), ipscope.Text(h.DstIP), int32(h.DstPort), h.User, h.Method, h.URL, h.Host,
		int32(h.Status), clampInt64(h.BytesOut), clampInt64(h.BytesIn), h.ContentType, h.UserAgent,
		h.Referrer, h.Action, h.FlowUID, h.Sensor, h.Format, h.Raw}
}

// clampInt64 is n as a BIGINT / Int64 column holds it: no counter of a
// real log comes near 2^63, so a larger one is a broken record, kept at
// the maximum rather than wrapped negative.
func clampInt64(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

// Distinct returns the indexes of the records of xs whose ID (as id gives
// it) no earlier record in xs has, in order, and the earliest and latest
// time of xs, as DistinctStates does for endpoint states. Batches of VPN
// and HTTP records are small next to network events, so a map does.
func Distinct[T any](xs []T, id func(*T) event.ID, at func(*T) time.Time) (rows []int32, lo, hi time.Time) {
	if len(xs) == 0 {
		return nil, time.Time{}, time.Time{}
	}
	seen := make(map[event.ID]struct{}, len(xs))
	lo, hi = at(&xs[0]), at(&xs[0])
	for i := range xs {
		x := &xs[i]
		if _, dup := seen[id(x)]; !dup {
			seen[id(x)] = struct{}{}
			rows = append(rows, int32(i))
		}
		lo, hi = MinTime(lo, at(x)), MaxTime(hi, at(x))
	}
	return rows, lo, hi
}

// Spans returns the ingest spans, under table, of the records xs[rows].
func Spans[T any](table string, xs []T, rows []int32, at func(*T) time.Time) []IngestSpan {
	var sb SpanBuilder
	for _, i := range rows {
		sb.Add(at(&xs[i]))
	}
	return sb.Spans(table)
}

// VPNID and VPNTime, HTTPID and HTTPTime give Distinct and Spans the key
// and time of a record.
var (
	VPNID    = func(v *event.VPNSession) event.ID { return v.ID }
	VPNTime  = func(v *event.VPNSession) time.Time { return v.Time }
	HTTPID   = func(h *event.HTTP) event.ID { return h.ID }
	HTTPTime = func(h *event.HTTP) time.Time { return h.Time }
)

// VPNComments are the comments of vpn_sessions' columns, in table order,
// for both engines' schemas (and docs/schema.md).
var VPNComments = []ColumnComment{
	{"vpn_sessions", "id", "hash of the source record and the fact taken from it: the same log ingested twice stores each fact once"},
	{"vpn_sessions", "time", "when the concentrator logged the fact (UTC, seconds)"},
	{"vpn_sessions", "kind", "which fact of a session the row is: start (the client connected and authenticated), assign (the session got its address in the VPN pool) or end (disconnect, timeout, tunnel down)"},
	{"vpn_sessions", "user_name", "the authenticated user, as the concentrator logs it"},
	{"vpn_sessions", "group_name", "the tunnel group, connection profile or group policy of the session"},
	{"vpn_sessions", "remote_ip", "the client's public (ISP) address, canonical text; empty if the fact does not carry it"},
	{"vpn_sessions", "remote_scope", "remote_ip: " + newScopeNote},
	{"vpn_sessions", "remote_port", "the client's source port; 0 if not logged"},
	{"vpn_sessions", "assigned_ip", "the client's address inside the VPN (from the pool), canonical text: who is behind it while the session lasts; empty if the fact does not carry it"},
	{"vpn_sessions", "assigned_scope", "assigned_ip: " + newScopeNote},
	{"vpn_sessions", "session_id", "the concentrator's id of the session, which ties its start, assign and end together; empty if it has none"},
	{"vpn_sessions", "device_id", "the client device, where the log names it"},
	{"vpn_sessions", "hostname", "the client's host name, where the log names it"},
	{"vpn_sessions", "bytes_in", "end: bytes received from the client over the session; 0 otherwise"},
	{"vpn_sessions", "bytes_out", "end: bytes sent to the client over the session; 0 otherwise"},
	{"vpn_sessions", "duration_s", "end: the session's length in seconds as logged; 0 otherwise"},
	{"vpn_sessions", "reason", "end: why the session ended, as logged"},
	{"vpn_sessions", "sensor", "the concentrator that logged the fact (its syslog host name or device name)"},
	{"vpn_sessions", "format", "the parser that produced the row"},
	{"vpn_sessions", "raw", "the source record as received"},
}

// HTTPComments are the comments of http_events' columns, in table order.
var HTTPComments = []ColumnComment{
	{"http_events", "id", "hash of the source record: the same log ingested twice stores each request once"},
	{"http_events", "time", "when the request was made (UTC, seconds)"},
	{"http_events", "duration_s", "how long the request took as logged; 0 if not logged"},
	{"http_events", "src_ip", "the client, canonical text"},
	{"http_events", "src_scope", "src_ip: " + newScopeNote},
	{"http_events", "src_port", "the client's port; 0 if not logged"},
	{"http_events", "dst_ip", "the server (Squid's HIER_DIRECT address, Zeek's id.resp_h), canonical text; empty if not logged"},
	{"http_events", "dst_scope", "dst_ip: " + newScopeNote},
	{"http_events", "dst_port", "the server's port; 0 if not logged"},
	{"http_events", "user_name", "the authenticated user, where the proxy knows one"},
	{"http_events", "method", "the HTTP method: GET, POST, CONNECT, ..."},
	{"http_events", "url", "the URL as logged"},
	{"http_events", "host", "the server's name: Host header, CONNECT target or URL host"},
	{"http_events", "status", "the HTTP status code; 0 if none"},
	{"http_events", "bytes_out", "request bytes, client to server, where logged; 0 otherwise"},
	{"http_events", "bytes_in", "response bytes, server to client"},
	{"http_events", "content_type", "the response's content type, where logged"},
	{"http_events", "user_agent", "the client's User-Agent, where logged"},
	{"http_events", "referrer", "the request's Referer, where logged"},
	{"http_events", "action", "the proxy's verdict as logged, e.g. Squid's TCP_MISS or TCP_DENIED"},
	{"http_events", "flow_uid", "the sensor's connection id (Zeek uid), to pivot to network_events.flow_uid"},
	{"http_events", "sensor", "the proxy or sensor that logged the request"},
	{"http_events", "format", "the parser that produced the row"},
	{"http_events", "raw", "the source record as received"},
}
