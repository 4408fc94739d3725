package duckdb

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/event"
)

// networkBatchFunc is the table function that serves the batch being written
// to an INSERT ... SELECT, so that DuckDB inserts it on all its threads.
const networkBatchFunc = "homesoc_network_batch"

// insertNetworkBatch inserts the source's rows; the SELECT list turns the
// source's wire columns into network_events' types.
const insertNetworkBatch = `INSERT INTO network_events (event_id, time, end_time, duration_s,
	kind, action, direction, protocol, src_ip, src_port, dst_ip, dst_port,
	bytes_out, bytes_in, packets_out, packets_in, ttl, tcp_flags, in_iface, out_iface, nat_ip,
	device_id, hostname, user_name, sensor, format, status, raw)
SELECT event_id, make_timestamp(time_us), make_timestamp(end_time_us), duration_s,
	kind, action, direction, protocol, src_ip, src_port, dst_ip, dst_port,
	bytes_out, bytes_in, packets_out, packets_in, ttl, tcp_flags, in_iface, out_iface, nat_ip,
	device_id, hostname, user_name, sensor, format, status, raw
FROM ` + networkBatchFunc + `()`

// networkBatchKey is the context key under which insertNetwork hands its
// batch to the table function's bind, which receives the query's context.
type networkBatchKey struct{}

// networkBatch is what one INSERT stores: evs[rows[0]], evs[rows[1]], ...
type networkBatch struct {
	evs  []event.Network
	rows []int32
}

// networkColumns are the columns networkSource produces, in order.
var networkColumns = []struct {
	name string
	t    duckdb.Type
}{
	{"event_id", duckdb.TYPE_UUID}, {"time_us", duckdb.TYPE_BIGINT}, {"end_time_us", duckdb.TYPE_BIGINT},
	{"duration_s", duckdb.TYPE_DOUBLE}, {"kind", duckdb.TYPE_VARCHAR}, {"action", duckdb.TYPE_VARCHAR},
	{"direction", duckdb.TYPE_VARCHAR}, {"protocol", duckdb.TYPE_VARCHAR}, {"src_ip", duckdb.TYPE_VARCHAR},
	{"src_port", duckdb.TYPE_INTEGER}, {"dst_ip", duckdb.TYPE_VARCHAR}, {"dst_port", duckdb.TYPE_INTEGER},
	{"bytes_out", duckdb.TYPE_BIGINT}, {"bytes_in", duckdb.TYPE_BIGINT}, {"packets_out", duckdb.TYPE_BIGINT},
	{"packets_in", duckdb.TYPE_BIGINT}, {"ttl", duckdb.TYPE_INTEGER}, {"tcp_flags", duckdb.TYPE_VARCHAR},
	{"in_iface", duckdb.TYPE_VARCHAR}, {"out_iface", duckdb.TYPE_VARCHAR}, {"nat_ip", duckdb.TYPE_VARCHAR},
	{"device_id", duckdb.TYPE_VARCHAR}, {"hostname", duckdb.TYPE_VARCHAR}, {"user_name", duckdb.TYPE_VARCHAR},
	{"sensor", duckdb.TYPE_VARCHAR}, {"format", duckdb.TYPE_VARCHAR}, {"status", duckdb.TYPE_VARCHAR},
	{"raw", duckdb.TYPE_VARCHAR},
}

