package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/homesoc/homesoc/internal/store"
)

// The schema mirrors DuckDB's (store/duckdb/schema.go): the same tables and
// column names, every column NOT NULL (an omitted one takes its default, the
// type's zero unless written), the same integer widths so rules get the same
// Go types back, IP addresses as canonical text, times DateTime('UTC') at
// second resolution. Why each table has the engine it has: see the package
// comment.

// table is one table of the schema.
type table struct {
	name      string // the name rules and the store read
	columns   string
	engine    string // a MergeTree-family engine
	partition string // PARTITION BY expression, "" for none
	order     string // ORDER BY: the access path, ending in the dedup key
	shard     string // the Distributed sharding key: a hash of the dedup key
	// joined marks a table that rules JOIN from. On a cluster its rows are
	// read through a view of its name over a Distributed table name_all:
	// 18.16 drops the alias of a Distributed table on the left of a JOIN
	// when it sends the query to the shards, so "FROM sightings AS s JOIN
	// ... ON s.indicator_id = ..." fails there ("Unknown identifier:
	// s.indicator_id"), while a view runs the JOIN where it is queried.
	// network_events, too big to bring to one node, stays Distributed: a
	// rule that JOINs from it must name its columns in ON unqualified, or
	// read it in a subquery.
	joined bool
}

// view is a view over a table, created after it.
type view struct {
	name, query string // query names tables as {db}.name
}

// migration is one step of the schema. Never edit a released migration:
// append a new one. Statements are idempotent (IF NOT EXISTS), so two
// processes migrating at once do no harm.
type migration struct {
	tables  []table
	views   []view
	columns []addedColumn // columns added to tables of earlier migrations
	stmts   []string      // statements run after them, with {db} and {on_cluster} replaced
}

// addedColumn is a column added to an existing table (or, with no type, one
// that exists), with the comment that says what it holds. 18.16 has no ADD COLUMN IF NOT EXISTS and drops a
// COMMENT given with ADD COLUMN, so migrate adds only the columns the table
// lacks and comments them with COMMENT COLUMN.
type addedColumn struct {
	table, name, typ, comment string
}

// eventKey hashes an event id into the sharding key of the tables keyed by
// it (18.16's hash functions take no UUID).
const eventKey = "cityHash64(toString(event_id))"

