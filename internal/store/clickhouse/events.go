package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/google/uuid"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// networkColumns are the network_events columns WriteNetwork fills, in the
// order insertNetwork and appendRowBinary give their values.
const networkColumns = `event_id, time, end_time, duration_s, kind, action, direction, protocol,
	src_ip, src_port, dst_ip, dst_port, bytes_out, bytes_in, packets_out, packets_in, ttl, tcp_flags,
	in_iface, out_iface, nat_ip, device_id, hostname, user_name, sensor, format, status, raw,
	rule_name, icmp_type, icmp_code, src_mac, dst_mac, ip_id, tcp_window, packet_len, flow_uid, service,
	src_scope, dst_scope`

// WriteNetwork implements store.Store.
//
// Repeats within evs are dropped in Go, keeping the first. Event ids hash the
// record, which includes its time, so a stored duplicate always falls inside
// the batch's time range: when that range holds stored events, the ids among
// them that the batch repeats are fetched (the batch's ids go along as an
// external table) and skipped; a range that holds none (a first ingest) costs
// one count. The check runs under the write lock, so the rows it lets through
// are exactly the new ones; a duplicate written meanwhile by another process
// is removed by the next merge (see the package comment).
func (s *Store) WriteNetwork(ctx context.Context, evs []event.Network) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	rows, lo, hi := event.Distinct(evs)
	lo, hi = storedTime(lo), storedTime(hi)

	stored, err := s.storedEvents(ctx, evs, rows, lo, hi)
	if err != nil {
		return 0, fmt.Errorf("find stored events: %w", err)
	}
	if len(stored) > 0 {
		fresh := rows[:0]
		for _, i := range rows {
			if _, ok := stored[uuid.UUID(evs[i].ID)]; !ok {
				fresh = append(fresh, i)
			}
		}
		rows = fresh
	}
	if len(rows) == 0 {
		return 0, nil
	}
	if err := s.insertNetwork(ctx, evs, rows); err != nil {
		return 0, fmt.Errorf("insert network events: %w", err)
	}
	if err := s.recordIngest(ctx, store.NetworkSpans(evs, rows)); err != nil {
		return len(rows), err
	}
	return len(rows), nil
}

