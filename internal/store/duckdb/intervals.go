package duckdb

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store"
)

// ReplaceVPNIntervals implements store.Store: the changed intervals are
// staged, then in one transaction the changed and removed ones are deleted,
// the staged inserted and the spans recorded.
func (s *Store) ReplaceVPNIntervals(ctx context.Context, from, to time.Time, ivs []identity.Interval) (store.IntervalCounts, error) {
	from, to = event.SecondsUTC(from), event.SecondsUTC(to)
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, err := store.ReadVPNIntervals(ctx, s.querier(), store.IntervalsByStart("CAST(id AS VARCHAR)"), from, to)
	if err != nil {
		return store.IntervalCounts{}, fmt.Errorf("replace vpn intervals: %w", err)
	}
	write, remove, spans, c := store.DiffIntervals(stored, ivs)
	if len(write)+len(remove) == 0 {
		return c, nil
	}
	now := store.Now()
	rows := make([][]any, len(write))
	for i := range write {
		rows[i] = append([]any{duckdb.UUID(write[i].ID)}, store.IntervalRow(&write[i], now)...)
	}
	if err := s.stageRows(ctx, "vpn_intervals", rows); err != nil {
		return store.IntervalCounts{}, fmt.Errorf("replace vpn intervals: %w", err)
	}
	gone := make([]string, 0, len(remove)+1)
	gone = append(gone, "'00000000-0000-0000-0000-000000000000'")
	for _, iv := range remove {
		gone = append(gone, "'"+iv.ID.String()+"'")
	}
	err = s.inWriteTx(ctx, func() error {
		if _, err := s.conn.ExecContext(ctx, `DELETE FROM vpn_intervals WHERE id IN (SELECT id FROM stage_vpn_intervals)
			OR id IN (`+strings.Join(gone, ",")+`)`); err != nil {
			return err
		}
		if _, err := s.conn.ExecContext(ctx, `INSERT INTO vpn_intervals SELECT * FROM stage_vpn_intervals`); err != nil {
			return err
		}
		return s.recordIngest(context.WithoutCancel(ctx), spans)
	})
	if err != nil {
		return store.IntervalCounts{}, fmt.Errorf("replace vpn intervals: %w", err)
	}
	return c, nil
}

// VPNFacts implements store.Store.
func (s *Store) VPNFacts(ctx context.Context, from, to time.Time) ([]event.VPNSession, error) {
	return store.ReadVPNFacts(ctx, s.querier(), "CAST(id AS VARCHAR)", event.SecondsUTC(from), event.SecondsUTC(to))
}

// VPNIntervals implements store.Store.
func (s *Store) VPNIntervals(ctx context.Context, addrs []netip.Addr, from, to time.Time) ([]identity.Interval, error) {
	if len(addrs) == 0 {
		return nil, nil
	}
	return store.ReadVPNIntervals(ctx, s.querier(), `SELECT CAST(id AS VARCHAR), `+store.IntervalColumnsAfterID+`
		FROM vpn_intervals WHERE assigned_ip IN `+store.InList(addrs)+` AND start_time <= ? AND end_time >= ?
		ORDER BY start_time, assigned_ip, id`,
		event.SecondsUTC(to), event.SecondsUTC(from))
}

// DeviceRecords implements store.Store.
func (s *Store) DeviceRecords(ctx context.Context, addrs []netip.Addr, from, to time.Time) ([]identity.DeviceRecord, error) {
	if len(addrs) == 0 {
		return nil, nil
	}
	return store.ReadDeviceRecords(ctx, s.querier(), store.DeviceRecordsQuery(addrs, "CAST(id AS VARCHAR)", "CAST(event_id AS VARCHAR)"),
		event.SecondsUTC(from), event.SecondsUTC(to))
}
