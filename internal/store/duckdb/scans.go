package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/netip"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/intended"
	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store"
)

// scanMigration makes the tables of scans, the intended-port allowlist and
// UPnP mappings (issue 9), with store.ScanComments on their columns.
var scanMigration = `CREATE TABLE scans (
		id           VARCHAR   NOT NULL,
		source       VARCHAR   NOT NULL DEFAULT '',
		args         VARCHAR   NOT NULL DEFAULT '',
		tcp_ports    VARCHAR   NOT NULL DEFAULT '',
		udp_ports    VARCHAR   NOT NULL DEFAULT '',
		started      TIMESTAMP NOT NULL,
		finished     TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00',
		hosts        INTEGER   NOT NULL DEFAULT 0,
		hosts_up     INTEGER   NOT NULL DEFAULT 0,
		listed_ports INTEGER   NOT NULL DEFAULT 0,
		open_ports   INTEGER   NOT NULL DEFAULT 0,
		stored_at    TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00'
	);
	CREATE TABLE scan_hosts (
		scan_id      VARCHAR   NOT NULL,
		host_index   INTEGER   NOT NULL DEFAULT 0,
		addr         VARCHAR   NOT NULL,
		hostname     VARCHAR   NOT NULL DEFAULT '',
		status       VARCHAR   NOT NULL DEFAULT '',
		started      TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00',
		finished     TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00',
		srtt_s       DOUBLE    NOT NULL DEFAULT 0,
		closed_tcp   INTEGER   NOT NULL DEFAULT 0,
		closed_udp   INTEGER   NOT NULL DEFAULT 0,
		filtered_tcp INTEGER   NOT NULL DEFAULT 0,
		filtered_udp INTEGER   NOT NULL DEFAULT 0
	);
	CREATE TABLE scan_ports (
		scan_id      VARCHAR   NOT NULL,
		host_index   INTEGER   NOT NULL DEFAULT 0,
		port_index   INTEGER   NOT NULL DEFAULT 0,
		addr         VARCHAR   NOT NULL,
		hostname     VARCHAR   NOT NULL DEFAULT '',
		host_status  VARCHAR   NOT NULL DEFAULT '',
		port         INTEGER   NOT NULL,
		proto        VARCHAR   NOT NULL,
		state        VARCHAR   NOT NULL,
		reason       VARCHAR   NOT NULL DEFAULT '',
		service      VARCHAR   NOT NULL DEFAULT '',
		guessed      UTINYINT  NOT NULL DEFAULT 0,
		product      VARCHAR   NOT NULL DEFAULT '',
		version      VARCHAR   NOT NULL DEFAULT '',
		info         VARCHAR   NOT NULL DEFAULT '',
		os           VARCHAR   NOT NULL DEFAULT '',
		evidence     VARCHAR   NOT NULL DEFAULT '{}',
		rtt_s        DOUBLE    NOT NULL DEFAULT 0,
		probe_s      DOUBLE    NOT NULL DEFAULT 0,
		scan_started TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00'
	);
	CREATE TABLE allowances (
		id        VARCHAR   NOT NULL,
		address   VARCHAR   NOT NULL DEFAULT '',
		device_id VARCHAR   NOT NULL DEFAULT '',
		user_name VARCHAR   NOT NULL DEFAULT '',
		port      INTEGER   NOT NULL,
		proto     VARCHAR   NOT NULL,
		reason    VARCHAR   NOT NULL DEFAULT '',
		author    VARCHAR   NOT NULL DEFAULT '',
		created   TIMESTAMP NOT NULL,
		expires   TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00'
	);
	CREATE TABLE upnp_listings (
		igd      VARCHAR   NOT NULL,
		seen     TIMESTAMP NOT NULL,
		mappings INTEGER   NOT NULL DEFAULT 0,
		external_ip VARCHAR NOT NULL DEFAULT ''
	);
	CREATE TABLE upnp_mappings (
		igd             VARCHAR   NOT NULL,
		seen            TIMESTAMP NOT NULL,
		remote_host     VARCHAR   NOT NULL DEFAULT '',
		external_port   INTEGER   NOT NULL,
		proto           VARCHAR   NOT NULL,
		internal_client VARCHAR   NOT NULL DEFAULT '',
		internal_port   INTEGER   NOT NULL DEFAULT 0,
		enabled         UTINYINT  NOT NULL DEFAULT 1,
		description     VARCHAR   NOT NULL DEFAULT '',
		lease_s         BIGINT    NOT NULL DEFAULT 0
	);
` + columnComments(store.ScanComments)

