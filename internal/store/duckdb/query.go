package duckdb

import (
	"context"
	"fmt"
	"slices"
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

// LoadRows implements store.Store. network_events and sightings rows
// without an event_id get one hashed from their values; indicators without an
// id get the deterministic one a feed load would give them.
func (s *Store) LoadRows(ctx context.Context, table string, rows []map[string]any) error {
	if !slices.Contains(store.Tables, table) {
		return fmt.Errorf("unknown table %q (one of %s)", table, strings.Join(store.Tables, ", "))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, row := range rows {
		cols := make([]string, 0, len(row)+1)
		for c := range row {
			cols = append(cols, c)
		}
		slices.Sort(cols)
		args := make([]any, 0, len(cols)+1)
		for _, c := range cols {
			args = append(args, row[c])
		}
		if _, ok := row["event_id"]; !ok && (table == "network_events" || table == "sightings") {
			cols = append(cols, "event_id")
			args = append(args, event.NewID("fixture", fmt.Appendf(nil, "%s %d %v", table, i, args)).String())
		}
		if _, ok := row["id"]; !ok && table == "indicators" {
			feed, _ := row["feed"].(string)
			value, _ := row["value"].(string)
			typ, _ := row["type"].(string)
			if typ == "" {
				typ = event.IndicatorIP
			}
			cols = append(cols, "id")
			args = append(args, event.IndicatorID(feed, typ, value))
		}
		if table == "network_events" && row["end_time"] == nil {
			cols = append(cols, "end_time")
			args = append(args, row["time"])
		}
		q := fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s)`, table, strings.Join(cols, ", "),
			strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
		if _, err := s.conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s row %d: %w", table, i+1, err)
		}
	}
	return nil
}
