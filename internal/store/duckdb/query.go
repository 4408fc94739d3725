package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// queryer is a *sql.DB or *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Query implements store.Store.
func (s *Store) Query(ctx context.Context, query string) (*store.Result, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return result(ctx, s.db, query)
}

// result runs query on q and reads every row, UUIDs as their text.
func result(ctx context.Context, q queryer, query string, args ...any) (*store.Result, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &store.Result{Columns: cols}
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, t := range types {
			if b, ok := row[i].([]byte); ok && t.DatabaseTypeName() == "UUID" && len(b) == 16 {
				row[i] = event.ID(b).String()
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, rows.Err()
}

// ReadQuery implements store.Store. The store is locked down already (see
// lockDown): no statement reaches files, the network or settings. On top,
// ReadQuery takes only what DuckDB's parser calls a single SELECT (the
// driver would run every statement before the last one while preparing
// it), and runs it in a read-only transaction on a connection of its own.
func (s *Store) ReadQuery(ctx context.Context, query string) (*store.Result, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := singleSelect(ctx, conn, query); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION READ ONLY"); err != nil {
		return nil, err
	}
	res, err := result(ctx, conn, query)
	if _, rbErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil && err == nil {
		err = rbErr
	}
	return res, err
}

// singleSelect fails unless query is one SELECT statement, as DuckDB's
// parser sees it: json_serialize_sql serializes SELECTs only, and any
// number of them.
func singleSelect(ctx context.Context, conn *sql.Conn, query string) error {
	var text string
	if err := conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)", query).Scan(&text); err != nil {
		return fmt.Errorf("parse query: %w", err)
	}
	var parsed struct {
		Error      bool              `json:"error"`
		Message    string            `json:"error_message"`
		Type       string            `json:"error_type"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(text), &parsed); err != nil {
		return fmt.Errorf("parse query: %w", err)
	}
	switch {
	case parsed.Error && parsed.Type == "not implemented":
		return errors.New("refused: only a single SELECT statement may run here (read-only; no writes, schema changes, settings, COPY, ATTACH, INSTALL or LOAD)")
	case parsed.Error:
		return fmt.Errorf("%s error: %s", parsed.Type, parsed.Message)
	case len(parsed.Statements) != 1:
		return fmt.Errorf("refused: only a single SELECT statement may run here, not %d statements", len(parsed.Statements))
	}
	var tree any
	if err := json.Unmarshal(parsed.Statements[0], &tree); err != nil {
		return fmt.Errorf("parse query: %w", err)
	}
	return readOnlyTableFunctions(tree)
}

// readTableFunctions are the table functions a read-only query may call:
// they compute rows or read the catalog. Others may act (checkpoint(),
// enable_logging(...) change the database or its logging even with the
// configuration locked) or read what is not ours (duckdb_secrets()).
var readTableFunctions = map[string]bool{
	"range": true, "generate_series": true, "unnest": true, "json_each": true, "json_tree": true,
	"duckdb_tables": true, "duckdb_columns": true, "duckdb_views": true, "duckdb_schemas": true,
	"duckdb_types": true, "duckdb_functions": true, "duckdb_constraints": true, "duckdb_indexes": true,
	"duckdb_keywords": true, "duckdb_memory": true,
}

// readOnlyTableFunctions fails when the serialized statement tree calls a
// table function that is not in readTableFunctions.
func readOnlyTableFunctions(node any) error {
	switch n := node.(type) {
	case map[string]any:
		if n["type"] == "TABLE_FUNCTION" {
			f, _ := n["function"].(map[string]any)
			name, _ := f["function_name"].(string)
			if !readTableFunctions[strings.ToLower(name)] {
				return fmt.Errorf("refused: the table function %s() is not allowed here (read-only queries may call %s)",
					name, strings.Join(slices.Sorted(maps.Keys(readTableFunctions)), ", "))
			}
		}
		for _, v := range n {
			if err := readOnlyTableFunctions(v); err != nil {
				return err
			}
		}
	case []any:
		for _, v := range n {
			if err := readOnlyTableFunctions(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Events implements store.Store.
func (s *Store) Events(ctx context.Context, f store.EventFilter) (*store.Result, int64, error) {
	q, args, cq, cargs := f.EventsQueries()
	var total int64
	if err := s.db.QueryRowContext(ctx, cq, cargs...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count events: %w", err)
	}
	res, err := result(ctx, s.db, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("read events: %w", err)
	}
	return res, total, nil
}

// Schema implements store.Store.
func (s *Store) Schema(ctx context.Context) ([]store.TableSchema, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.table_name, t.table_type, c.column_name, c.data_type, coalesce(c.column_default, ''),
			coalesce(d.comment, '')
		FROM information_schema.tables AS t
		JOIN information_schema.columns AS c USING (table_catalog, table_schema, table_name)
		LEFT JOIN duckdb_columns() AS d ON d.database_name = c.table_catalog AND d.schema_name = c.table_schema
			AND d.table_name = c.table_name AND d.column_name = c.column_name
		WHERE t.table_catalog = current_database() AND t.table_schema = 'main'
		ORDER BY t.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	defer rows.Close()
	var out []store.TableSchema
	for rows.Next() {
		var table, kind string
		var c store.ColumnSchema
		if err := rows.Scan(&table, &kind, &c.Name, &c.Type, &c.Default, &c.Comment); err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].Name != table {
			t := store.TableSchema{Name: table, Kind: "table"}
			if strings.Contains(kind, "VIEW") {
				t.Kind = "view"
			}
			out = append(out, t)
		}
		out[len(out)-1].Columns = append(out[len(out)-1].Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	store.SortTables(out)
	return out, nil
}

// LoadRows implements store.Store; rows are completed by store.FixtureRow.
func (s *Store) LoadRows(ctx context.Context, table string, rows []map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, row := range rows {
		cols, args, err := store.FixtureRow(table, i, row)
		if err != nil {
			return err
		}
		q := fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s)`, table, strings.Join(cols, ", "),
			strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
		if _, err := s.conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s row %d: %w", table, i+1, err)
		}
	}
	return nil
}