// columnComments is the COMMENT ON COLUMN statements of cs.
func columnComments(cs []store.ColumnComment) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "\tCOMMENT ON COLUMN %s.%s IS %s;\n", c.Table, c.Column, quote(c.Comment))
	}
	return b.String()
}

// querier is how the shared readers of package store query this store.
func (s *Store) querier() store.Querier {
	return store.Querier{In: "IN", Query: func(ctx context.Context, q string, args ...any) (store.QueryRows, error) {
		return s.db.QueryContext(ctx, q, args...)
	}}
}

// WriteScan implements store.Store: the scan's rows are staged, then
// inserted in one transaction, unless a scan of its id is stored.
func (s *Store) WriteScan(ctx context.Context, sc scan.Scan) (string, error) {
	id, scanRow, hosts, ports, err := store.ScanRows(sc, store.Now())
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int
	if err := s.conn.QueryRowContext(ctx, `SELECT count(*) FROM scans WHERE id = ?`, id).Scan(&n); err != nil {
		return "", fmt.Errorf("write scan %s: %w", id, err)
	}
	if n > 0 {
		return id, nil
	}
	for _, st := range []struct {
		table string
		rows  [][]any
	}{{"scans", [][]any{scanRow}}, {"scan_hosts", hosts}, {"scan_ports", ports}} {
		if err := s.stageRows(ctx, st.table, st.rows); err != nil {
			return "", fmt.Errorf("write scan %s: %w", id, err)
		}
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"scans", "scan_hosts", "scan_ports"} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+t+` SELECT * FROM stage_`+t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("write scan %s: %w", id, err)
	}
	return id, nil
}

// stageRows puts rows into a temporary copy of table, stage_<table>,
// emptied first.
func (s *Store) stageRows(ctx context.Context, table string, rows [][]any) error {
	if err := s.stage(ctx, "stage_"+table, table); err != nil {
		return err
	}
	return s.appendRows(ctx, "temp", "stage_"+table, func(a *duckdb.Appender) error {
		for _, r := range rows {
			if err := a.AppendRow(toDriver(r)...); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		return nil
	})
}

// toDriver is a shared row as the Appender takes it.
func toDriver(r []any) []driver.Value {
	out := make([]driver.Value, len(r))
	for i, v := range r {
		out[i] = v
	}
	return out
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

// AddAllowance implements store.Store; an allowance of a stored id
// replaces it.
func (s *Store) AddAllowance(ctx context.Context, a intended.Allowance) (intended.Allowance, error) {
	a, row, err := store.PrepareAllowance(a, store.Now())
	if err != nil {
		return a, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM allowances WHERE id = ?`, a.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO allowances (`+store.AllowanceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, row...)
		return err
	})
	if err != nil {
		return a, fmt.Errorf("add allowance %s: %w", a.ID, err)
	}
	return a, nil
}

// Allowances implements store.Store.
func (s *Store) Allowances(ctx context.Context, includeExpired bool) ([]intended.Allowance, error) {
	return store.ReadAllowances(ctx, s.querier(), includeExpired, time.Now())
}

// RemoveAllowance implements store.Store.
func (s *Store) RemoveAllowance(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.conn.ExecContext(ctx, `DELETE FROM allowances WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("remove allowance %s: %w", id, err)
	}
	if rowsAffected(res) == 0 {
		return fmt.Errorf("remove allowance %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// WriteMappings implements store.Store.
func (s *Store) WriteMappings(ctx context.Context, l store.MappingListing) error {
	igd := l.IGD
	listing, mappings, err := store.MappingRows(l)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int
	if err := s.conn.QueryRowContext(ctx, `SELECT count(*) FROM upnp_listings WHERE igd = ? AND seen = ?`, listing[0], listing[1]).Scan(&n); err != nil {
		return fmt.Errorf("write mappings of %s: %w", igd, err)
	}
	if n > 0 {
		return nil
	}
	if err := s.stageRows(ctx, "upnp_mappings", mappings); err != nil {
		return fmt.Errorf("write mappings of %s: %w", igd, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO upnp_listings (`+store.ListingColumns+`) VALUES (?, ?, ?, ?)`, listing...); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO upnp_mappings SELECT * FROM stage_upnp_mappings`)
		return err
	})
	if err != nil {
		return fmt.Errorf("write mappings of %s: %w", igd, err)
	}
	return nil
}

// Mappings implements store.Store.
func (s *Store) Mappings(ctx context.Context, igd string, since time.Time) ([]store.MappingListing, error) {
	return store.ReadMappings(ctx, s.querier(), igd, since)
}
