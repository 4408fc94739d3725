package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
)

type queryOpts struct {
	timeout time.Duration
	now     string
	window  time.Duration
	csv     bool
}

func queryCmd(e *env) *cobra.Command {
	var o queryOpts
	cmd := &cobra.Command{
		Use:   "query [flags] 'SELECT ...' | -",
		Short: "Run one read-only SQL SELECT on the store",
		Long: `Run one SQL SELECT on the store --store names (or read it from stdin with -)
and print its rows: a table, --json ({"columns": [...], "rows": [[...], ...]})
or --csv (RFC 4180, with a header).

The SQL is the engine's own (DuckDB, or ClickHouse) with the macros rules use:
{{now}}, {{since "24h"}}, {{window_start}} (--now minus --window), {{hour col}}
and {{day col}}. "homesoc schema" lists the tables and their columns.

The query runs in a sandbox: one SELECT, no writes or schema changes, no
settings, and no access to files or the network from SQL (read_csv, COPY,
ATTACH, INSTALL, LOAD and table functions that act, such as checkpoint(), on
DuckDB; file, url, remote and every other table function, KILL and SHOW on
ClickHouse) - refused with an error that says so. On ClickHouse it reads what
the server grants the store's user, other databases included: give homesoc a
user granted only its own database. It is stopped after --timeout.`,
		Example: `  homesoc query 'SELECT action, count(*) AS n FROM network_events GROUP BY action ORDER BY n DESC'
  homesoc query 'SELECT src_ip, count(DISTINCT dst_port) AS ports FROM network_events
                 WHERE time >= {{since "1h"}} GROUP BY src_ip ORDER BY ports DESC LIMIT 10'
  homesoc --json query 'SELECT * FROM alerts'
  homesoc query --csv 'SELECT * FROM network_events' > events.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.query(cmd.Context(), o, args[0])
		},
	}
	cmd.Flags().DurationVar(&o.timeout, "timeout", 30*time.Second, "stop the query after this long")
	cmd.Flags().StringVar(&o.now, "now", "", "the time {{now}} stands for: RFC 3339 or 2006-01-02 15:04:05 UTC (default: now)")
	cmd.Flags().DurationVar(&o.window, "window", 24*time.Hour, "how far before --now {{window_start}} is")
	cmd.Flags().BoolVar(&o.csv, "csv", false, "print CSV (RFC 4180) with a header")
	return cmd
}

func (e *env) query(ctx context.Context, o queryOpts, sql string) error {
	if err := e.checkFormat(o.csv); err != nil {
		return err
	}
	if sql == "-" {
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return fmt.Errorf("read the query from stdin: %w", err)
		}
		sql = string(b)
	}
	if strings.TrimSpace(sql) == "" {
		return errors.New("empty query")
	}
	now := time.Now()
	if o.now != "" {
		var err error
		if now, err = parseTime(o.now, time.Now()); err != nil {
			return fmt.Errorf("--now: %w", err)
		}
	}
	return e.readStore(ctx, func(st store.Store) error {
		rule := &rules.Rule{ID: "query", SQL: sql, Path: "query", SQLLine: 1, Window: o.window}
		rendered, err := rule.Render(st.Dialect(), now)
		if err != nil {
			return err
		}
		qctx, cancel := context.WithTimeout(ctx, o.timeout)
		defer cancel()
		res, err := st.ReadQuery(qctx, rendered)
		if err != nil {
			if errors.Is(qctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
				return fmt.Errorf("query stopped after %s (--timeout)", o.timeout)
			}
			return fmt.Errorf("query: %w", err)
		}
		switch {
		case e.json:
			rows := make([][]any, len(res.Rows))
			for i, r := range res.Rows {
				rows[i] = jsonRow(r)
			}
			return e.printJSON(struct {
				Columns []string `json:"columns"`
				Rows    [][]any  `json:"rows"`
			}{nonNil(res.Columns), rows})
		case o.csv:
			return writeCSV(e.stdout, res.Columns, res.Rows)
		default:
			writeTable(e.stdout, res.Columns, res.Rows)
			fmt.Fprintf(e.stdout, "(%d rows)\n", len(res.Rows))
			return nil
		}
	})
}

// checkFormat fails when --json and --csv are both given.
func (e *env) checkFormat(csv bool) error {
	if csv && e.json {
		return errors.New("--json and --csv: choose one")
	}
	return nil
}

// parseTime reads a time given as RFC 3339, "2006-01-02 15:04:05" or
// "2006-01-02" (UTC), or as a duration before now ("24h", "7d").
func parseTime(s string, now time.Time) (time.Time, error) {
	if d, err := parseAgo(s); err == nil {
		return now.Add(-d).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", time.DateTime, time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a time (2006-01-02T15:04:05Z, 2006-01-02 15:04:05, 2006-01-02) nor a duration ago (24h, 7d)", s)
}

// parseAgo parses a positive Go duration or a number of days ("7d").
func parseAgo(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseUint(n, 10, 16)
		return time.Duration(days) * 24 * time.Hour, err
	}
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = errors.New("not positive")
	}
	return d, err
}

// jsonRow is a result row with its values as the JSON convention wants them.
func jsonRow(row []any) []any {
	out := make([]any, len(row))
	for i, v := range row {
		out[i] = jsonValue(v)
	}
	return out
}

// jsonValue is a driver value as JSON shows it: times in RFC 3339, numbers
// that JSON cannot hold (NaN, infinities, 64-bit values past 2^53 keep
// theirs) as text, lists and maps element by element, anything else as its
// text.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return x
	case float32:
		return jsonValue(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return x // base64
	case *big.Int: // HUGEINT
		return json.Number(x.String())
	case interface {
		Float64() float64
		String() string
	}: // DuckDB's DECIMAL
		return json.Number(x.String())
	case []any:
		return jsonRow(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = jsonValue(v)
		}
		return m
	default:
		return fmt.Sprint(x)
	}
}

// textValue is a value as CSV and tables print it: times in RFC 3339,
// NULL as "".
func textValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []byte:
		return string(x)
	default:
		return fmt.Sprint(x)
	}
}

// writeCSV writes a header and rows as RFC 4180 CSV (CRLF line ends).
func writeCSV(w io.Writer, cols []string, rows [][]any) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(cols); err != nil {
		return err
	}
	rec := make([]string, len(cols))
	for _, row := range rows {
		for i, v := range row {
			rec[i] = textValue(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// maxCell is the most characters a table cell shows of a value; --json and
// --csv print values whole.
const maxCell = 80

// writeTable writes rows as an aligned table for a terminal: control
// characters and invalid bytes escaped, long values cut to maxCell.
func writeTable(w io.Writer, cols []string, rows [][]any) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	cells := make([]string, len(cols))
	for _, row := range rows {
		for i, v := range row {
			cells[i] = displayCell(textValue(v))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
}

// displayCell is s safe for a terminal table cell: control characters and
// invalid bytes escaped as Go does, at most maxCell characters.
func displayCell(s string) string {
	safe := true
	for _, r := range s {
		if r == utf8.RuneError || r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			safe = false
			break
		}
	}
	if !safe {
		q := strconv.Quote(s)
		s = q[1 : len(q)-1]
	}
	if utf8.RuneCountInString(s) > maxCell {
		r := []rune(s)
		s = string(r[:maxCell-1]) + "…"
	}
	return s
}
