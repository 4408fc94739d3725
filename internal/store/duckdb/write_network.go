package duckdb

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/ipscope"
	"github.com/homesoc/homesoc/internal/store"
)

// Network events reach DuckDB through a table function, networkBatchFunc,
// that serves the batch being written straight from Go memory to an
// INSERT INTO network_events SELECT ... FROM networkBatchFunc(). DuckDB pulls
// vector-sized chunks of rows from it on all its threads, so filling the
// vectors runs in parallel, and the insert itself is DuckDB's regular bulk
// path rather than the Appender's single-threaded flush.
//
// The function is registered once per database (DuckDB keeps table functions
// in the system catalog); which batch it serves comes from the context of the
// statement that calls it, so the Store keeps no registry: a statement binds
// the function to the *networkBatch stored under networkBatchKey in the
// context passed to ExecContext or QueryContext. Called from any other
// statement the function fails to bind.

// networkBatchFunc names the table function that serves a networkBatch.
const networkBatchFunc = "homesoc_network_batch"

// networkBatchKey is the context key of the *networkBatch that the statement
// run with that context reads through networkBatchFunc.
type networkBatchKey struct{}

// Columns of networkBatchFunc, in order. All but colRow are network_events
// columns in table order; times are microseconds since the epoch, which the
// INSERT turns into TIMESTAMPs, so writing them needs no time.Time boxing.
const (
	colEventID = iota
	colTime
	colEndTime
	colDurationS
	colKind
	colAction
	colDirection
	colProtocol
	colSrcIP
	colSrcPort
	colDstIP
	colDstPort
	colBytesOut
	colBytesIn
	colPacketsOut
	colPacketsIn
	colTTL
	colTCPFlags
	colInIface
	colOutIface
	colNATIP
	colDeviceID
	colHostname
	colUserName
	colSensor
	colFormat
	colStatus
	colRaw
	colRuleName
	colICMPType
	colICMPCode
	colSrcMAC
	colDstMAC
	colIPID
	colTCPWindow
	colPacketLen
	colFlowUID
	colService
	colSrcScope
	colDstScope
	colRow // the row's index in the batch, for probes
	numBatchCols
)