var migrations = []migration{
	// 1: the foundation.
	{tables: []table{
		{
			name: "network_events",
			columns: `event_id    UUID,
				time        DateTime('UTC'),
				end_time    DateTime('UTC'),
				duration_s  Float64,
				kind        String,
				action      String,
				direction   String,
				protocol    String,
				src_ip      String,
				src_port    Int32,
				dst_ip      String,
				dst_port    Int32,
				bytes_out   Int64,
				bytes_in    Int64,
				packets_out Int64,
				packets_in  Int64,
				ttl         Int32,
				tcp_flags   String,
				in_iface    String,
				out_iface   String,
				nat_ip      String,
				device_id   String,
				hostname    String,
				user_name   String,
				sensor      String,
				format      String,
				status      String,
				raw         String`,
			engine:    "ReplacingMergeTree",
			partition: "toYYYYMM(time)",
			// Rules scan time windows: every built-in rule filters on time
			// first, as does the writer's dedup check. Clustering each hour
			// by address, (toStartOfHour(time), src_ip, dst_ip, event_id),
			// cost 20% of the server's insert rate (505k against 620k rows/s
			// of netfilter events over HTTP, 18.16 on two cores) for nothing
			// a rule uses: the retro-hunt's src_ip IN ... OR dst_ip IN ...
			// cannot prune on it, and an hour of a home network's events is
			// a few granules.
			order: "(time, event_id)",
			shard: eventKey,
		},
		{
			name: "rejects",
			columns: `time   DateTime('UTC'),
				source String,
				line   Int64,
				format String,
				reason String,
				raw    String`,
			engine:    "ReplacingMergeTree",
			partition: "toYYYYMM(time)",
			order:     "(source, line, raw)",
			shard:     "cityHash64(source, line, raw)",
		},
		{
			name: "indicator_versions",
			columns: `id         String,
				type       String DEFAULT 'ip',
				value      String,
				feed       String,
				threat     String,
				confidence Int32,
				first_seen DateTime('UTC'),
				last_seen  DateTime('UTC'),
				active     UInt8 DEFAULT 1,
				fields     String DEFAULT '{}',
				loaded_at  DateTime('UTC'),
				version    UInt64`,
			engine: "ReplacingMergeTree(version)",
			order:  "id",
			shard:  "cityHash64(id)",
		},
		{
			name: "sightings",
			columns: `event_id     UUID,
				indicator_id String,
				time         DateTime('UTC'),
				matched_ip   String,
				peer_ip      String,
				peer_port    Int32,
				port         Int32,
				protocol     String,
				source       String,
				found_at     DateTime('UTC'),
				action       String,
				peer_is_src  UInt8`,
			engine:    "ReplacingMergeTree",
			partition: "toYYYYMM(time)",
			// A sighting's time is its event's, so it belongs to the key.
			order:  "(toStartOfHour(time), indicator_id, event_id)",
			shard:  eventKey,
			joined: true,
		},
		{
			name: "alert_versions",
			columns: `alert_id   String,
				rule_id    String,
				title      String,
				severity   String,
				group_json String DEFAULT '{}',
				first_seen DateTime('UTC'),
				last_seen  DateTime('UTC'),
				count      Int64 DEFAULT 1,
				events     Int64,
				detail     String DEFAULT '{}',
				status     String DEFAULT 'open',
				updated_at DateTime('UTC'),
				version    UInt64`,
			engine: "ReplacingMergeTree(version)",
			order:  "alert_id",
			shard:  "cityHash64(alert_id)",
		},
	}, views: []view{
		{"indicators", `SELECT id, type, value, feed, threat, confidence, first_seen, last_seen, active, fields, loaded_at
			FROM {db}.indicator_versions FINAL`},
		{"alerts", `SELECT alert_id, rule_id, title, severity, group_json, first_seen, last_seen, count, events,
			detail, status, updated_at FROM {db}.alert_versions FINAL`},
	}},
	// 2: ingest tracking, for detection by what was ingested rather than by
	// the wall clock (store/ingest.go): the spans of event time each write
	// stored rows in, numbered by an ingest sequence (the writer's clock in
	// nanoseconds), and the watermarks of the rules and the retro-hunt, a
	// version per save.
	{tables: []table{
		{
			name: "ingest_spans",
			columns: `seq        Int64,
				table_name String,
				min_time   DateTime('UTC'),
				max_time   DateTime('UTC'),
				rows       Int64,
				added_at   DateTime('UTC')`,
			engine: "MergeTree",
			order:  "seq",
			shard:  "seq",
		},
		{
			name: "watermarks",
			columns: `name       String,
				seq        Int64,
				updated_at DateTime('UTC'),
				version    UInt64`,
			engine: "ReplacingMergeTree(version)",
			order:  "name",
			shard:  "cityHash64(name)",
		},
	}, stmts: []string{
		// Data stored before: one span per hour, as if ingested at once,
		// so that every rule evaluates it on its first detect. Run again
		// after an interruption, it repeats spans, which costs a detect
		// some work and changes no alert.
		`INSERT INTO {db}.ingest_spans (seq, table_name, min_time, max_time, rows, added_at)
			SELECT 1, 'network_events', min(time), max(time), toInt64(count()), now()
			FROM {db}.network_events GROUP BY toStartOfHour(time)`,
		`INSERT INTO {db}.ingest_spans (seq, table_name, min_time, max_time, rows, added_at)
			SELECT 1, 'sightings', min(time), max(time), toInt64(count()), now()
			FROM {db}.sightings GROUP BY toStartOfHour(time)`,
	}},
	// 3: network_events columns an analyst pivots on (issue 8, item 17),
	// and what the byte and protocol columns of migration 1 mean.
	{columns: []addedColumn{
		{"network_events", "rule_name", "String", "the firewall rule that logged the record (EdgeOS/UniFi WAN_IN-10, Proxmox chain)"},
		{"network_events", "icmp_type", "Int32", "ICMP or ICMPv6 type; meaningful only when protocol is icmp or ipv6-icmp (0 is echo reply)"},
		{"network_events", "icmp_code", "Int32", "ICMP or ICMPv6 code; meaningful only when protocol is icmp or ipv6-icmp"},
		{"network_events", "src_mac", "String", "source MAC address, aa:bb:cc:dd:ee:ff, empty if not logged"},
		{"network_events", "dst_mac", "String", "destination MAC address, aa:bb:cc:dd:ee:ff, empty if not logged"},
		{"network_events", "ip_id", "Int32", "IPv4 identification field (54321 marks masscan/zmap); 0 if not logged"},
		{"network_events", "tcp_window", "Int32", "TCP window of the logged segment; 0 if not logged"},
		{"network_events", "packet_len", "Int64", "IP length of the logged packet (netfilter LEN=); 0 if not logged"},
		{"network_events", "flow_uid", "String", "the sensor's connection id (Zeek uid), to pivot to its dns/http/ssl logs"},
		{"network_events", "service", "String", "application protocols the sensor recognised (Zeek service), e.g. dns or ssl,http"},
		{"network_events", "bytes_out", "", "IP-level bytes from source to destination, headers included (NetFlow octets; Zeek orig_ip_bytes, not its payload orig_bytes)"},
		{"network_events", "bytes_in", "", "IP-level bytes from destination to source, headers included (NetFlow octets; Zeek resp_ip_bytes, not its payload resp_bytes)"},
		{"network_events", "protocol", "", "IANA protocol keyword in lower case (tcp, udp, icmp, ipv6-icmp, esp, gre); a number without a keyword stays the number; empty if unknown"},
	}},
	// 4: what EDRs report about devices (issue 9), and the scope of every
	// address, written at ingest by the one classification in Go
	// (ipscope). Events stored before keep '' there: computing it needs Go,
	// and a mutation of every part for it would cost more than it is worth.
	{tables: []table{
		{
			name: "endpoint_states",
			columns: `id            UUID,
				time          DateTime('UTC'),
				device_id     String,
				hostname      String,
				kind          String,
				address       String,
				address_scope String,
				port          Int32,
				protocol      String,
				mac           String,
				interface     String,
				os            String,
				platform      String,
				user_name     String,
				sensor        String,
				format        String,
				raw           String`,
			engine:    "ReplacingMergeTree",
			partition: "toYYYYMM(time)",
			// Rules read a window of time, as for network_events; the
			// writer's dedup check too.
			order:  "(time, id)",
			shard:  "cityHash64(toString(id))",
			joined: true, // inbound-from-internet reads it in a JOIN's subquery
		},
	}, columns: append(endpointComments(), []addedColumn{
		{"network_events", "src_scope", "String", store.SrcScopeComment},
		{"network_events", "dst_scope", "String", store.DstScopeComment},
	}...)},
	// 5: scans, the intended-port allowlist and UPnP mappings (scans.go).
	scanMigration,
	// 6: VPN session facts and proxy requests (vpnhttp.go).
	vpnHTTPMigration,
	// 7: VPN sessions as intervals (intervals.go).
	vpnIntervalMigration,
	// 8: the asset inventory (assets.go).
	assetMigration,
	// 9: the identity of every alert (issue 10, item 6), and the alerts
	// view again with it: a view keeps the columns it was created with.
	// Run again after an interruption, it drops and recreates the view.
	{columns: []addedColumn{
		{"alert_versions", "identity", "String", store.AlertIdentityComment},
	}, stmts: []string{
		`DROP TABLE IF EXISTS {db}.alerts{on_cluster}`,
		`CREATE VIEW IF NOT EXISTS {db}.alerts{on_cluster} AS SELECT alert_id, rule_id, title, severity, group_json,
			first_seen, last_seen, count, events, detail, status, updated_at, identity FROM {db}.alert_versions FINAL`,
	}},
	// 10: silences (issue 11, item 3; silences.go).
	silenceMigration,
	// 11: the history of every alert's status (issue 11, item 2), as a JSON
	// array ('[]' for alerts raised before), and the alerts view again with
	// it. Run again after an interruption, it drops and recreates the view.
	{columns: []addedColumn{
		{"alert_versions", "history", "String DEFAULT '[]'", store.AlertHistoryComment},
	}, stmts: []string{
		`DROP TABLE IF EXISTS {db}.alerts{on_cluster}`,
		`CREATE VIEW IF NOT EXISTS {db}.alerts{on_cluster} AS SELECT alert_id, rule_id, title, severity, group_json,
			first_seen, last_seen, count, events, detail, status, updated_at, identity, history FROM {db}.alert_versions FINAL`,
	}},
	// 12: the notification outbox and log (issue 11, items 4 and 6;
	// notify.go).
	notifyMigration,
}

