package clickhouse

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store"
)

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

// intervalsFinal selects the latest versions of vpn_intervals not removed,
// where is a condition on the sorting key's columns (assigned_ip,
// start_time), the same in every version of an id and so safe to filter
// on before the versions collapse (even moved to PREWHERE); after is a
// condition on the other columns, applied to the latest versions. By start.
func (s *Store) intervalsFinal(where, after string) string {
	q := `SELECT toString(id), ` + store.IntervalColumnsAfterID + `
		FROM (SELECT * FROM ` + s.layout().stored("vpn_intervals") + ` FINAL WHERE ` + where + `) WHERE removed = 0`
	if after != "" {
		q += " AND " + after
	}
	return q + " ORDER BY start_time, assigned_ip, id"
}

// ReplaceVPNIntervals implements store.Store: a new version of each
// interval written, a version with removed = 1 of each removed.
func (s *Store) ReplaceVPNIntervals(ctx context.Context, from, to time.Time, ivs []identity.Interval) (store.IntervalCounts, error) {
	from, to = storedTime(from), storedTime(to)
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, err := store.ReadVPNIntervals(ctx, s.querier(), s.intervalsFinal("start_time BETWEEN ? AND ?", ""), from, to)
	if err != nil {
		return store.IntervalCounts{}, fmt.Errorf("replace vpn intervals: %w", err)
	}
	write, remove, spans, c := store.DiffIntervals(stored, ivs)
	if len(write)+len(remove) == 0 {
		return c, nil
	}
	now := store.Now()
	version := s.nextVersion(0)
	rows := make([][]any, 0, len(write)+len(remove))
	for i := range write {
		rows = append(rows, s.intervalRow(&write[i], now, 0, version))
	}
	for i := range remove {
		rows = append(rows, s.intervalRow(&remove[i], now, 1, version))
	}
	cols := append(strings.Split(strings.Join(strings.Fields(store.VPNIntervalColumns), " "), ", "), "removed", "version")
	if err := s.insertRows(ctx, s.layout().stored("vpn_intervals"), cols, rows); err != nil {
		return store.IntervalCounts{}, fmt.Errorf("replace vpn intervals: %w", err)
	}
	if err := s.recordIngest(ctx, spans); err != nil {
		return c, fmt.Errorf("replace vpn intervals: %w", err)
	}
	return c, nil
}

// intervalRow is a version of an interval, as insertRows takes it.
func (s *Store) intervalRow(iv *identity.Interval, now time.Time, removed uint8, version uint64) []any {
	row := append([]any{uuid.UUID(iv.ID)}, store.IntervalRow(iv, now)...)
	for i, v := range row {
		if t, ok := v.(time.Time); ok {
			row[i] = storedTime(t)
		}
	}
	return append(row, removed, version)
}

// VPNFacts implements store.Store.
func (s *Store) VPNFacts(ctx context.Context, from, to time.Time) ([]event.VPNSession, error) {
	return store.ReadVPNFacts(ctx, s.querier(), "toString(id)", storedTime(from), storedTime(to))
}

// VPNIntervals implements store.Store: assigned_ip and start_time bound
// the parts read through the sorting key.
// The spans' addresses and whole range are asked, not each span: columns
// come back typed over the native protocol, cheap enough per row.
func (s *Store) VPNIntervals(ctx context.Context, spans []identity.Query) ([]identity.Interval, error) {
	if len(spans) == 0 {
		return nil, nil
	}
	addrs, from, to := store.SpanAddrs(spans)
	ctx, in, err := s.addrTable(ctx, addrs)
	if err != nil {
		return nil, fmt.Errorf("read vpn intervals: %w", err)
	}
	return store.ReadVPNIntervals(ctx, s.querier(),
		s.intervalsFinal("assigned_ip "+in+" AND start_time <= ?", "end_time >= ?"),
		storedTime(to), storedTime(from))
}

// DeviceRecords implements store.Store.
func (s *Store) DeviceRecords(ctx context.Context, addrs []netip.Addr, from, to time.Time) ([]identity.DeviceRecord, error) {
	if len(addrs) == 0 {
		return nil, nil
	}
	ctx, in, err := s.addrTable(ctx, addrs)
	if err != nil {
		return nil, fmt.Errorf("read device records: %w", err)
	}
	return store.ReadDeviceRecords(ctx, s.querier(), store.DeviceRecordsQuery(in, "toString(id)", "toString(event_id)"),
		storedTime(from), storedTime(to))
}

// addrTable sends addrs along with the query as the external table
// _addrs (a list of literals would pass the server's max_query_size for a
// batch of thousands), and returns the context that carries it and the
// condition "IN _addrs" (GLOBAL IN on a cluster).
func (s *Store) addrTable(ctx context.Context, addrs []netip.Addr) (context.Context, string, error) {
	texts := make([]string, 0, len(addrs))
	for _, a := range addrs {
		texts = append(texts, store.AddrText(a.Unmap()))
	}
	t, err := externalTable("_addrs", []string{"addr String"}, texts)
	if err != nil {
		return ctx, "", err
	}
	return withTables(ctx, t), s.in() + " _addrs", nil
}