// batchColumns describes networkBatchFunc's columns: their names (those of
// the network_events columns they fill), the types the function produces, and
// the expressions the INSERT reads them with ("" for the column itself).
var batchColumns = [numBatchCols]struct {
	name string
	typ  duckdb.Type
	expr string
}{
	colEventID:    {"event_id", duckdb.TYPE_UUID, ""},
	colTime:       {"time", duckdb.TYPE_BIGINT, "make_timestamp(time)"},
	colEndTime:    {"end_time", duckdb.TYPE_BIGINT, "make_timestamp(end_time)"},
	colDurationS:  {"duration_s", duckdb.TYPE_DOUBLE, ""},
	colKind:       {"kind", duckdb.TYPE_VARCHAR, ""},
	colAction:     {"action", duckdb.TYPE_VARCHAR, ""},
	colDirection:  {"direction", duckdb.TYPE_VARCHAR, ""},
	colProtocol:   {"protocol", duckdb.TYPE_VARCHAR, ""},
	colSrcIP:      {"src_ip", duckdb.TYPE_VARCHAR, ""},
	colSrcPort:    {"src_port", duckdb.TYPE_INTEGER, ""},
	colDstIP:      {"dst_ip", duckdb.TYPE_VARCHAR, ""},
	colDstPort:    {"dst_port", duckdb.TYPE_INTEGER, ""},
	colBytesOut:   {"bytes_out", duckdb.TYPE_BIGINT, ""},
	colBytesIn:    {"bytes_in", duckdb.TYPE_BIGINT, ""},
	colPacketsOut: {"packets_out", duckdb.TYPE_BIGINT, ""},
	colPacketsIn:  {"packets_in", duckdb.TYPE_BIGINT, ""},
	colTTL:        {"ttl", duckdb.TYPE_INTEGER, ""},
	colTCPFlags:   {"tcp_flags", duckdb.TYPE_VARCHAR, ""},
	colInIface:    {"in_iface", duckdb.TYPE_VARCHAR, ""},
	colOutIface:   {"out_iface", duckdb.TYPE_VARCHAR, ""},
	colNATIP:      {"nat_ip", duckdb.TYPE_VARCHAR, ""},
	colDeviceID:   {"device_id", duckdb.TYPE_VARCHAR, ""},
	colHostname:   {"hostname", duckdb.TYPE_VARCHAR, ""},
	colUserName:   {"user_name", duckdb.TYPE_VARCHAR, ""},
	colSensor:     {"sensor", duckdb.TYPE_VARCHAR, ""},
	colFormat:     {"format", duckdb.TYPE_VARCHAR, ""},
	colStatus:     {"status", duckdb.TYPE_VARCHAR, ""},
	colRaw:        {"raw", duckdb.TYPE_VARCHAR, ""},
	colRuleName:   {"rule_name", duckdb.TYPE_VARCHAR, ""},
	colICMPType:   {"icmp_type", duckdb.TYPE_INTEGER, ""},
	colICMPCode:   {"icmp_code", duckdb.TYPE_INTEGER, ""},
	colSrcMAC:     {"src_mac", duckdb.TYPE_VARCHAR, ""},
	colDstMAC:     {"dst_mac", duckdb.TYPE_VARCHAR, ""},
	colIPID:       {"ip_id", duckdb.TYPE_INTEGER, ""},
	colTCPWindow:  {"tcp_window", duckdb.TYPE_INTEGER, ""},
	colPacketLen:  {"packet_len", duckdb.TYPE_BIGINT, ""},
	colFlowUID:    {"flow_uid", duckdb.TYPE_VARCHAR, ""},
	colService:    {"service", duckdb.TYPE_VARCHAR, ""},
	colSrcScope:   {"src_scope", duckdb.TYPE_VARCHAR, ""},
	colDstScope:   {"dst_scope", duckdb.TYPE_VARCHAR, ""},
	colRow:        {"batch_row", duckdb.TYPE_INTEGER, ""},
}

// constCols is the set of columns (bit i for column i) that insertStatement
// passes as one argument when a batch has the same value in every row: all
// but the id and the times.
const constCols = 1<<colKind | 1<<colAction | 1<<colDirection | 1<<colProtocol |
	1<<colSrcIP | 1<<colDstIP | 1<<colTCPFlags | 1<<colInIface | 1<<colOutIface | 1<<colNATIP |
	1<<colDeviceID | 1<<colHostname | 1<<colUserName | 1<<colSensor | 1<<colFormat | 1<<colStatus | 1<<colRaw |
	1<<colRuleName | 1<<colSrcMAC | 1<<colDstMAC | 1<<colFlowUID | 1<<colService | 1<<colSrcScope | 1<<colDstScope |
	1<<colDurationS | 1<<colSrcPort | 1<<colDstPort | 1<<colBytesOut | 1<<colBytesIn | 1<<colPacketsOut |
	1<<colPacketsIn | 1<<colTTL | 1<<colICMPType | 1<<colICMPCode | 1<<colIPID | 1<<colTCPWindow | 1<<colPacketLen

// sqlTypes names the types of batchColumns in SQL, for casts.
var sqlTypes = map[duckdb.Type]string{
	duckdb.TYPE_VARCHAR: "VARCHAR", duckdb.TYPE_INTEGER: "INTEGER", duckdb.TYPE_BIGINT: "BIGINT", duckdb.TYPE_DOUBLE: "DOUBLE",
}

// networkBatch is a set of events that one statement reads through
// networkBatchFunc: evs[rows[0]], evs[rows[1]], ...
type networkBatch struct {
	evs  []event.Network
	rows []int32
	// cols is the set of columns (bit i for column i) the function fills;
	// the statement must not read any other.
	cols uint64
	// lo and hi bound the times of evs.
	lo, hi time.Time
}

