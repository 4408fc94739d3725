package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// Query implements store.Store. It runs with readonly = 1, as ReadQuery
// does: a rule reads. Values come back as DuckDB's driver gives them, so
// rule results format alike on both engines: UInt64 (count(), uniq) as
// int64, UUIDs as their text, times in UTC, Nullable values as the value or
// nil.
func (s *Store) Query(ctx context.Context, query string) (*store.Result, error) {
	return s.result(readOnly(ctx), query)
}

// syntaxError is ClickHouse's SYNTAX_ERROR code.
const syntaxError = 62

// readOnly is ctx with ClickHouse's readonly = 1 for the query run under it:
// no writes, no DDL, no settings, no table functions (file, url, remote).
func readOnly(ctx context.Context) context.Context {
	return ch.Context(ctx, ch.WithSettings(ch.Settings{"readonly": 1}))
}

// result runs query with args and reads every row as Query returns them.
func (s *Store) result(ctx context.Context, query string, args ...any) (*store.Result, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	res := &store.Result{Columns: rows.Columns()}
	ptrs := make([]any, len(types))
	for rows.Next() {
		for i, t := range types {
			ptrs[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(types))
		for i, p := range ptrs {
			row[i] = plain(reflect.ValueOf(p).Elem())
		}
		res.Rows = append(res.Rows, row)
	}
	return res, rows.Err()
}

// ReadQuery implements store.Store: the query runs with readonly = 1, which
// makes the server refuse any write, DDL, change of settings and every table
// function (file, url, remote, numbers, ...), the ways ClickHouse SQL has to
// reach files and the network. The native protocol takes one statement per
// query.
func (s *Store) ReadQuery(ctx context.Context, query string) (*store.Result, error) {
	query = strings.TrimSpace(query)
	if q, ok := strings.CutSuffix(query, ";"); ok && !strings.Contains(q, ";") {
		query = q // 18.16 takes no trailing ";"
	}
	// readonly = 1 still lets KILL QUERY and SHOW through: only a SELECT
	// parses as a subquery. The newline ends a trailing line comment.
	res, err := s.result(readOnly(ctx), "SELECT * FROM (\n"+query+"\n)")
	var ex *ch.Exception
	if errors.As(err, &ex) && ex.Code == syntaxError {
		return nil, fmt.Errorf("refused unless it is a single SELECT statement (read-only; no writes, schema changes, settings or KILL): %w", err)
	}
	return res, err
}

// Events implements store.Store.
func (s *Store) Events(ctx context.Context, f store.EventFilter) (*store.Result, int64, error) {
	q, args, cq, cargs := f.EventsQueries()
	var total uint64
	if err := s.conn.QueryRow(ctx, cq, cargs...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count events: %w", err)
	}
	res, err := s.result(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("read events: %w", err)
	}
	return res, int64(total), nil
}

// Schema implements store.Store. On a cluster it lists the tables as rules
// read them, without the shards' <name>_local tables and the Distributed
// <name>_all tables under views.
func (s *Store) Schema(ctx context.Context) ([]store.TableSchema, error) {
	kinds := map[string]string{}
	rows, err := s.conn.Query(ctx, `SELECT name, engine FROM system.tables WHERE database = ?`, s.db)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	for rows.Next() {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read schema: %w", err)
		}
		if s.cluster != "" && (strings.HasSuffix(name, "_local") || strings.HasSuffix(name, "_all")) {
			continue
		}
		kinds[name] = "table"
		if engine == "View" {
			kinds[name] = "view"
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	// system.columns lists each table's columns in their order.
	rows, err = s.conn.Query(ctx, `SELECT table, name, type, default_expression, comment FROM system.columns WHERE database = ?`, s.db)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	defer rows.Close()
	byName := map[string]*store.TableSchema{}
	var names []string
	for rows.Next() {
		var table string
		var c store.ColumnSchema
		if err := rows.Scan(&table, &c.Name, &c.Type, &c.Default, &c.Comment); err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		kind, ok := kinds[table]
		if !ok {
			continue
		}
		t := byName[table]
		if t == nil {
			t = &store.TableSchema{Name: table, Kind: kind}
			byName[table] = t
			names = append(names, table)
		}
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	out := make([]store.TableSchema, 0, len(names))
	for _, n := range names {
		out = append(out, *byName[n])
	}
	store.SortTables(out)
	return out, nil
}

// plain converts a scanned value to the type DuckDB's driver would give.
func plain(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return x
	case uuid.UUID:
		return x.String()
	case time.Time:
		return x.UTC()
	default:
		return x
	}
}

// LoadRows implements store.Store; rows are completed by store.FixtureRow,
// and their values converted to the column types as DuckDB casts them.
func (s *Store) LoadRows(ctx context.Context, table string, rows []map[string]any) error {
	if err := store.CheckTable(table); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.layout().stored(table)
	types, err := s.columnTypes(ctx, target)
	if err != nil {
		return err
	}
	type group struct {
		cols []string
		rows [][]any
	}
	var groups []*group // rows by column set, in order of first appearance
	byCols := map[string]*group{}
	for i, row := range rows {
		cols, raw, err := store.FixtureRow(table, i, row)
		if err != nil {
			return err
		}
		if _, ok := versioned[table]; ok && row["version"] == nil {
			cols = append(cols, "version")
			raw = append(raw, s.nextVersion(0))
		}
		vals := make([]any, len(cols))
		for j, c := range cols {
			typ, ok := types[c]
			if !ok {
				return fmt.Errorf("%s row %d: no column %q", table, i+1, c)
			}
			if vals[j], err = convert(raw[j], typ); err != nil {
				return fmt.Errorf("%s row %d: column %s: %w", table, i+1, c, err)
			}
		}
		key := strings.Join(cols, ",")
		g := byCols[key]
		if g == nil {
			g = &group{cols: cols}
			byCols[key] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, vals)
	}
	for _, g := range groups {
		if err := s.insertRows(ctx, target, g.cols, g.rows); err != nil {
			return fmt.Errorf("load %s: %w", table, err)
		}
	}
	return nil
}

// insertRows inserts rows of values for cols into table.
func (s *Store) insertRows(ctx context.Context, table string, cols []string, rows [][]any) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+")")
	if err != nil {
		return err
	}
	defer batch.Close()
	for _, r := range rows {
		if err := batch.Append(r...); err != nil {
			return err
		}
	}
	return batch.Send()
}

