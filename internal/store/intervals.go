package store

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