// constDiff returns the set of constCols whose values differ between a and
// b. Addresses compare as values, which is equivalent to comparing their text.
func constDiff(a, b *event.Network) uint64 {
	var d uint64
	if a.DurationS != b.DurationS {
		d |= 1 << colDurationS
	}
	if a.SrcPort != b.SrcPort {
		d |= 1 << colSrcPort
	}
	if a.DstPort != b.DstPort {
		d |= 1 << colDstPort
	}
	if a.BytesOut != b.BytesOut {
		d |= 1 << colBytesOut
	}
	if a.BytesIn != b.BytesIn {
		d |= 1 << colBytesIn
	}
	if a.PacketsOut != b.PacketsOut {
		d |= 1 << colPacketsOut
	}
	if a.PacketsIn != b.PacketsIn {
		d |= 1 << colPacketsIn
	}
	if a.TTL != b.TTL {
		d |= 1 << colTTL
	}
	if a.ICMPType != b.ICMPType {
		d |= 1 << colICMPType
	}
	if a.ICMPCode != b.ICMPCode {
		d |= 1 << colICMPCode
	}
	if a.IPID != b.IPID {
		d |= 1 << colIPID
	}
	if a.TCPWindow != b.TCPWindow {
		d |= 1 << colTCPWindow
	}
	if a.PacketLen != b.PacketLen {
		d |= 1 << colPacketLen
	}
	if a.Kind != b.Kind {
		d |= 1 << colKind
	}
	if a.Action != b.Action {
		d |= 1 << colAction
	}
	if a.Direction != b.Direction {
		d |= 1 << colDirection
	}
	if a.Protocol != b.Protocol {
		d |= 1 << colProtocol
	}
	if a.SrcIP != b.SrcIP {
		d |= 1<<colSrcIP | 1<<colSrcScope
	}
	if a.DstIP != b.DstIP {
		d |= 1<<colDstIP | 1<<colDstScope
	}
	if a.TCPFlags != b.TCPFlags {
		d |= 1 << colTCPFlags
	}
	if a.InIface != b.InIface {
		d |= 1 << colInIface
	}
	if a.OutIface != b.OutIface {
		d |= 1 << colOutIface
	}
	if a.NATIP != b.NATIP {
		d |= 1 << colNATIP
	}
	if a.DeviceID != b.DeviceID {
		d |= 1 << colDeviceID
	}
	if a.Hostname != b.Hostname {
		d |= 1 << colHostname
	}
	if a.UserName != b.UserName {
		d |= 1 << colUserName
	}
	if a.Sensor != b.Sensor {
		d |= 1 << colSensor
	}
	if a.Format != b.Format {
		d |= 1 << colFormat
	}
	if a.Status != b.Status {
		d |= 1 << colStatus
	}
	if a.Raw != b.Raw {
		d |= 1 << colRaw
	}
	if a.RuleName != b.RuleName {
		d |= 1 << colRuleName
	}
	if a.SrcMAC != b.SrcMAC {
		d |= 1 << colSrcMAC
	}
	if a.DstMAC != b.DstMAC {
		d |= 1 << colDstMAC
	}
	if a.FlowUID != b.FlowUID {
		d |= 1 << colFlowUID
	}
	if a.Service != b.Service {
		d |= 1 << colService
	}
	return d
}

