package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
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
		if now, err = view.ParseTime(o.now, time.Now()); err != nil {
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
			return e.printJSON(view.QueryOf(res))
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
