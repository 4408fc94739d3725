package clickhouse

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/intended"
	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store"
)

// scanMigration makes the tables of scans, the intended-port allowlist and
// UPnP mappings (issue 9), with store.ScanComments on their columns.
//
// A scan and a listing never change once written: scans, scan_hosts,
// scan_ports, upnp_listings and upnp_mappings are append-only, their writers
// skip an id (a listing's IGD and time) already stored, and they are
// ReplacingMergeTrees whose sorting key is the row's identity, so a
// duplicate a race lets in merges away. Unpartitioned: a baseline scan stays
// as long as the exposure it documents, whatever retention drops of events.
// Allowances change (re-added, removed): each change appends a version to
// allowance_versions, removal a version with removed = 1, and the view
// allowances reads the latest versions that are not removed.
var scanMigration = migration{tables: []table{
	{
		name: "scans",
		columns: `id           String,
			source       String,
			args         String,
			tcp_ports    String,
			udp_ports    String,
			started      DateTime('UTC'),
			finished     DateTime('UTC'),
			hosts        Int32,
			hosts_up     Int32,
			listed_ports Int32,
			open_ports   Int32,
			stored_at    DateTime('UTC')`,
		engine: "ReplacingMergeTree",
		order:  "id",
		shard:  "cityHash64(id)",
	},
	{
		name: "scan_hosts",
		columns: `scan_id      String,
			host_index   Int32,
			addr         String,
			hostname     String,
			status       String,
			started      DateTime('UTC'),
			finished     DateTime('UTC'),
			srtt_s       Float64,
			closed_tcp   Int32,
			closed_udp   Int32,
			filtered_tcp Int32,
			filtered_udp Int32`,
		engine: "ReplacingMergeTree",
		order:  "(scan_id, host_index)",
		shard:  "cityHash64(scan_id)",
	},
	{
		name: "scan_ports",
		columns: `scan_id      String,
			host_index   Int32,
			port_index   Int32,
			addr         String,
			hostname     String,
			host_status  String,
			port         Int32,
			proto        String,
			state        String,
			reason       String,
			service      String,
			guessed      UInt8,
			product      String,
			version      String,
			info         String,
			os           String,
			evidence     String DEFAULT '{}',
			rtt_s        Float64,
			probe_s      Float64,
			scan_started DateTime('UTC')`,
		engine: "ReplacingMergeTree",
		order:  "(scan_id, host_index, port_index)",
		shard:  "cityHash64(scan_id)",
	},
	{
		name: "allowance_versions",
		columns: `id        String,
			address   String,
			device_id String,
			user_name String,
			port      Int32,
			proto     String,
			reason    String,
			author    String,
			created   DateTime('UTC'),
			expires   DateTime('UTC'),
			removed   UInt8,
			version   UInt64`,
		engine: "ReplacingMergeTree(version)",
		order:  "id",
		shard:  "cityHash64(id)",
	},
	{
		name: "upnp_listings",
		columns: `igd         String,
			seen        DateTime('UTC'),
			mappings    Int32,
			external_ip String`,
		engine: "ReplacingMergeTree",
		order:  "(igd, seen)",
		shard:  "cityHash64(igd)",
	},
	{
		name: "upnp_mappings",
		columns: `igd             String,
			seen            DateTime('UTC'),
			remote_host     String,
			external_port   Int32,
			proto           String,
			internal_client String,
			internal_port   Int32,
			enabled         UInt8 DEFAULT 1,
			description     String,
			lease_s         Int64`,
		engine: "ReplacingMergeTree",
		order:  "(igd, seen, proto, external_port, remote_host)",
		shard:  "cityHash64(igd)",
	},
},
	// The latest versions first, then the removed dropped: a WHERE beside
	// FINAL may be moved to PREWHERE, which filters before the versions
	// collapse, and a removed allowance would come back.
	views: []view{{"allowances", `SELECT id, address, device_id, user_name, port, proto, reason, author, created, expires
		FROM (SELECT * FROM {db}.allowance_versions FINAL) WHERE removed = 0`}},
	columns: scanComments(),
}

// scanComments are store.ScanComments as comment-only added columns; an
// allowances comment goes on allowance_versions, under the view.
func scanComments() []addedColumn {
	var out []addedColumn
	for _, c := range store.ScanComments {
		t := c.Table
		if v, ok := versioned[t]; ok {
			t = v
		}
		out = append(out, addedColumn{table: t, name: c.Column, comment: c.Comment})
	}
	return out
}

// querier is how the shared readers of package store query this store.
func (s *Store) querier() store.Querier {
	return store.Querier{In: s.in(), Query: func(ctx context.Context, q string, args ...any) (store.QueryRows, error) {
		return s.conn.Query(ctx, q, args...)
	}}
}

