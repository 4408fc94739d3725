package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

func rejectsCmd(e *env) *cobra.Command {
	var since time.Duration
	var limit int
	cmd := &cobra.Command{
		Use:   "rejects",
		Short: "List input lines that could not be parsed, with the reason",
		Long: `List the lines that ingest rejected (the dead-letter table): where each came
from (file and line number), the format tried, the reason, and the line itself.`,
		Example: `  homesoc rejects
  homesoc rejects --since 1h --limit 500
  homesoc --json rejects`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var from time.Time
			if since > 0 {
				from = time.Now().Add(-since)
			}
			return e.readStore(cmd.Context(), func(st store.Store) error {
				return e.printRejects(cmd.Context(), st, from, limit)
			})
		},
	}
	cmd.Flags().DurationVar(&since, "since", 0, "only lines rejected within this long (default: all)")
	cmd.Flags().IntVar(&limit, "limit", 100, "list at most this many")
	return cmd
}

// printRejects lists up to limit rejected lines since a time on stdout:
// JSON, or each as "source:line: format: reason" and the line itself.
func (e *env) printRejects(ctx context.Context, st store.Store, since time.Time, limit int) error {
	rs, total, err := st.Rejects(ctx, since, limit)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(map[string]any{"total": total, "rejects": rs})
	}
	for _, r := range rs {
		printReject(e.stdout, r)
		fmt.Fprintf(e.stdout, "\t%q\n", r.Raw)
	}
	if total > len(rs) {
		fmt.Fprintf(e.stdout, "... and %d more rejected lines: homesoc rejects --limit %d\n", total-len(rs), total)
	}
	return nil
}

// printReject prints a rejected line as "source:line: format: reason".
func printReject(w io.Writer, r event.Reject) {
	fmt.Fprintf(w, "%s:%d: %s: %s\n", r.Source, r.Line, r.Format, r.Reason)
}
