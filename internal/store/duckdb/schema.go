package duckdb

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
	// 3: ingest tracking, for detection by what was ingested rather than by
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
}
