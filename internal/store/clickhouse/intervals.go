package clickhouse

import "github.com/homesoc/homesoc/internal/store"

// vpnIntervalMigration makes vpn_intervals, VPN sessions as intervals
// (issue 10), columns in the order of store.VPNIntervalColumns. Intervals
// change: a rebuild ends an open session when its end arrives, or drops one
// it no longer yields. So, like allowances, each change appends a version
// to vpn_interval_versions, a removal a version with removed = 1, and the
// view vpn_intervals reads the latest versions not removed.
//
// ORDER BY (assigned_ip, start_time, id): the dedup key is id, and id is a
// hash of the concentrator, the session's key, its assigned address and
// its start (identity.IntervalID), so assigned_ip and start_time are the
// same in every version of one id and the key stays stable while end_time,
// bytes and facts change. Leading with assigned_ip makes attribution's
// lookup (assigned_ip IN (...) AND start_time <= to AND end_time >= from)
// read only the granules of the addresses asked, pruned by start_time.
// Unpartitioned: FINAL then never has to merge across parts of months, and
// a session is a few hundred bytes, far fewer rows than events.
var vpnIntervalMigration = migration{tables: []table{
	{
		name: "vpn_interval_versions",
		columns: `id             UUID,
			start_time     DateTime('UTC'),
			end_time       DateTime('UTC'),
			end_kind       String,
			user_name      String,
			group_name     String,
			remote_ip      String,
			remote_scope   String,
			remote_port    Int32,
			remote_country String,
			remote_asn     Int64,
			remote_as_org  String,
			remote_lat     Float64,
			remote_lon     Float64,
			remote_located UInt8,
			assigned_ip    String,
			assigned_scope String,
			session_id     String,
			device_id      String,
			hostname       String,
			bytes_in       Int64,
			bytes_out      Int64,
			reason         String,
			sensor         String,
			format         String,
			facts          String,
			built_at       DateTime('UTC'),
			removed        UInt8,
			version        UInt64`,
		engine: "ReplacingMergeTree(version)",
		order:  "(assigned_ip, start_time, id)",
		shard:  "cityHash64(toString(id))",
	},
},
	// The latest versions first, then the removed dropped, as allowances.
	views: []view{{"vpn_intervals", `SELECT ` + store.VPNIntervalColumns + `
		FROM (SELECT * FROM {db}.vpn_interval_versions FINAL) WHERE removed = 0`}},
	columns: versionedComments(store.VPNIntervalComments),
}

// versionedComments are comments as comment-only added columns, a
// versioned table's on the table under its view.
func versionedComments(cs []store.ColumnComment) []addedColumn {
	var out []addedColumn
	for _, c := range cs {
		t := c.Table
		if v, ok := versioned[t]; ok {
			t = v
		}
		out = append(out, addedColumn{table: t, name: c.Column, comment: c.Comment})
	}
	return out
}