// endpointComments are the comments of endpoint_states' columns, as columns
// of migration 4 that exist.
func endpointComments() []addedColumn {
	var out []addedColumn
	for _, c := range store.EndpointComments {
		out = append(out, addedColumn{"endpoint_states", c[0], "", c[1]})
	}
	return out
}

// versioned maps the mutable tables, which are views, to the tables that
// hold their versions.
var versioned = map[string]string{"indicators": "indicator_versions", "alerts": "alert_versions",
	"allowances": "allowance_versions", "vpn_intervals": "vpn_interval_versions", "assets": "asset_versions"}

// partitioned lists the tables partitioned by month, which DropBefore prunes.
var partitioned = []string{"network_events", "endpoint_states", "vpn_sessions", "http_events", "sightings", "rejects"}

// migrationsTable records the migrations applied.
var migrationsTable = table{
	name:    "schema_migrations",
	columns: `version UInt32, applied_at DateTime('UTC') DEFAULT now()`,
	engine:  "MergeTree",
	order:   "version",
	shard:   "version",
}

// layout renders DDL for one database, on one server or on a cluster.
type layout struct {
	db, cluster string
}

// onCluster is the ON CLUSTER clause of DDL, with a leading space; "" on one
// server.
func (l layout) onCluster() string {
	if l.cluster == "" {
		return ""
	}
	return " ON CLUSTER " + l.cluster
}

