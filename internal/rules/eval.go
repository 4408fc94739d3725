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
// column must be in the result, as alerts are identified by their values.
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
	return res, nil
}
