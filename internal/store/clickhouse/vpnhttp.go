package clickhouse

import "github.com/homesoc/homesoc/internal/store"

// vpnHTTPMigration makes the tables of who is behind an address at a time
// (issue 10): the session facts of VPN concentrators and the requests of
// proxies, columns in the order of store.VPNColumns and store.HTTPColumns,
// with store.VPNComments and store.HTTPComments on them. Like
// endpoint_states: append-only ReplacingMergeTrees whose writers skip an
// id already stored (a duplicate a race lets in merges away), partitioned
// by month for retention, ordered by time for the windows rules read.
var vpnHTTPMigration = migration{tables: []table{
	{
		name: "vpn_sessions",
		columns: `id             UUID,
			time           DateTime('UTC'),
			kind           String,
			user_name      String,
			group_name     String,
			remote_ip      String,
			remote_scope   String,
			remote_port    Int32,
			assigned_ip    String,
			assigned_scope String,
			session_id     String,
			device_id      String,
			hostname       String,
			bytes_in       Int64,
			bytes_out      Int64,
			duration_s     Float64,
			reason         String,
			sensor         String,
			format         String,
			raw            String`,
		engine:    "ReplacingMergeTree",
		partition: "toYYYYMM(time)",
		order:     "(time, id)",
		shard:     "cityHash64(toString(id))",
		// Attribution joins events to the sessions of their addresses;
		// a VPN logs a few facts a session, few enough to bring to one node.
		joined: true,
	},
	{
		name: "http_events",
		columns: `id           UUID,
			time         DateTime('UTC'),
			duration_s   Float64,
			src_ip       String,
			src_scope    String,
			src_port     Int32,
			dst_ip       String,
			dst_scope    String,
			dst_port     Int32,
			user_name    String,
			method       String,
			url          String,
			host         String,
			status       Int32,
			bytes_out    Int64,
			bytes_in     Int64,
			content_type String,
			user_agent   String,
			referrer     String,
			action       String,
			flow_uid     String,
			sensor       String,
			format       String,
			raw          String`,
		engine:    "ReplacingMergeTree",
		partition: "toYYYYMM(time)",
		order:     "(time, id)",
		shard:     "cityHash64(toString(id))",
		// A proxy logs a row per request, as a firewall does per packet:
		// it stays Distributed, like network_events.
	},
}, columns: commentsOf(store.VPNComments, store.HTTPComments)}

// commentsOf are comments as comment-only added columns.
func commentsOf(lists ...[]store.ColumnComment) []addedColumn {
	var out []addedColumn
	for _, cs := range lists {
		for _, c := range cs {
			out = append(out, addedColumn{table: c.Table, name: c.Column, comment: c.Comment})
		}
	}
	return out
}