// local is the name of the table that holds t's rows on a server: t itself,
// or t_local on each shard of a cluster.
func (l layout) local(t string) string {
	if l.cluster == "" {
		return t
	}
	return t + "_local"
}

// stored is the table that rows of name (one of store.Tables) are written
// to, and read from by key: the versions of a mutable table, the
// Distributed table under a joined table's view, else the table itself.
func (l layout) stored(name string) string {
	if v, ok := versioned[name]; ok {
		return v
	}
	if l.cluster != "" && joined(name) {
		return name + "_all"
	}
	return name
}

// joined reports whether the table name of a migration is joined.
func joined(name string) bool {
	for _, m := range migrations {
		if slices.ContainsFunc(m.tables, func(t table) bool { return t.name == name && t.joined }) {
			return true
		}
	}
	return false
}

// createTable returns the statements that create t: the table itself, or on
// a cluster t_local on every node and the Distributed table t over them (or
// t_all under a view t, if t is joined).
func (l layout) createTable(t table) []string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s%s (\n\t%s\n) ENGINE = %s", l.db, l.local(t.name), l.onCluster(), t.columns, t.engine)
	if t.partition != "" {
		fmt.Fprintf(&b, " PARTITION BY %s", t.partition)
	}
	fmt.Fprintf(&b, " ORDER BY %s", t.order)
	stmts := []string{b.String()}
	if l.cluster == "" {
		return stmts
	}
	dist := t.name
	if t.joined {
		dist = t.name + "_all"
	}
	stmts = append(stmts, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s AS %s.%s ENGINE = Distributed(%s, %s, %s, %s)",
		l.db, dist, l.onCluster(), l.db, l.local(t.name), l.cluster, l.db, l.local(t.name), t.shard))
	if t.joined {
		stmts = append(stmts, fmt.Sprintf("CREATE VIEW IF NOT EXISTS %s.%s%s AS SELECT * FROM %s.%s",
			l.db, t.name, l.onCluster(), l.db, dist))
	}
	return stmts
}