// columnTypes returns the ClickHouse types of table's columns, by name.
func (s *Store) columnTypes(ctx context.Context, table string) (map[string]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT name, type FROM system.columns WHERE database = ? AND table = ?`, s.db, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		types[name] = typ
	}
	return types, rows.Err()
}

// convert converts a fixture value (as YAML typed it) to the Go type the
// driver takes for a column of type typ, casting as DuckDB does.
func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, fmt.Errorf("NULL in a NOT NULL column")
	}
	switch {
	case typ == "UUID":
		switch x := v.(type) {
		case string:
			return uuid.Parse(x)
		case event.ID:
			return uuid.UUID(x), nil
		case [16]byte:
			return uuid.UUID(x), nil
		case uuid.UUID:
			return x, nil
		}
	case strings.HasPrefix(typ, "DateTime"):
		switch x := v.(type) {
		case time.Time:
			return storedTime(x), nil
		case string:
			for _, layout := range []string{time.RFC3339, time.DateTime} {
				if t, err := time.Parse(layout, x); err == nil {
					return storedTime(t), nil
				}
			}
			return nil, fmt.Errorf("%q is not a time", x)
		}
	case typ == "String":
		switch x := v.(type) {
		case string:
			return x, nil
		case time.Time:
			return x.UTC().Format(time.DateTime), nil
		default:
			return fmt.Sprint(x), nil
		}
	case typ == "Float64":
		switch x := v.(type) {
		case float64:
			return x, nil
		case string:
			return strconv.ParseFloat(x, 64)
		}
		if n, ok := integer(v); ok {
			return float64(n), nil
		}
	default:
		r, ok := intRanges[typ]
		if !ok {
			break
		}
		n, ok := integer(v)
		if str, isStr := v.(string); isStr {
			var err error
			if n, err = strconv.ParseInt(strings.TrimSpace(str), 10, 64); err != nil {
				return nil, fmt.Errorf("%q is not an integer", str)
			}
			ok = true
		}
		if !ok {
			break
		}
		if n < r[0] || n > r[1] {
			return nil, fmt.Errorf("%d is out of range for %s", n, typ)
		}
		switch typ {
		case "Int32":
			return int32(n), nil
		case "Int64":
			return n, nil
		case "UInt8":
			return uint8(n), nil
		case "UInt32":
			return uint32(n), nil
		case "UInt64":
			return uint64(n), nil
		}
	}
	return nil, fmt.Errorf("cannot store %T %v as %s", v, v, typ)
}

// integer returns v as an int64 if it holds a whole number (bools as 0/1).
func integer(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int64(x), true
		}
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// intRanges are the integer column types of the schema and the values of
// theirs that fixtures may give (UInt64: what an int64 holds).
var intRanges = map[string][2]int64{
	"Int32":  {math.MinInt32, math.MaxInt32},
	"Int64":  {math.MinInt64, math.MaxInt64},
	"UInt8":  {0, math.MaxUint8},
	"UInt32": {0, math.MaxUint32},
	"UInt64": {0, math.MaxInt64},
}