// value returns the value of column c (one of constCols) of ev, as
// network_events keeps it, with the Go type of the column.
func value(ev *event.Network, c int) any {
	switch c {
	case colDurationS:
		return ev.DurationS
	case colSrcPort:
		return int32(ev.SrcPort)
	case colDstPort:
		return int32(ev.DstPort)
	case colBytesOut:
		return int64(ev.BytesOut)
	case colBytesIn:
		return int64(ev.BytesIn)
	case colPacketsOut:
		return int64(ev.PacketsOut)
	case colPacketsIn:
		return int64(ev.PacketsIn)
	case colTTL:
		return int32(ev.TTL)
	case colICMPType:
		return int32(ev.ICMPType)
	case colICMPCode:
		return int32(ev.ICMPCode)
	case colIPID:
		return int32(ev.IPID)
	case colTCPWindow:
		return int32(ev.TCPWindow)
	case colPacketLen:
		return int64(ev.PacketLen)
	case colKind:
		return ev.Kind
	case colAction:
		return ev.Action
	case colDirection:
		return ev.Direction
	case colProtocol:
		return ev.Protocol
	case colSrcIP:
		return store.AddrText(ev.SrcIP)
	case colDstIP:
		return store.AddrText(ev.DstIP)
	case colTCPFlags:
		return ev.TCPFlags
	case colInIface:
		return ev.InIface
	case colOutIface:
		return ev.OutIface
	case colNATIP:
		return store.AddrText(ev.NATIP)
	case colDeviceID:
		return ev.DeviceID
	case colHostname:
		return ev.Hostname
	case colUserName:
		return ev.UserName
	case colSensor:
		return ev.Sensor
	case colFormat:
		return ev.Format
	case colStatus:
		return ev.Status
	case colRaw:
		return ev.Raw
	case colRuleName:
		return ev.RuleName
	case colSrcMAC:
		return ev.SrcMAC
	case colDstMAC:
		return ev.DstMAC
	case colFlowUID:
		return ev.FlowUID
	case colService:
		return ev.Service
	case colSrcScope:
		return ipscope.Text(ev.SrcIP)
	case colDstScope:
		return ipscope.Text(ev.DstIP)
	}
	panic(fmt.Sprintf("column %d is not in constCols", c))
}

// insertStatement returns the statement that inserts b into network_events,
// and its arguments; if dedup, the statement skips the events whose ids are
// stored with a time in [b.lo, b.hi]. It sets b.cols to the columns the
// function must fill. b.rows must not be empty.
//
// A column whose value is the same in every row is passed once as an
// argument instead of once per row through the function, which saves a cgo
// call per value and DuckDB a column to compress: most sources leave several
// columns empty, zero or constant (a firewall log has no byte counts, a flow
// no ICMP type or MACs).
//
// The dedup is a NOT IN, which DuckDB runs as a MARK join that holds the
// stored ids, never the batch, in memory.
func (b *networkBatch) insertStatement(dedup bool) (string, []any) {
	var varying uint64
	first := &b.evs[b.rows[0]]
	for _, i := range b.rows[1:] {
		if varying |= constDiff(first, &b.evs[i]); varying == constCols {
			break
		}
	}
	b.cols = 0
	var names, exprs strings.Builder
	var args []any
	for c := range colRow {
		if c > 0 {
			names.WriteString(", ")
			exprs.WriteString(", ")
		}
		col := &batchColumns[c]
		names.WriteString(col.name)
		switch {
		case constCols&(1<<c) != 0 && varying&(1<<c) == 0:
			exprs.WriteString("?::" + sqlTypes[col.typ])
			args = append(args, value(first, c))
		case col.expr != "":
			exprs.WriteString(col.expr)
			b.cols |= 1 << c
		default:
			exprs.WriteString(col.name)
			b.cols |= 1 << c
		}
	}
	query := "INSERT INTO network_events (" + names.String() + ") SELECT " + exprs.String() +
		" FROM " + networkBatchFunc + "()"
	if dedup {
		query += " WHERE event_id NOT IN (SELECT event_id FROM network_events WHERE time BETWEEN ? AND ?)"
		args = append(args, b.lo, b.hi)
	}
	return query, args
}