// exists reports whether a query for count() finds any row.
func (s *Store) exists(ctx context.Context, q string, args ...any) (bool, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// WriteScan implements store.Store: ports, then hosts, then the scan row,
// so that a scan listed is whole; a scan whose id is stored is skipped.
func (s *Store) WriteScan(ctx context.Context, sc scan.Scan) (string, error) {
	id, scanRow, hosts, ports, err := store.ScanRows(sc, store.Now())
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.layout()
	if ok, err := s.exists(ctx, `SELECT count() FROM scans WHERE id = ?`, id); err != nil || ok {
		if err != nil {
			return "", fmt.Errorf("write scan %s: %w", id, err)
		}
		return id, nil
	}
	// A write interrupted before the scan row leaves hosts and ports that a
	// retry writes again, and the ReplacingMergeTrees merge away.
	for _, w := range []struct {
		table, cols string
		rows        [][]any
	}{
		{"scan_ports", store.ScanPortColumns, ports},
		{"scan_hosts", store.ScanHostColumns, hosts},
		{"scans", store.ScanColumns, [][]any{scanRow}},
	} {
		if len(w.rows) == 0 {
			continue
		}
		if err := s.insertRows(ctx, l.stored(w.table), strings.Split(w.cols, ", "), w.rows); err != nil {
			return "", fmt.Errorf("write scan %s: %s: %w", id, w.table, err)
		}
	}
	return id, nil
}

// Scans implements store.Store.
func (s *Store) Scans(ctx context.Context, f store.ScanFilter) ([]store.ScanSummary, error) {
	return store.ReadScans(ctx, s.querier(), f)
}

// Scan implements store.Store.
func (s *Store) Scan(ctx context.Context, id string) (scan.Scan, error) {
	return store.ReadScan(ctx, s.querier(), id, netip.Addr{})
}

// LatestScans implements store.Store.
func (s *Store) LatestScans(ctx context.Context, target netip.Addr, n int) ([]scan.Scan, error) {
	return store.ReadLatestScans(ctx, s.querier(), target, n)
}

// AddAllowance implements store.Store: a new version of the allowance.
func (s *Store) AddAllowance(ctx context.Context, a intended.Allowance) (intended.Allowance, error) {
	a, row, err := store.PrepareAllowance(a, store.Now())
	if err != nil {
		return a, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writeAllowance(ctx, row, 0); err != nil {
		return a, fmt.Errorf("add allowance %s: %w", a.ID, err)
	}
	return a, nil
}

// writeAllowance appends a version of an allowance row (as
// store.PrepareAllowance makes it), removed or not.
func (s *Store) writeAllowance(ctx context.Context, row []any, removed uint8) error {
	cols := append(strings.Split(store.AllowanceColumns, ", "), "removed", "version")
	return s.insertRows(ctx, s.layout().stored("allowances"), cols, [][]any{append(row, removed, s.nextVersion(0))})
}

// Allowances implements store.Store.
func (s *Store) Allowances(ctx context.Context, includeExpired bool) ([]intended.Allowance, error) {
	return store.ReadAllowances(ctx, s.querier(), includeExpired, time.Now())
}

// RemoveAllowance implements store.Store: a version that marks it removed.
func (s *Store) RemoveAllowance(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.conn.Query(ctx, `SELECT `+store.AllowanceColumns+` FROM allowances WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("remove allowance %s: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("remove allowance %s: %w", id, err)
		}
		return fmt.Errorf("remove allowance %q: %w", id, store.ErrNotFound)
	}
	var (
		aid, addr, dev, user, proto, reason, author string
		port                                        int32
		created, expires                            time.Time
	)
	if err := rows.Scan(&aid, &addr, &dev, &user, &port, &proto, &reason, &author, &created, &expires); err != nil {
		return fmt.Errorf("remove allowance %s: %w", id, err)
	}
	rows.Close()
	row := []any{aid, addr, dev, user, port, proto, reason, author, created, expires}
	if err := s.writeAllowance(ctx, row, 1); err != nil {
		return fmt.Errorf("remove allowance %s: %w", id, err)
	}
	return nil
}

// WriteMappings implements store.Store: the mappings, then the listing that
// makes them visible; a listing stored already is skipped.
func (s *Store) WriteMappings(ctx context.Context, l store.MappingListing) error {
	igd := l.IGD
	listing, mappings, err := store.MappingRows(l)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok, err := s.exists(ctx, `SELECT count() FROM upnp_listings WHERE igd = ? AND seen = ?`, listing[0], listing[1]); err != nil || ok {
		if err != nil {
			return fmt.Errorf("write mappings of %s: %w", igd, err)
		}
		return nil
	}
	lay := s.layout()
	if len(mappings) > 0 {
		if err := s.insertRows(ctx, lay.stored("upnp_mappings"), strings.Split(store.MappingColumns, ", "), mappings); err != nil {
			return fmt.Errorf("write mappings of %s: %w", igd, err)
		}
	}
	if err := s.insertRows(ctx, lay.stored("upnp_listings"), strings.Split(store.ListingColumns, ", "), [][]any{listing}); err != nil {
		return fmt.Errorf("write mappings of %s: %w", igd, err)
	}
	return nil
}

// Mappings implements store.Store.
func (s *Store) Mappings(ctx context.Context, igd string, since time.Time) ([]store.MappingListing, error) {
	return store.ReadMappings(ctx, s.querier(), igd, since)
}