// storedEvents returns the ids of evs[rows] stored with a time in [lo, hi].
func (s *Store) storedEvents(ctx context.Context, evs []event.Network, rows []int32, lo, hi time.Time) (map[uuid.UUID]struct{}, error) {
	var inRange uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM network_events WHERE time BETWEEN ? AND ?`,
		lo, hi).Scan(&inRange); err != nil {
		return nil, err
	}
	if inRange == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for j, i := range rows {
		ids[j] = uuid.UUID(evs[i].ID)
	}
	batch, err := externalTable("_batch", []string{"event_id UUID"}, ids)
	if err != nil {
		return nil, err
	}
	res, err := s.conn.Query(withTables(ctx, batch), `SELECT event_id FROM network_events
		WHERE time BETWEEN ? AND ? AND event_id `+s.in()+` _batch`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	stored := map[uuid.UUID]struct{}{}
	var id uuid.UUID
	for res.Next() {
		if err := res.Scan(&id); err != nil {
			return nil, err
		}
		stored[id] = struct{}{}
	}
	return stored, res.Err()
}

// insertNetwork inserts evs[rows] into network_events: over HTTP if the
// store has an HTTP inserter, else natively, column by column.
func (s *Store) insertNetwork(ctx context.Context, evs []event.Network, rows []int32) error {
	if s.http != nil {
		return s.http.insert(ctx, evs, rows)
	}
	n := len(rows)
	var (
		ids                                  = make([]uuid.UUID, n)
		times, ends                          = make([]int64, n), make([]int64, n)
		durations                            = make([]float64, n)
		srcPorts, dstPorts, ttls             = make([]int32, n), make([]int32, n), make([]int32, n)
		bytesOut, bytesIn, pktsOut, pktsIn   = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		kinds, actions, directions, protos   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		srcIPs, dstIPs, natIPs, flags        = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		inIfaces, outIfaces, devices, hosts  = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		users, sensors, formats, statuses    = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		raws, rules, srcMACs, dstMACs        = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		uids, services                       = make([]string, n), make([]string, n)
		srcScopes, dstScopes                 = make([]string, n), make([]string, n)
		icmpTypes, icmpCodes, ipIDs, windows = make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
		packetLens                           = make([]int64, n)
	)
	var scopes store.ScopeCache
	for j, i := range rows {
		ev := &evs[i]
		ids[j] = uuid.UUID(ev.ID)
		times[j] = int64(dateTime(ev.Time))
		if ev.EndTime.IsZero() {
			ends[j] = times[j]
		} else {
			ends[j] = int64(dateTime(ev.EndTime))
		}
		durations[j] = ev.DurationS
		kinds[j], actions[j], directions[j], protos[j] = ev.Kind, ev.Action, ev.Direction, ev.Protocol
		srcIPs[j], srcPorts[j] = store.AddrText(ev.SrcIP), int32(ev.SrcPort)
		dstIPs[j], dstPorts[j] = store.AddrText(ev.DstIP), int32(ev.DstPort)
		bytesOut[j], bytesIn[j] = int64(ev.BytesOut), int64(ev.BytesIn)
		pktsOut[j], pktsIn[j] = int64(ev.PacketsOut), int64(ev.PacketsIn)
		ttls[j], flags[j] = int32(ev.TTL), ev.TCPFlags
		inIfaces[j], outIfaces[j], natIPs[j] = ev.InIface, ev.OutIface, store.AddrText(ev.NATIP)
		devices[j], hosts[j], users[j] = ev.DeviceID, ev.Hostname, ev.UserName
		sensors[j], formats[j], statuses[j], raws[j] = ev.Sensor, ev.Format, ev.Status, ev.Raw
		rules[j], icmpTypes[j], icmpCodes[j] = ev.RuleName, int32(ev.ICMPType), int32(ev.ICMPCode)
		srcMACs[j], dstMACs[j], ipIDs[j], windows[j] = ev.SrcMAC, ev.DstMAC, int32(ev.IPID), int32(ev.TCPWindow)
		packetLens[j], uids[j], services[j] = int64(ev.PacketLen), ev.FlowUID, ev.Service
		srcScopes[j], dstScopes[j] = scopes.Text(ev.SrcIP), scopes.Text(ev.DstIP)
	}
	return s.insertColumns(ctx, "network_events", networkColumns, ids, times, ends, durations,
		kinds, actions, directions, protos, srcIPs, srcPorts, dstIPs, dstPorts,
		bytesOut, bytesIn, pktsOut, pktsIn, ttls, flags, inIfaces, outIfaces, natIPs,
		devices, hosts, users, sensors, formats, statuses, raws,
		rules, icmpTypes, icmpCodes, srcMACs, dstMACs, ipIDs, windows, packetLens, uids, services,
		srcScopes, dstScopes)
}

// WriteRejects implements store.Store. A line rejected again (the same
// source, line number and text, as when a file is ingested twice) is kept
// once. A String holds any bytes, so raw keeps the line's own bytes and
// Rejects encodes them as DuckDB stores them (event.EncodeRaw).
func (s *Store) WriteRejects(ctx context.Context, rs []event.Reject) error {
	if len(rs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type key struct {
		source string
		line   int64
		raw    string
	}
	seen := make(map[key]struct{}, len(rs))
	var sources, raws []string
	var lines []int64
	var fresh []event.Reject
	for _, r := range rs {
		r = r.Stored()
		if r.RawEncoding == event.RawEscaped {
			r.Raw = string(r.RawBytes())
		}
		k := key{r.Source, r.Line, r.Raw}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		fresh = append(fresh, r)
		sources, lines, raws = append(sources, r.Source), append(lines, r.Line), append(raws, r.Raw)
	}
	batch, err := externalTable("_batch", []string{"source String", "line Int64", "raw String"}, sources, lines, raws)
	if err != nil {
		return fmt.Errorf("find stored rejects: %w", err)
	}
	res, err := s.conn.Query(withTables(ctx, batch), `SELECT source, line, raw FROM rejects
		WHERE (source, line, raw) `+s.in()+` _batch`)
	if err != nil {
		return fmt.Errorf("find stored rejects: %w", err)
	}
	defer res.Close()
	for res.Next() {
		var k key
		if err := res.Scan(&k.source, &k.line, &k.raw); err != nil {
			return fmt.Errorf("find stored rejects: %w", err)
		}
		delete(seen, k)
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("find stored rejects: %w", err)
	}
	if len(seen) == 0 {
		return nil
	}
	var times []int64
	var formats, reasons []string
	sources, lines, raws = sources[:0], lines[:0], raws[:0]
	for _, r := range fresh {
		if _, ok := seen[key{r.Source, r.Line, r.Raw}]; !ok {
			continue
		}
		times, formats, reasons = append(times, int64(dateTime(r.Time))), append(formats, r.Format), append(reasons, r.Reason)
		sources, lines, raws = append(sources, r.Source), append(lines, r.Line), append(raws, r.Raw)
	}
	if err := s.insertColumns(ctx, "rejects", "time, source, line, format, reason, raw",
		times, sources, lines, formats, reasons, raws); err != nil {
		return fmt.Errorf("insert rejects: %w", err)
	}
	return nil
}

// Rejects implements store.Store.
func (s *Store) Rejects(ctx context.Context, since time.Time, limit int) ([]event.Reject, int, error) {
	since = storedTime(since)
	var total uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM rejects FINAL WHERE time >= ?`, since).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count rejects: %w", err)
	}
	rows, err := s.conn.Query(ctx, `SELECT time, source, line, format, reason, raw FROM rejects FINAL
		WHERE time >= ? ORDER BY time, source, line LIMIT ?`, since, max(limit, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("read rejects: %w", err)
	}
	defer rows.Close()
	var out []event.Reject
	for rows.Next() {
		var r event.Reject
		if err := rows.Scan(&r.Time, &r.Source, &r.Line, &r.Format, &r.Reason, &r.Raw); err != nil {
			return nil, 0, fmt.Errorf("read rejects: %w", err)
		}
		r.Time = r.Time.UTC()
		r.Raw, r.RawEncoding = event.EncodeRaw(r.Raw)
		out = append(out, r)
	}
	return out, int(total), rows.Err()
}

// in is the IN operator that takes an external table: on a cluster the
// shards lack the table, and GLOBAL IN sends it along.
func (s *Store) in() string {
	if s.cluster != "" {
		return "GLOBAL IN"
	}
	return "IN"
}

// externalTable returns a temporary table for a query, with columns given as
// "name Type" and their values as slices of equal length.
func externalTable(name string, columns []string, values ...any) (*ext.Table, error) {
	cols := make([]func(*ext.Table) error, len(columns))
	for i, c := range columns {
		n, typ, _ := cutSpace(c)
		cols[i] = ext.Column(n, column.Type(typ))
	}
	t, err := ext.NewTable(name, cols...)
	if err != nil {
		return nil, err
	}
	for i, v := range values {
		if _, err := t.Block().Columns[i].Append(v); err != nil {
			return nil, fmt.Errorf("external table %s: column %s: %w", name, columns[i], err)
		}
	}
	return t, nil
}
