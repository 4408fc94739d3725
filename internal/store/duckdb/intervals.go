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

// VPNIntervals implements store.Store: the spans are a VALUES list joined
// on address and overlap, so only the intervals asked come back (the Go
// driver's cost is per value read).
func (s *Store) VPNIntervals(ctx context.Context, spans []identity.Query) ([]identity.Interval, error) {
	if len(spans) == 0 {
		return nil, nil
	}
	var b strings.Builder
	for i, q := range spans {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "('%s',%d,%d)", store.AddrText(q.Addr.Unmap()), event.SecondsUTC(q.From).Unix(), event.SecondsUTC(q.To).Unix())
	}
	return store.ReadVPNIntervals(ctx, s.querier(), `SELECT CAST(id AS VARCHAR), `+store.IntervalColumnsAfterID+`
		FROM vpn_intervals WHERE id IN (SELECT v.id FROM vpn_intervals v
			JOIN (VALUES `+b.String()+`) q(addr, f, t) ON v.assigned_ip = q.addr
			WHERE v.start_time <= to_timestamp(q.t)::TIMESTAMP AND v.end_time >= to_timestamp(q.f)::TIMESTAMP)
		ORDER BY start_time, assigned_ip, id`)
}

// DeviceRecords implements store.Store.
func (s *Store) DeviceRecords(ctx context.Context, addrs []netip.Addr, from, to time.Time) ([]identity.DeviceRecord, error) {
	if len(addrs) == 0 {
		return nil, nil
	}
	return store.ReadDeviceRecords(ctx, s.querier(), store.DeviceRecordsQuery("IN "+store.InList(addrs), "CAST(id AS VARCHAR)", "CAST(event_id AS VARCHAR)"),
		event.SecondsUTC(from), event.SecondsUTC(to))
}
