package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/retention"
	"github.com/homesoc/homesoc/internal/store"
)

func retentionCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "Delete history past the config's retention",
		Long: `The config's retention section says how long each table of history is kept
(e.g. network_events: 90d); homesoc serve applies it daily, and retention run
on demand. A table the section leaves out is kept forever, except
notifications: delivered and dead ones go after 30d unless the section says
otherwise (0 keeps them). State is never deleted: indicators, silences,
assets, intended ports; open and acknowledged alerts; pending notifications;
the newest scan of each address.

DuckDB deletes the rows and checkpoints: the file does not shrink, but new
rows fill the space the old ones left. ClickHouse drops whole months of the
event tables (rows of the cutoff's own month stay until the next month) and
deletes expired alerts, notifications and scans.`,
	}
	cmd.AddCommand(retentionRunCmd(e))
	return cmd
}

func retentionRunCmd(e *env) *cobra.Command {
	var dryRun bool
	var nowFlag string
	cmd := &cobra.Command{
		Use:   "run [--dry-run]",
		Short: "Delete the rows past their table's retention, and print what went",
		Example: `  homesoc retention run --dry-run
  homesoc retention run
  homesoc --json retention run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := parseNow(nowFlag)
			if err != nil {
				return err
			}
			if now.IsZero() {
				now = time.Now().UTC().Truncate(time.Second)
			}
			cfg := e.cfg.Retention
			if len(cfg.Periods()) == 0 { // no store to open
				if e.json {
					return e.printJSON(retention.Result{Now: now, DryRun: dryRun, Tables: []retention.Table{}})
				}
				fmt.Fprintln(e.stdout, "nothing to delete: the config's retention section keeps every table forever")
				return nil
			}
			return e.withStore(cmd.Context(), func(st store.Store) error {
				res, err := retention.Run(cmd.Context(), st, cfg, now, dryRun)
				if perr := e.printRetention(res); err == nil {
					err = perr
				}
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "delete nothing: print what would be deleted")
	cmd.Flags().StringVar(&nowFlag, "now", "", "measure the retention from this time (RFC 3339) instead of now")
	return cmd
}

// printRetention prints a run's result: JSON, or a line per table.
func (e *env) printRetention(res retention.Result) error {
	if e.json {
		return e.printJSON(res)
	}
	if len(res.Tables) == 0 {
		return nil
	}
	verb := "deleted"
	if res.DryRun {
		verb = "would delete"
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "TABLE\tKEEP\tBEFORE\t%s\n", strings.ToUpper(verb))
	for _, t := range res.Tables {
		what := fmt.Sprintf("%d %s", t.Rows, plural(int(t.Rows), "row", "rows"))
		if len(t.Partitions) > 0 {
			what += fmt.Sprintf(" (%d monthly %s: %s)", len(t.Partitions), plural(len(t.Partitions), "partition", "partitions"), strings.Join(t.Partitions, ", "))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Table, days(time.Duration(t.Keep)), t.Before.Format(time.RFC3339), what)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.DryRun {
		fmt.Fprintf(e.stdout, "dry run: %d %s would be deleted, nothing was\n", res.Deleted(), plural(int(res.Deleted()), "row", "rows"))
	} else {
		fmt.Fprintf(e.stdout, "%d %s deleted\n", res.Deleted(), plural(int(res.Deleted()), "row", "rows"))
	}
	return nil
}

// days writes a retention in days when it is whole days (30d, not 4w2d).
func days(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return config.Duration(d).String()
}
