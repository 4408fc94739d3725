package duckdb

import (
	"context"
	"fmt"
	"strings"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// Query implements store.Store.
func (s *Store) Query(ctx context.Context, query string) (*store.Result, error) {
	rows, err := s.db.QueryContext(ctx, query)
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
