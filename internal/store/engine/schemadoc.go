package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/homesoc/homesoc/internal/store"
)

// Schema describes the tables of the store url names: for ClickHouse its
// server's (with ClickHouse's types); for the embedded DuckDB a fresh
// in-memory store's, whose migrations are those a data directory gets, so
// that describing needs no data directory and takes no lock on one.
func Schema(ctx context.Context, url string) ([]store.TableSchema, error) {
	var st store.Store
	var err error
	if kind, kerr := kindOf(url); kerr == nil && kind == "clickhouse" {
		st, err = Open(ctx, url, "")
	} else {
		st, err = OpenTemp(ctx, url)
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.Schema(ctx)
}

// tableDocs say what each table holds, for SchemaMarkdown. A table without
// one is listed all the same.
var tableDocs = map[string]string{
	"network_events": "Every connection-level record: firewall log lines, flows (Zeek conn, flow JSON), one row per input record. " +
		"`event_id` is a hash of the record, so the same line ingested twice is stored once.",
	"endpoint_states":       "What an EDR (CrowdStrike FDR, Defender for Endpoint) reports about a device, one fact a row: its interfaces' addresses, its public (agent) address, the ports it listens on, its OS. Its connections go to network_events, with the same `device_id`.",
	"vpn_sessions":          "What VPN concentrators log about sessions, one fact a row: a start (user, group, the client's public address), the pool address assigned to it, an end (bytes, duration, reason). Who was behind an address at a time is read from these facts, tied together by `session_id` where the concentrator has one.",
	"vpn_intervals":         "VPN sessions as intervals of time, one row a session, built from the facts of vpn_sessions (and rebuilt when more arrive) at the end of `ingest` and the start of `detect`: who was behind `assigned_ip` from `start_time` to `end_time`, and how that end is known (`end_kind`). `facts` lists the vpn_sessions rows it was built from.",
	"vpn_interval_versions": "(ClickHouse) Every version of every VPN interval, a rebuild's removal as a version with `removed` = 1; the view `vpn_intervals` reads the latest not removed.",
	"http_events":           "Requests proxies and sensors logged (Squid access.log, Zeek http.log), one row per request: client, server, user, method, URL, status, bytes and the proxy's verdict. `flow_uid` ties a Zeek request to its connection in network_events.",
	"rejects":               "Input lines that no parser could read (the dead-letter table), with where they came from and why; see `homesoc rejects`.",
	"indicators":            "Threat-intel indicators from every feed, one row per feed, type and value; see `homesoc intel list`.",
	"sightings":             "Events that matched an indicator, at ingest or by a retro-hunt when the indicator arrived later.",
	"alerts":                "Findings of detection rules, one row per rule and group_by values, updated as new evidence arrives; see `homesoc alerts list`.",
	"schema_migrations":     "The migrations applied to this database.",
	"ingest_spans":          "The spans of event time each write stored rows in, numbered by an ingest sequence: detect evaluates each rule over the spans ingested since it last ran.",
	"watermarks":            "How far through the ingest sequence each rule (and the retro-hunt, through the indicator loads) has evaluated.",
	"indicator_versions":    "(ClickHouse) Every version of every indicator; the view `indicators` reads the latest.",
	"alert_versions":        "(ClickHouse) Every version of every alert; the view `alerts` reads the latest.",
}

// columnDocs say what a column means where its name does not and its
// migration gave it no comment (a comment wins), keyed "table.column".
// TestSchemaDoc fails for a key that names no column, so a note cannot
// outlive its column.
var columnDocs = map[string]string{
	"network_events.event_id":   "a hash of the record's identity: the same record always gets the same id",
	"network_events.time":       "start of the flow, or the time of the log line (UTC, whole seconds)",
	"network_events.end_time":   "end of the flow; the same as time for single-packet records",
	"network_events.kind":       "flow, firewall or endpoint",
	"network_events.action":     "what the device did, lower case: allow, drop, reject, ...",
	"network_events.direction":  "inbound, outbound, internal, external or unknown",
	"network_events.src_ip":     "canonical text of the address (IPv4 unmapped); '' when the record has none",
	"network_events.tcp_flags":  "as the source spells them, e.g. 'SYN' or 'SYN ACK'",
	"network_events.nat_ip":     "the translated address, or an agent's public address",
	"network_events.sensor":     "the host or tool that reported the record",
	"network_events.format":     "the parser that read it (see `homesoc ingest --help`)",
	"network_events.status":     "the source's own state, e.g. Zeek's conn_state",
	"network_events.raw":        "the input record as received (invalid UTF-8 replaced by U+FFFD)",
	"rejects.time":              "when it was rejected",
	"rejects.source":            "the file name, '-' for stdin",
	"rejects.line":              "1-based line number within source",
	"rejects.format":            "the format tried",
	"rejects.raw_encoding":      "how raw holds the line: text (as received) or escaped (invalid UTF-8 bytes as \\xNN, backslashes doubled)",
	"indicators.load_seq":       "the number of the load that added or last changed it, for the retro-hunt's watermark",
	"ingest_spans.seq":          "the ingest sequence number of the write",
	"ingest_spans.table_name":   "the table the write stored rows in: network_events or sightings",
	"watermarks.name":           "a rule id, or the retro-hunt",
	"watermarks.seq":            "the ingest sequence number it has evaluated up to",
	"indicators.id":             "deterministic id of feed, type and value",
	"indicators.type":           "ip, cidr, domain, url or hash",
	"indicators.value":          "canonical: address text, masked prefix, lower-case domain",
	"indicators.active":         "1 while the feed lists it",
	"indicators.fields":         "the feed's own fields, as a JSON object",
	"indicators.loaded_at":      "when a load last wrote it",
	"sightings.time":            "the event's time",
	"sightings.matched_ip":      "the event's address that matched",
	"sightings.peer_ip":         "the other side of the event: ours",
	"sightings.port":            "the port on the indicator's side",
	"sightings.source":          "ingest or retro-hunt",
	"sightings.found_at":        "when it was found",
	"sightings.peer_is_src":     "1 when our side initiated (the indicator is the destination)",
	"alerts.alert_id":           "hash of rule_id and the group_by values: the same finding is one alert",
	"alerts.group_json":         "the rule's group_by columns and their values, as a JSON object",
	"alerts.count":              "how many detections found new evidence for it",
	"alerts.events":             "events behind the latest detection",
	"alerts.detail":             "every column the rule returned, as a JSON object",
	"alerts.updated_at":         "when a detection last changed it",
	"schema_migrations.version": "the number of a migration, in the order they are applied",
}

// SchemaMarkdown renders tables (as Schema returns them) as the Markdown of
// docs/schema.md.
func SchemaMarkdown(tables []store.TableSchema) string {
	var b strings.Builder
	b.WriteString(`# The tables homesoc keeps

<!-- Generated from the migrations of the embedded DuckDB store: do not edit.
     Regenerate with: go test ./internal/store/engine -run TestSchemaDoc -update -->

This is the schema of the default, embedded DuckDB store, as its migrations
build it; rules (` + "`rules/*.sql`" + `) and ` + "`homesoc query`" + ` read these tables. ClickHouse
keeps the same tables and columns with ClickHouse types (` + "`indicators`" + `,
` + "`alerts`" + ` and ` + "`allowances`" + ` are views there over versioned tables):
` + "`homesoc --store clickhouse://HOST:9000/DB schema`" + ` prints them. Every column
is NOT NULL: an omitted value takes its default. Times are UTC at whole
seconds; IP addresses are canonical text.
`)
	for _, t := range tables {
		fmt.Fprintf(&b, "\n## %s\n\n", t.Name)
		if t.Kind != "table" {
			fmt.Fprintf(&b, "(a %s)\n\n", t.Kind)
		}
		if d := tableDocs[t.Name]; d != "" {
			b.WriteString(d + "\n\n")
		}
		b.WriteString("| column | type | default | meaning |\n|---|---|---|---|\n")
		for _, c := range t.Columns {
			def := ""
			if c.Default != "" {
				def = "`" + cell(c.Default) + "`"
			}
			doc := c.Comment
			if doc == "" {
				doc = columnDocs[t.Name+"."+c.Name]
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.Name, c.Type, def, cell(doc))
		}
	}
	return b.String()
}

// cell is s fit for a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func init() {
	for name, doc := range map[string]string{
		"scans":              "Scans of exposed addresses, our own or imported from nmap XML, one row per scan; see `homesoc scan list`.",
		"scan_hosts":         "The hosts of each scan, with the counts of closed and filtered ports that are not listed.",
		"scan_ports":         "The ports each scan lists (open, open|filtered, and those found closed or filtered explicitly), with the service found.",
		"allowances":         "The intended-port allowlist: ports meant to be reachable on an address, device or user's router, which raise no tickets.",
		"upnp_listings":      "Each read of a router's UPnP IGD port mapping table.",
		"upnp_mappings":      "The port mappings each read of an IGD listed: which inside client asked to open which outside port.",
		"allowance_versions": "(ClickHouse) Every version of every allowance, removals included; the view `allowances` reads the latest.",
	} {
		tableDocs[name] = doc
	}
}