// insertNetwork stores b through insertNetworkBatch and returns how many
// rows DuckDB inserted. The table function is registered on first use.
func (s *Store) insertNetwork(ctx context.Context, b *networkBatch) (int64, error) {
	ctx = context.WithValue(ctx, networkBatchKey{}, b)
	res, err := s.conn.ExecContext(ctx, insertNetworkBatch)
	if err != nil && ctx.Err() == nil {
		registered, rerr := s.networkBatchRegistered(ctx)
		if rerr != nil || registered {
			return 0, errors.Join(err, rerr)
		}
		if err := duckdb.RegisterTableUDF(s.conn, networkBatchFunc, duckdb.ParallelChunkTableFunction{
			BindArgumentsContext: bindNetworkBatch,
		}); err != nil {
			return 0, fmt.Errorf("register %s: %w", networkBatchFunc, err)
		}
		res, err = s.conn.ExecContext(ctx, insertNetworkBatch)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// networkBatchRegistered reports whether the table function exists.
func (s *Store) networkBatchRegistered(ctx context.Context) (bool, error) {
	var n int
	err := s.conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_functions() WHERE function_name = ?`, networkBatchFunc).Scan(&n)
	return n > 0, err
}

// bindNetworkBatch binds the table function to the batch in ctx.
func bindNetworkBatch(ctx context.Context, _ map[string]any, _ ...any) (duckdb.ParallelChunkTableSource, error) {
	b, ok := ctx.Value(networkBatchKey{}).(*networkBatch)
	if !ok {
		return nil, errors.New(networkBatchFunc + " is internal to homesoc's event writer")
	}
	return &networkSource{b: b}, nil
}

// networkSource serves a batch to DuckDB's threads, one vector-sized range
// of rows per FillChunk call.
type networkSource struct {
	b    *networkBatch
	next atomic.Int64 // the first row not yet handed out
}

// ColumnInfos implements duckdb.ParallelChunkTableSource.
func (src *networkSource) ColumnInfos() []duckdb.ColumnInfo {
	cols := make([]duckdb.ColumnInfo, len(networkColumns))
	for i, c := range networkColumns {
		t, err := duckdb.NewTypeInfo(c.t)
		if err != nil {
			panic(err) // a primitive type: cannot fail
		}
		cols[i] = duckdb.ColumnInfo{Name: c.name, T: t}
	}
	return cols
}

// Cardinality implements duckdb.ParallelChunkTableSource.
func (src *networkSource) Cardinality() *duckdb.CardinalityInfo {
	return &duckdb.CardinalityInfo{Cardinality: uint(len(src.b.rows)), Exact: true}
}

// Init implements duckdb.ParallelChunkTableSource.
func (src *networkSource) Init() duckdb.ParallelTableSourceInfo {
	return duckdb.ParallelTableSourceInfo{MaxThreads: 2}
}

// NewLocalState implements duckdb.ParallelChunkTableSource.
func (src *networkSource) NewLocalState() any { return &struct{}{} }

// FillChunk implements duckdb.ParallelChunkTableSource.
func (src *networkSource) FillChunk(_ any, chunk duckdb.DataChunk) error {
	size := duckdb.GetDataChunkCapacity()
	start := int(src.next.Add(int64(size))) - size
	rows := src.b.rows
	if start >= len(rows) {
		return chunk.SetSize(0)
	}
	rows = rows[start:min(start+size, len(rows))]
	if err := chunk.SetSize(len(rows)); err != nil {
		return err
	}
	var strs [28]duckdb.VectorWriter[string]
	for c, col := range networkColumns {
		if col.t != duckdb.TYPE_VARCHAR {
			continue
		}
		v, err := chunk.GetVector(c)
		if err != nil {
			return err
		}
		if strs[c], err = duckdb.GetVectorWriter[string](v); err != nil {
			return err
		}
	}
	evs := src.b.evs
	for r, i := range rows {
		ev := &evs[i]
		end := ev.EndTime
		if end.IsZero() {
			end = ev.Time
		}
		err := errors.Join(
			duckdb.SetChunkValue(chunk, 0, r, duckdb.UUID(ev.ID)),
			duckdb.SetChunkValue(chunk, 1, r, ev.Time.UnixMicro()),
			duckdb.SetChunkValue(chunk, 2, r, end.UnixMicro()),
			duckdb.SetChunkValue(chunk, 3, r, ev.DurationS),
			strs[4].Set(r, ev.Kind),
			strs[5].Set(r, ev.Action),
			strs[6].Set(r, ev.Direction),
			strs[7].Set(r, ev.Protocol),
			strs[8].Set(r, addrText(ev.SrcIP)),
			duckdb.SetChunkValue(chunk, 9, r, int32(ev.SrcPort)),
			strs[10].Set(r, addrText(ev.DstIP)),
			duckdb.SetChunkValue(chunk, 11, r, int32(ev.DstPort)),
			duckdb.SetChunkValue(chunk, 12, r, int64(ev.BytesOut)),
			duckdb.SetChunkValue(chunk, 13, r, int64(ev.BytesIn)),
			duckdb.SetChunkValue(chunk, 14, r, int64(ev.PacketsOut)),
			duckdb.SetChunkValue(chunk, 15, r, int64(ev.PacketsIn)),
			duckdb.SetChunkValue(chunk, 16, r, int32(ev.TTL)),
			strs[17].Set(r, ev.TCPFlags),
			strs[18].Set(r, ev.InIface),
			strs[19].Set(r, ev.OutIface),
			strs[20].Set(r, addrText(ev.NATIP)),
			strs[21].Set(r, ev.DeviceID),
			strs[22].Set(r, ev.Hostname),
			strs[23].Set(r, ev.UserName),
			strs[24].Set(r, ev.Sensor),
			strs[25].Set(r, ev.Format),
			strs[26].Set(r, ev.Status),
			strs[27].Set(r, ev.Raw),
		)
		if err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
	}
	return nil
}