// statements returns the statements of migration m that create its
// tables, and those that run after its columns are added: its views and
// statements, which may read the columns.
func (l layout) statements(m migration) (tables, after []string) {
	for _, t := range m.tables {
		tables = append(tables, l.createTable(t)...)
	}
	stmts := []string{}
	r := strings.NewReplacer("{db}", l.db, "{on_cluster}", l.onCluster())
	for _, v := range m.views {
		stmts = append(stmts, fmt.Sprintf("CREATE VIEW IF NOT EXISTS %s.%s%s AS %s", l.db, v.name, l.onCluster(), r.Replace(v.query)))
	}
	for _, st := range m.stmts {
		stmts = append(stmts, r.Replace(st))
	}
	return tables, stmts
}

// migrate applies the migrations the database lacks. ClickHouse has no
// transactions: a migration interrupted halfway is run again in full, which
// its idempotent statements allow.
func (s *Store) migrate(ctx context.Context) error {
	l := s.layout()
	for _, st := range l.createTable(migrationsTable) {
		if err := s.conn.Exec(ctx, st); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	var have uint32
	if err := s.conn.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&have); err != nil {
		return err
	}
	if int(have) > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this homesoc (%d): upgrade homesoc", have, len(migrations))
	}
	for v := int(have) + 1; v <= len(migrations); v++ {
		tables, after := l.statements(migrations[v-1])
		added, err := s.addColumns(ctx, l, migrations[v-1].columns)
		if err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		// Columns before views: a view of a migration may read its columns.
		stmts := append(append(tables, added...), after...)
		for _, st := range stmts {
			if err := s.conn.Exec(ctx, st); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
		}
		// Not an INSERT ... VALUES through Exec: over the native protocol
		// 18.16 then waits for data blocks that the driver never sends.
		if err := s.insertColumns(ctx, "schema_migrations", "version", []uint32{uint32(v)}); err != nil {
			return fmt.Errorf("migration %d: record: %w", v, err)
		}
	}
	return nil
}

// addColumns returns the statements that add the columns a table lacks and
// comment them all: on a cluster, on every shard's local table and on the
// Distributed table over them.
func (s *Store) addColumns(ctx context.Context, l layout, cols []addedColumn) ([]string, error) {
	var stmts []string
	for _, c := range cols {
		tables := []string{l.local(c.table)}
		if l.cluster != "" {
			tables = append(tables, c.table)
		}
		for _, t := range tables {
			if c.typ != "" {
				var n uint64
				if err := s.conn.QueryRow(ctx, `SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?`,
					l.db, t, c.name).Scan(&n); err != nil {
					return nil, fmt.Errorf("columns of %s: %w", t, err)
				}
				if n == 0 {
					stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s.%s%s ADD COLUMN %s %s", l.db, t, l.onCluster(), c.name, c.typ))
				}
			}
			// Not ON CLUSTER: 18.16's distributed DDL refuses COMMENT COLUMN,
			// so on a cluster only the node homesoc talks to has comments.
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s.%s COMMENT COLUMN %s '%s'", l.db, t, c.name,
				strings.ReplaceAll(c.comment, "'", `\'`)))
		}
	}
	return stmts, nil
}
