package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/detect"
	"github.com/homesoc/homesoc/internal/store"
)

func detectCmd(e *env) *cobra.Command {
	var nowFlag string
	var dirs []string
	cmd := &cobra.Command{
		Use:   "detect [--now T] [--rules DIR]...",
		Short: "Retro-hunt indicators over history, run every rule, and raise alerts",
		Long: `Run one detection pass over the stored data:

 1. retro-hunt: every active indicator is matched against all stored events,
    so events stored before an indicator was known become sightings;
 2. every rule (the built-in ones and those in --rules directories) runs at
    --now, and each row it returns becomes an alert.

An alert is identified by its rule and the values of the rule's group_by
columns: finding the same thing again updates that alert (last seen, count)
instead of opening another.`,
		Example: `  homesoc detect
  homesoc detect --now 2026-01-10T12:00:00Z --rules ./my-rules
  homesoc --json detect`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := parseNow(nowFlag)
			if err != nil {
				return err
			}
			rs, loadErr := e.loadRulesToRun(dirs) // broken rule files fail the run at its end
			st, err := e.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := detect.Run(cmd.Context(), st, rs, now)
			if err != nil {
				return err
			}
			if err := e.printDetect(res); err != nil {
				return err
			}
			if res.Failed > 0 {
				return exitError{code: 1, msg: fmt.Sprintf("%d rules failed", res.Failed)}
			}
			return loadErr
		},
	}
	cmd.Flags().StringVar(&nowFlag, "now", "", "evaluate rules at this time (RFC 3339; default: now)")
	cmd.Flags().StringArrayVar(&dirs, "rules", nil, "also run the rules in this directory (repeatable)")
	return cmd
}

// parseNow reads --now: empty means the current time.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		return store.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--now: want RFC 3339 like 2026-01-10T12:00:00Z: %w", err)
	}
	return t.UTC().Truncate(time.Second), nil
}

func (e *env) printDetect(res detect.Result) error {
	if e.json {
		return e.printJSON(res)
	}
	fmt.Fprintf(e.stdout, "retro-hunt: %d indicators over %d addresses: %d matched, %d new sightings\n",
		res.Hunt.Indicators, res.Hunt.Addresses, res.Hunt.Matched, res.Hunt.Sightings)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tROWS\tOPENED\tUPDATED\tERROR")
	for _, r := range res.Rules {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", r.Rule, r.Rows, r.Opened, r.Updated, r.Error)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d rules at %s: %d alerts opened, %d updated\n", len(res.Rules), res.Now.Format(time.RFC3339), res.Opened, res.Updated)
	return nil
}

func alertsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "alerts", Short: "Show alerts"}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List alerts, the most recently seen first",
		Long: `List alerts with their rule, severity, the values that identify them (the
rule's group_by columns), first and last seen, and how many detections found
new evidence for them (count).`,
		Example: "  homesoc alerts list\n  homesoc --json alerts list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.readStore(cmd.Context(), func(st store.Store) error {
				as, err := st.Alerts(cmd.Context())
				if err != nil {
					return err
				}
				return e.printAlerts(as)
			})
		},
	})
	return cmd
}

func (e *env) printAlerts(as []alert.Alert) error {
	if e.json {
		if as == nil {
			as = []alert.Alert{}
		}
		return e.printJSON(as)
	}
	if len(as) == 0 {
		fmt.Fprintln(e.stdout, "no alerts")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tRULE\tGROUP\tFIRST SEEN\tLAST SEEN\tCOUNT\tEVENTS\tID")
	for _, a := range as {
		var g []string
		for _, k := range alert.SortedKeys(a.Group) {
			g = append(g, k+"="+a.Group[k])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", a.Severity, a.RuleID, strings.Join(g, " "),
			a.FirstSeen.Format(time.DateTime), a.LastSeen.Format(time.DateTime), a.Count, a.Events, a.ID[:8])
	}
	return tw.Flush()
}
