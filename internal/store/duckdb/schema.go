package duckdb

import (
	"strings"

	"github.com/homesoc/homesoc/internal/store"
)

// endpointComments comments endpoint_states' columns.
var endpointComments = func() string {
	var b strings.Builder
	for _, c := range store.EndpointComments {
		b.WriteString("COMMENT ON COLUMN endpoint_states." + c[0] + " IS " + quote(c[1]) + ";\n\t")
	}
	return b.String()
}()

// migrations are applied in order, each once, and recorded in
// schema_migrations. Never edit a released migration: append a new one.
//
// Columns are NOT NULL with defaults (empty string, zero) rather than NULL,
// the same as ClickHouse keeps them, so rules see the same values on both.
// IP addresses are canonical text, times are UTC TIMESTAMPs at second
// resolution.
var migrations = []string{
	// 1: the foundation.
	`CREATE TABLE network_events (
		event_id    UUID      NOT NULL,
		time        TIMESTAMP NOT NULL,
		end_time    TIMESTAMP NOT NULL,
		duration_s  DOUBLE    NOT NULL DEFAULT 0,
		kind        VARCHAR   NOT NULL DEFAULT '',
		action      VARCHAR   NOT NULL DEFAULT '',
		direction   VARCHAR   NOT NULL DEFAULT '',
		protocol    VARCHAR   NOT NULL DEFAULT '',
		src_ip      VARCHAR   NOT NULL DEFAULT '',
		src_port    INTEGER   NOT NULL DEFAULT 0,
		dst_ip      VARCHAR   NOT NULL DEFAULT '',
		dst_port    INTEGER   NOT NULL DEFAULT 0,
		bytes_out   BIGINT    NOT NULL DEFAULT 0,
		bytes_in    BIGINT    NOT NULL DEFAULT 0,
		packets_out BIGINT    NOT NULL DEFAULT 0,
		packets_in  BIGINT    NOT NULL DEFAULT 0,
		ttl         INTEGER   NOT NULL DEFAULT 0,
		tcp_flags   VARCHAR   NOT NULL DEFAULT '',
		in_iface    VARCHAR   NOT NULL DEFAULT '',
		out_iface   VARCHAR   NOT NULL DEFAULT '',
		nat_ip      VARCHAR   NOT NULL DEFAULT '',
		device_id   VARCHAR   NOT NULL DEFAULT '',
		hostname    VARCHAR   NOT NULL DEFAULT '',
		user_name   VARCHAR   NOT NULL DEFAULT '',
		sensor      VARCHAR   NOT NULL DEFAULT '',
		format      VARCHAR   NOT NULL DEFAULT '',
		status      VARCHAR   NOT NULL DEFAULT '',
		raw         VARCHAR   NOT NULL DEFAULT ''
	);
	CREATE TABLE rejects (
		time   TIMESTAMP NOT NULL,
		source VARCHAR   NOT NULL DEFAULT '',
		line   BIGINT    NOT NULL DEFAULT 0,
		format VARCHAR   NOT NULL DEFAULT '',
		reason VARCHAR   NOT NULL DEFAULT '',
		raw    VARCHAR   NOT NULL DEFAULT ''
	);
	CREATE TABLE indicators (
		id         VARCHAR   NOT NULL,
		type       VARCHAR   NOT NULL DEFAULT 'ip',
		value      VARCHAR   NOT NULL,
		feed       VARCHAR   NOT NULL DEFAULT '',
		threat     VARCHAR   NOT NULL DEFAULT '',
		confidence INTEGER   NOT NULL DEFAULT 0,
		first_seen TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00',
		last_seen  TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00',
		active     UTINYINT  NOT NULL DEFAULT 1,
		fields     VARCHAR   NOT NULL DEFAULT '{}',
		loaded_at  TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00'
	);
	CREATE TABLE sightings (
		event_id     UUID      NOT NULL,
		indicator_id VARCHAR   NOT NULL,
		time         TIMESTAMP NOT NULL,
		matched_ip   VARCHAR   NOT NULL DEFAULT '',
		peer_ip      VARCHAR   NOT NULL DEFAULT '',
		peer_port    INTEGER   NOT NULL DEFAULT 0,
		port         INTEGER   NOT NULL DEFAULT 0,
		protocol     VARCHAR   NOT NULL DEFAULT '',
		source       VARCHAR   NOT NULL DEFAULT '',
		found_at     TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00',
		action       VARCHAR   NOT NULL DEFAULT '',
		peer_is_src  UTINYINT  NOT NULL DEFAULT 0
	);
	CREATE TABLE alerts (
		alert_id   VARCHAR   NOT NULL,
		rule_id    VARCHAR   NOT NULL,
		title      VARCHAR   NOT NULL DEFAULT '',
		severity   VARCHAR   NOT NULL DEFAULT '',
		group_json VARCHAR   NOT NULL DEFAULT '{}',
		first_seen TIMESTAMP NOT NULL,
		last_seen  TIMESTAMP NOT NULL,
		count      BIGINT    NOT NULL DEFAULT 1,
		events     BIGINT    NOT NULL DEFAULT 0,
		detail     VARCHAR   NOT NULL DEFAULT '{}',
		status     VARCHAR   NOT NULL DEFAULT 'open',
		updated_at TIMESTAMP NOT NULL
	);`,
	// 2: rejects.raw_encoding: a rejected line may hold any bytes, a VARCHAR
	// only valid UTF-8, so raw holds the line as text and raw_encoding says
	// how ('text': as received; 'escaped': invalid bytes as \xNN, see
	// event.RawEscaped). Rows before it are text.
	`ALTER TABLE rejects ADD COLUMN raw_encoding VARCHAR DEFAULT 'text';
	ALTER TABLE rejects ALTER COLUMN raw_encoding SET NOT NULL;`,
	// 3: network_events columns an analyst pivots on (issue 8, item 17).
	// Like migration 1's they are NOT NULL with zero defaults (ADD COLUMN
	// takes no constraint in DuckDB, hence SET NOT NULL after it). The
	// comments say what the less obvious columns hold.
	`ALTER TABLE network_events ADD COLUMN rule_name  VARCHAR DEFAULT '';
	ALTER TABLE network_events ADD COLUMN icmp_type  INTEGER DEFAULT 0;
	ALTER TABLE network_events ADD COLUMN icmp_code  INTEGER DEFAULT 0;
	ALTER TABLE network_events ADD COLUMN src_mac    VARCHAR DEFAULT '';
	ALTER TABLE network_events ADD COLUMN dst_mac    VARCHAR DEFAULT '';
	ALTER TABLE network_events ADD COLUMN ip_id      INTEGER DEFAULT 0;
	ALTER TABLE network_events ADD COLUMN tcp_window INTEGER DEFAULT 0;
	ALTER TABLE network_events ADD COLUMN packet_len BIGINT  DEFAULT 0;
	ALTER TABLE network_events ADD COLUMN flow_uid   VARCHAR DEFAULT '';
	ALTER TABLE network_events ADD COLUMN service    VARCHAR DEFAULT '';
	ALTER TABLE network_events ALTER COLUMN rule_name SET NOT NULL;
	ALTER TABLE network_events ALTER COLUMN icmp_type SET NOT NULL;
	ALTER TABLE network_events ALTER COLUMN icmp_code SET NOT NULL;
	ALTER TABLE network_events ALTER COLUMN src_mac SET NOT NULL;
	ALTER TABLE network_events ALTER COLUMN dst_mac SET NOT NULL;
	ALTER TABLE network_events ALTER COLUMN ip_id SET NOT NULL;
	ALTER TABLE network_events ALTER COLUMN tcp_window SET NOT NULL;
	ALTER TABLE network_events ALTER COLUMN packet_len SET NOT NULL;
	ALTER TABLE network_events ALTER COLUMN flow_uid SET NOT NULL;
	ALTER TABLE network_events ALTER COLUMN service SET NOT NULL;
	COMMENT ON COLUMN network_events.bytes_out IS 'IP-level bytes from source to destination, headers included (NetFlow octets; Zeek orig_ip_bytes, not its payload orig_bytes)';
	COMMENT ON COLUMN network_events.bytes_in IS 'IP-level bytes from destination to source, headers included (NetFlow octets; Zeek resp_ip_bytes, not its payload resp_bytes)';
	COMMENT ON COLUMN network_events.protocol IS 'IANA protocol keyword in lower case (tcp, udp, icmp, ipv6-icmp, esp, gre); a number without a keyword stays the number; empty if unknown';
	COMMENT ON COLUMN network_events.rule_name IS 'the firewall rule that logged the record (EdgeOS/UniFi WAN_IN-10, Proxmox chain)';
	COMMENT ON COLUMN network_events.icmp_type IS 'ICMP or ICMPv6 type; meaningful only when protocol is icmp or ipv6-icmp (0 is echo reply)';
	COMMENT ON COLUMN network_events.icmp_code IS 'ICMP or ICMPv6 code; meaningful only when protocol is icmp or ipv6-icmp';
	COMMENT ON COLUMN network_events.src_mac IS 'source MAC address, aa:bb:cc:dd:ee:ff, empty if not logged';
	COMMENT ON COLUMN network_events.dst_mac IS 'destination MAC address, aa:bb:cc:dd:ee:ff, empty if not logged';
	COMMENT ON COLUMN network_events.ip_id IS 'IPv4 identification field (54321 marks masscan/zmap); 0 if not logged';
	COMMENT ON COLUMN network_events.tcp_window IS 'TCP window of the logged segment; 0 if not logged';
	COMMENT ON COLUMN network_events.packet_len IS 'IP length of the logged packet (netfilter LEN=); 0 if not logged';
	COMMENT ON COLUMN network_events.flow_uid IS 'the sensor''s connection id (Zeek uid), to pivot to its dns/http/ssl logs';
	COMMENT ON COLUMN network_events.service IS 'application protocols the sensor recognised (Zeek service), e.g. dns or ssl,http';`,
	// 4: ingest tracking, for detection by what was ingested rather than by
	// the wall clock (store/ingest.go): the spans of event time each write
	// stored rows in, numbered by an ingest sequence, and the watermarks of
	// the rules (how far through that sequence each has evaluated) and of
	// the retro-hunt (up to which indicator load it has hunted).
	`CREATE TABLE ingest_spans (
		seq        BIGINT    NOT NULL,
		table_name VARCHAR   NOT NULL,
		min_time   TIMESTAMP NOT NULL,
		max_time   TIMESTAMP NOT NULL,
		rows       BIGINT    NOT NULL DEFAULT 0,
		added_at   TIMESTAMP NOT NULL
	);
	CREATE TABLE watermarks (
		name       VARCHAR   NOT NULL,
		seq        BIGINT    NOT NULL DEFAULT 0,
		updated_at TIMESTAMP NOT NULL
	);
	-- The load number of the write that added or last changed an indicator
	-- (as ClickHouse's indicator versions are numbered), for the hunt's
	-- watermark: loaded_at has whole seconds, too coarse to tell a load
	-- from a hunt in the same second. 0 for indicators loaded before.
	ALTER TABLE indicators ADD COLUMN load_seq BIGINT DEFAULT 0;
	-- Data stored before: one span per hour, as if ingested at once, so
	-- that every rule evaluates it on its first detect.
	INSERT INTO ingest_spans SELECT 1, 'network_events', min(time), max(time), count(*), CAST(now() AS TIMESTAMP)
		FROM network_events GROUP BY date_trunc('hour', time);
	INSERT INTO ingest_spans SELECT 1, 'sightings', min(time), max(time), count(*), CAST(now() AS TIMESTAMP)
		FROM sightings GROUP BY date_trunc('hour', time);`,
	// 5: what EDRs report about devices (issue 9), and the scope of every
	// address, written at ingest by the one classification in Go
	// (ipscope), which rules compare instead of re-implementing address
	// ranges in SQL. Events stored before have '' there: the scope needs Go,
	// and a migration is SQL; rules then treat them as of no known scope.
	`CREATE TABLE endpoint_states (
		id            UUID      NOT NULL,
		time          TIMESTAMP NOT NULL,
		device_id     VARCHAR   NOT NULL DEFAULT '',
		hostname      VARCHAR   NOT NULL DEFAULT '',
		kind          VARCHAR   NOT NULL DEFAULT '',
		address       VARCHAR   NOT NULL DEFAULT '',
		address_scope VARCHAR   NOT NULL DEFAULT '',
		port          INTEGER   NOT NULL DEFAULT 0,
		protocol      VARCHAR   NOT NULL DEFAULT '',
		mac           VARCHAR   NOT NULL DEFAULT '',
		interface     VARCHAR   NOT NULL DEFAULT '',
		os            VARCHAR   NOT NULL DEFAULT '',
		platform      VARCHAR   NOT NULL DEFAULT '',
		user_name     VARCHAR   NOT NULL DEFAULT '',
		sensor        VARCHAR   NOT NULL DEFAULT '',
		format        VARCHAR   NOT NULL DEFAULT '',
		raw           VARCHAR   NOT NULL DEFAULT ''
	);
	` + endpointComments + `
	ALTER TABLE network_events ADD COLUMN src_scope VARCHAR DEFAULT '';
	ALTER TABLE network_events ADD COLUMN dst_scope VARCHAR DEFAULT '';
	ALTER TABLE network_events ALTER COLUMN src_scope SET NOT NULL;
	ALTER TABLE network_events ALTER COLUMN dst_scope SET NOT NULL;
	COMMENT ON COLUMN network_events.src_scope IS '` + store.SrcScopeComment + `';
	COMMENT ON COLUMN network_events.dst_scope IS '` + store.DstScopeComment + `';`,
	// 6: scans, the intended-port allowlist and UPnP mappings (scans.go).
	scanMigration,
	// 7: who is behind an address at a time (issue 10): the session facts
	// of VPN concentrators and the requests of proxies, columns in the
	// order of store.VPNColumns and store.HTTPColumns.
	`CREATE TABLE vpn_sessions (
		id             UUID      NOT NULL,
		time           TIMESTAMP NOT NULL,
		kind           VARCHAR   NOT NULL DEFAULT '',
		user_name      VARCHAR   NOT NULL DEFAULT '',
		group_name     VARCHAR   NOT NULL DEFAULT '',
		remote_ip      VARCHAR   NOT NULL DEFAULT '',
		remote_scope   VARCHAR   NOT NULL DEFAULT '',
		remote_port    INTEGER   NOT NULL DEFAULT 0,
		assigned_ip    VARCHAR   NOT NULL DEFAULT '',
		assigned_scope VARCHAR   NOT NULL DEFAULT '',
		session_id     VARCHAR   NOT NULL DEFAULT '',
		device_id      VARCHAR   NOT NULL DEFAULT '',
		hostname       VARCHAR   NOT NULL DEFAULT '',
		bytes_in       BIGINT    NOT NULL DEFAULT 0,
		bytes_out      BIGINT    NOT NULL DEFAULT 0,
		duration_s     DOUBLE    NOT NULL DEFAULT 0,
		reason         VARCHAR   NOT NULL DEFAULT '',
		sensor         VARCHAR   NOT NULL DEFAULT '',
		format         VARCHAR   NOT NULL DEFAULT '',
		raw            VARCHAR   NOT NULL DEFAULT ''
	);
	CREATE TABLE http_events (
		id           UUID      NOT NULL,
		time         TIMESTAMP NOT NULL,
		duration_s   DOUBLE    NOT NULL DEFAULT 0,
		src_ip       VARCHAR   NOT NULL DEFAULT '',
		src_scope    VARCHAR   NOT NULL DEFAULT '',
		src_port     INTEGER   NOT NULL DEFAULT 0,
		dst_ip       VARCHAR   NOT NULL DEFAULT '',
		dst_scope    VARCHAR   NOT NULL DEFAULT '',
		dst_port     INTEGER   NOT NULL DEFAULT 0,
		user_name    VARCHAR   NOT NULL DEFAULT '',
		method       VARCHAR   NOT NULL DEFAULT '',
		url          VARCHAR   NOT NULL DEFAULT '',
		host         VARCHAR   NOT NULL DEFAULT '',
		status       INTEGER   NOT NULL DEFAULT 0,
		bytes_out    BIGINT    NOT NULL DEFAULT 0,
		bytes_in     BIGINT    NOT NULL DEFAULT 0,
		content_type VARCHAR   NOT NULL DEFAULT '',
		user_agent   VARCHAR   NOT NULL DEFAULT '',
		referrer     VARCHAR   NOT NULL DEFAULT '',
		action       VARCHAR   NOT NULL DEFAULT '',
		flow_uid     VARCHAR   NOT NULL DEFAULT '',
		sensor       VARCHAR   NOT NULL DEFAULT '',
		format       VARCHAR   NOT NULL DEFAULT '',
		raw          VARCHAR   NOT NULL DEFAULT ''
	);
	` + columnComments(store.VPNComments) + columnComments(store.HTTPComments),
	// 8: VPN sessions as intervals (issue 10), built from the facts of
	// vpn_sessions by internal/identity and rebuilt when facts arrive;
	// columns in the order of store.VPNIntervalColumns. Attribution looks
	// intervals up by assigned address and time.
	`CREATE TABLE vpn_intervals (
		id             UUID      NOT NULL,
		start_time     TIMESTAMP NOT NULL,
		end_time       TIMESTAMP NOT NULL,
		end_kind       VARCHAR   NOT NULL DEFAULT '',
		user_name      VARCHAR   NOT NULL DEFAULT '',
		group_name     VARCHAR   NOT NULL DEFAULT '',
		remote_ip      VARCHAR   NOT NULL DEFAULT '',
		remote_scope   VARCHAR   NOT NULL DEFAULT '',
		remote_port    INTEGER   NOT NULL DEFAULT 0,
		remote_country VARCHAR   NOT NULL DEFAULT '',
		remote_asn     BIGINT    NOT NULL DEFAULT 0,
		remote_as_org  VARCHAR   NOT NULL DEFAULT '',
		remote_lat     DOUBLE    NOT NULL DEFAULT 0,
		remote_lon     DOUBLE    NOT NULL DEFAULT 0,
		remote_located UTINYINT  NOT NULL DEFAULT 0,
		assigned_ip    VARCHAR   NOT NULL DEFAULT '',
		assigned_scope VARCHAR   NOT NULL DEFAULT '',
		session_id     VARCHAR   NOT NULL DEFAULT '',
		device_id      VARCHAR   NOT NULL DEFAULT '',
		hostname       VARCHAR   NOT NULL DEFAULT '',
		bytes_in       BIGINT    NOT NULL DEFAULT 0,
		bytes_out      BIGINT    NOT NULL DEFAULT 0,
		reason         VARCHAR   NOT NULL DEFAULT '',
		sensor         VARCHAR   NOT NULL DEFAULT '',
		format         VARCHAR   NOT NULL DEFAULT '',
		facts          VARCHAR   NOT NULL DEFAULT '',
		built_at       TIMESTAMP NOT NULL
	);
	` + columnComments(store.VPNIntervalComments),
	// 9: the asset inventory (issue 10, assets.go).
	assetMigration,
	// 10: the identity of every alert (issue 10, item 6): who stood behind
	// its subject address, as JSON text; '' for alerts raised before.
	`ALTER TABLE alerts ADD COLUMN identity VARCHAR DEFAULT '';
	ALTER TABLE alerts ALTER COLUMN identity SET NOT NULL;
	COMMENT ON COLUMN alerts.identity IS ` + quote(store.AlertIdentityComment) + `;`,
	// 11: silences (issue 11, item 3; silences.go).
	silenceMigration,
	// 12: the history of every alert's status (issue 11, item 2): who
	// acknowledged, resolved or reopened it, when, why and by what, as a
	// JSON array; '[]' for alerts raised before.
	`ALTER TABLE alerts ADD COLUMN history VARCHAR DEFAULT '[]';
	ALTER TABLE alerts ALTER COLUMN history SET NOT NULL;
	COMMENT ON COLUMN alerts.history IS ` + quote(store.AlertHistoryComment) + `;`,
	// 13: the notification outbox and log (issue 11, items 4 and 6;
	// notify.go).
	notifyMigration,
}
