package rules

import (
	"context"
	"fmt"
	"slices"
	"strconv"
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
	return r.run(ctx, q, sql)
}

// run runs sql, the rule rendered once, and checks its result: see Eval.
func (r *Rule) run(ctx context.Context, q Querier, sql string) (*store.Result, error) {
	res, err := q.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("rule %q: %w", r.ID, err)
	}
	return res, r.check(res)
}

// maxBatchSQL bounds the SQL of one EvalAt query: ClickHouse refuses
// queries over 256 KiB by default.
const maxBatchSQL = 128 << 10

// stepColumn is the column EvalAt adds to tell the evaluations apart.
const stepColumn = "homesoc_step"

// EvalAt evaluates the rule at each of times, as Eval would one by one, and
// returns the results in the same order. The evaluations run batched, as one
// UNION ALL of the rule rendered at several times, as many as the engine
// runs best in one query (dialect.batch; with a test batch if not zero), so
// that an engine whose every query costs a round trip steps a short window
// across days of data in fewer queries.
func (r *Rule) EvalAt(ctx context.Context, q Querier, times []time.Time) ([]*store.Result, error) {
	return r.evalAt(ctx, q, times, 0)
}

func (r *Rule) evalAt(ctx context.Context, q Querier, times []time.Time, batch int) ([]*store.Result, error) {
	d, ok := dialects[q.Dialect()]
	if !ok {
		return nil, fmt.Errorf("rule %q: unknown SQL dialect %q (one of %s)", r.ID, q.Dialect(), strings.Join(Dialects(), ", "))
	}
	maxBatchSteps := d.batch
	if batch > 0 {
		maxBatchSteps = batch
	}
	out := make([]*store.Result, 0, len(times))
	for len(times) > 0 {
		first, err := r.Render(q.Dialect(), times[0])
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		n := 1
		if len(times) > 1 && maxBatchSteps > 1 {
			fmt.Fprintf(&b, "SELECT '0' AS %s, * FROM (%s\n) AS homesoc_step_0", stepColumn, first)
			for ; n < len(times) && n < maxBatchSteps && b.Len() < maxBatchSQL/2; n++ {
				sql, err := r.Render(q.Dialect(), times[n])
				if err != nil {
					return nil, err
				}
				fmt.Fprintf(&b, "\nUNION ALL\nSELECT '%d' AS %s, * FROM (%s\n) AS homesoc_step_%d", n, stepColumn, sql, n)
			}
		}
		if n == 1 { // one plain query, as Eval runs it
			res, err := r.run(ctx, q, first)
			if err != nil {
				return nil, err
			}
			out, times = append(out, res), times[1:]
			continue
		}
		res, err := q.Query(ctx, b.String())
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", r.ID, err)
		}
		if len(res.Columns) == 0 || res.Columns[0] != stepColumn {
			return nil, fmt.Errorf("rule %q: batched result lacks its %s column", r.ID, stepColumn)
		}
		parts := make([]*store.Result, n)
		for i := range parts {
			parts[i] = &store.Result{Columns: res.Columns[1:]}
		}
		for _, row := range res.Rows {
			text, _ := row[0].(string)
			i, err := strconv.Atoi(text)
			if err != nil || i < 0 || i >= n {
				return nil, fmt.Errorf("rule %q: batched result: bad %s %v", r.ID, stepColumn, row[0])
			}
			parts[i].Rows = append(parts[i].Rows, row[1:])
		}
		for _, p := range parts {
			if err := r.check(p); err != nil {
				return nil, err
			}
		}
		out, times = append(out, parts...), times[n:]
	}
	return out, nil
}

// check checks a result of the rule: see Eval.
func (r *Rule) check(res *store.Result) error {
	var missing []string
	for _, c := range r.GroupBy {
		if !slices.Contains(res.Columns, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("rule %q: result lacks group_by column %s (it returns %s)",
			r.ID, strings.Join(missing, ", "), strings.Join(res.Columns, ", "))
	}
	for i, c := range res.Columns {
		for _, row := range res.Rows {
			if err := alertValue(c, row[i]); err != nil {
				return fmt.Errorf("rule %q: %w", r.ID, err)
			}
		}
	}
	return nil
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
