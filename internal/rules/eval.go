package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/store"
)

// Querier runs rule SQL: DuckDB, ClickHouse or a test double. store.Store
// satisfies it.
type Querier interface {
	// Dialect names the SQL the engine speaks ("duckdb", "clickhouse").
	Dialect() string
	// Query runs one read-only SELECT. It must return when ctx is cancelled.
	Query(ctx context.Context, sql string) (*store.Result, error)
}

// Eval renders the rule for q's dialect at now and runs it. Every group_by
// column must be in the result, as alerts are identified by their values;
// first_seen and last_seen, when returned, must be times and events an
// integer, as alerts take them over.
func (r *Rule) Eval(ctx context.Context, q Querier, now time.Time) (*store.Result, error) {
	sql, err := r.Render(q.Dialect(), now)
	if err != nil {
		return nil, err
	}
	res, err := q.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("rule %q: %w", r.ID, err)
	}
	var missing []string
	for _, c := range r.GroupBy {
		if !slices.Contains(res.Columns, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("rule %q: result lacks group_by column %s (it returns %s)",
			r.ID, strings.Join(missing, ", "), strings.Join(res.Columns, ", "))
	}
	for i, c := range res.Columns {
		for _, row := range res.Rows {
			if err := alertValue(c, row[i]); err != nil {
				return nil, fmt.Errorf("rule %q: %w", r.ID, err)
			}
		}
	}
	return res, nil
}

// alertValue checks the type of a column alerts read, if col is one.
func alertValue(col string, v any) error {
	switch col {
	case "first_seen", "last_seen":
		if _, ok := v.(time.Time); !ok {
			return fmt.Errorf("column %s must be a time, got %T %v", col, v, v)
		}
	case "events":
		switch v.(type) {
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		default:
			return fmt.Errorf("column events must be an integer, got %T %v", v, v)
		}
	}
	return nil
}