// insertNetwork inserts b into network_events, skipping stored events if
// dedup (see insertStatement), and returns how many rows DuckDB inserted.
func (s *Store) insertNetwork(ctx context.Context, b *networkBatch, dedup bool) (int64, error) {
	if len(b.rows) == 0 {
		return 0, nil
	}
	query, args := b.insertStatement(dedup)
	res, err := s.conn.ExecContext(withBatch(ctx, b), query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// withBatch returns ctx binding networkBatchFunc to b for the statement run
// with it.
func withBatch(ctx context.Context, b *networkBatch) context.Context {
	return context.WithValue(ctx, networkBatchKey{}, b)
}

// registerNetworkBatchFunc registers networkBatchFunc in the store's
// database, once, when it opens.
func (s *Store) registerNetworkBatchFunc() error {
	if err := duckdb.RegisterTableUDF(s.conn, networkBatchFunc, duckdb.ParallelChunkTableFunction{
		BindArgumentsContext: bindNetworkBatch,
	}); err != nil {
		return fmt.Errorf("register %s: %w", networkBatchFunc, err)
	}
	return nil
}

// bindNetworkBatch binds networkBatchFunc to the batch of the statement's
// context.
func bindNetworkBatch(ctx context.Context, _ map[string]any, _ ...any) (duckdb.ParallelChunkTableSource, error) {
	b, ok := ctx.Value(networkBatchKey{}).(*networkBatch)
	if !ok {
		return nil, errors.New(networkBatchFunc + " is internal to homesoc's event writer")
	}
	return &networkSource{b: b}, nil
}

// networkSource serves a networkBatch to DuckDB's threads, one vector-sized
// range of rows per FillChunk call.
type networkSource struct {
	b    *networkBatch
	next atomic.Int64 // the first row not yet handed out
}

// ColumnInfos implements duckdb.ParallelChunkTableSource.
func (src *networkSource) ColumnInfos() []duckdb.ColumnInfo {
	cols := make([]duckdb.ColumnInfo, len(batchColumns))
	for i, c := range batchColumns {
		t, err := duckdb.NewTypeInfo(c.typ)
		if err != nil {
			panic(err) // primitive types always have type infos
		}
		cols[i] = duckdb.ColumnInfo{Name: c.name, T: t}
	}
	return cols
}

// Cardinality implements duckdb.ParallelChunkTableSource.
func (src *networkSource) Cardinality() *duckdb.CardinalityInfo {
	return &duckdb.CardinalityInfo{Cardinality: uint(len(src.b.rows)), Exact: true}
}

// Init implements duckdb.ParallelChunkTableSource: one thread per chunk of
// rows at most (DuckDB caps it at its threads setting).
func (src *networkSource) Init() duckdb.ParallelTableSourceInfo {
	size := duckdb.GetDataChunkCapacity()
	return duckdb.ParallelTableSourceInfo{MaxThreads: max(1, (len(src.b.rows)+size-1)/size)}
}

// NewLocalState implements duckdb.ParallelChunkTableSource: each thread
// classifies addresses through a cache of its own.
func (src *networkSource) NewLocalState() any { return new(store.ScopeCache) }

// FillChunk implements duckdb.ParallelChunkTableSource. It claims the next
// range of rows and writes the columns in src.b.cols; DuckDB ignores writes
// to columns the statement does not read.
func (src *networkSource) FillChunk(local any, chunk duckdb.DataChunk) error {
	scopes, _ := local.(*store.ScopeCache)
	if scopes == nil {
		scopes = new(store.ScopeCache)
	}
	size := duckdb.GetDataChunkCapacity()
	start := int(src.next.Add(int64(size))) - size
	b := src.b
	if start >= len(b.rows) {
		return chunk.SetSize(0)
	}
	rows := b.rows[start:min(start+size, len(b.rows))]
	if err := chunk.SetSize(len(rows)); err != nil {
		return err
	}
	w := chunkWriter{chunk: chunk}
	var buf [64]byte // an address's text
	for r, i := range rows {
		ev := &b.evs[i]
		w.row = r
		if b.cols&(1<<colRow) != 0 { // a probe: ids only
			setCol(&w, colEventID, (*duckdb.UUID)(&ev.ID))
			setCol(&w, colRow, i)
			continue
		}
		setCol(&w, colEventID, (*duckdb.UUID)(&ev.ID)) // a pointer, which SetChunkValue does not box
		setCol(&w, colTime, ev.Time.UnixMicro())
		end := ev.EndTime
		if end.IsZero() {
			end = ev.Time
		}
		setCol(&w, colEndTime, end.UnixMicro())
		put(&w, b.cols, colDurationS, ev.DurationS)
		put(&w, b.cols, colKind, ev.Kind)
		put(&w, b.cols, colAction, ev.Action)
		put(&w, b.cols, colDirection, ev.Direction)
		put(&w, b.cols, colProtocol, ev.Protocol)
		if b.cols&(1<<colSrcIP) != 0 {
			setCol(&w, colSrcIP, appendAddr(buf[:0], ev.SrcIP))
		}
		put(&w, b.cols, colSrcPort, int32(ev.SrcPort))
		if b.cols&(1<<colDstIP) != 0 {
			setCol(&w, colDstIP, appendAddr(buf[:0], ev.DstIP))
		}
		put(&w, b.cols, colDstPort, int32(ev.DstPort))
		put(&w, b.cols, colBytesOut, int64(ev.BytesOut))
		put(&w, b.cols, colBytesIn, int64(ev.BytesIn))
		put(&w, b.cols, colPacketsOut, int64(ev.PacketsOut))
		put(&w, b.cols, colPacketsIn, int64(ev.PacketsIn))
		put(&w, b.cols, colTTL, int32(ev.TTL))
		put(&w, b.cols, colTCPFlags, ev.TCPFlags)
		put(&w, b.cols, colInIface, ev.InIface)
		put(&w, b.cols, colOutIface, ev.OutIface)
		if b.cols&(1<<colNATIP) != 0 {
			setCol(&w, colNATIP, appendAddr(buf[:0], ev.NATIP))
		}
		put(&w, b.cols, colDeviceID, ev.DeviceID)
		put(&w, b.cols, colHostname, ev.Hostname)
		put(&w, b.cols, colUserName, ev.UserName)
		put(&w, b.cols, colSensor, ev.Sensor)
		put(&w, b.cols, colFormat, ev.Format)
		put(&w, b.cols, colStatus, ev.Status)
		put(&w, b.cols, colRaw, ev.Raw)
		put(&w, b.cols, colRuleName, ev.RuleName)
		put(&w, b.cols, colICMPType, int32(ev.ICMPType))
		put(&w, b.cols, colICMPCode, int32(ev.ICMPCode))
		put(&w, b.cols, colSrcMAC, ev.SrcMAC)
		put(&w, b.cols, colDstMAC, ev.DstMAC)
		put(&w, b.cols, colIPID, int32(ev.IPID))
		put(&w, b.cols, colTCPWindow, int32(ev.TCPWindow))
		put(&w, b.cols, colPacketLen, int64(ev.PacketLen))
		put(&w, b.cols, colFlowUID, ev.FlowUID)
		put(&w, b.cols, colService, ev.Service)
		if b.cols&(1<<colSrcScope) != 0 {
			setCol(&w, colSrcScope, scopes.Text(ev.SrcIP))
		}
		if b.cols&(1<<colDstScope) != 0 {
			setCol(&w, colDstScope, scopes.Text(ev.DstIP))
		}
		if w.err != nil {
			return fmt.Errorf("event %d: %w", i, w.err)
		}
	}
	return w.err
}

// chunkWriter writes the values of one row of a chunk and keeps the first
// error.
type chunkWriter struct {
	chunk duckdb.DataChunk
	row   int
	err   error
}

// setCol writes v to column c of w's row. SetChunkValue keeps v's static
// type, so numbers and pointers are written without boxing.
func setCol[T any](w *chunkWriter, c int, v T) {
	if err := duckdb.SetChunkValue(w.chunk, c, w.row, v); err != nil && w.err == nil {
		w.err = err
	}
}

// put writes v to column c of w's row if c is in cols.
func put[T any](w *chunkWriter, cols uint64, c int, v T) {
	if cols&(1<<c) != 0 {
		setCol(w, c, v)
	}
}

// appendAddr appends a's text as addrText renders it.
func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return b
	}
	return a.Unmap().AppendTo(b)
}
