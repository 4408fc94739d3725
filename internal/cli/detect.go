package cli

import (
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/detect"
)

func detectCmd(e *env) *cobra.Command {
	var nowFlag string
	var dirs []string
	cmd := &cobra.Command{
		Use:   "detect [--now T] [--rules DIR]...",
		Short: "Retro-hunt new indicators, run every rule over the newly ingested data, and raise alerts",
		Long: `Run one detection pass over the stored data:

 1. retro-hunt: the indicators added or changed since the last hunt are
    matched against all stored events, so events stored before an indicator
    was known become sightings (later events were matched at ingest);
 2. every rule (the built-in ones and those in --rules directories) runs over
    the event times of the data ingested since it last ran, however old those
    times are: a day-old log gets the alerts it would have got live. The
    rule's window steps across that data half a window at a time, so a burst
    is not missed at a step boundary, and the same evidence seen by two
    windows counts once. A rule with no new data is not run; with no new
    data at all, detect says so and changes nothing.

An alert is identified by its rule and the values of the rule's group_by
columns: finding the same thing again with newer evidence updates that alert
(last seen, count) instead of opening another. Its first and last seen are
the data's times.

--now evaluates every rule once, at that time, over the window before it,
whatever was ingested when: for tests and one-off looks. It does not move
the rules' watermarks.`,
		Example: `  homesoc detect
  homesoc detect --rules ./my-rules
  homesoc detect --now 2026-01-10T12:00:00Z
  homesoc --json detect`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := parseNow(nowFlag)
			if err != nil {
				return err
			}
			rs, loadErr := e.loadRulesToRun(dirs) // broken rule files fail the run at its end
			rs, skipped, err := e.runnable(rs)
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if err := e.refreshIntervals(cmd.Context(), st); err != nil { // rules see fresh vpn_intervals
				return err
			}
			unlock := e.exclusive(func(sh *shared) *sync.Mutex { return &sh.detectMu })
			defer unlock()
			res, err := detect.Run(cmd.Context(), st, rs, now)
			if err != nil {
				return err
			}
			res.AddSkipped(skipped)
			routeErr := e.notifyChanged(cmd.Context(), st) // the alerts are stored whatever routing says
			if err := e.printDetect(res); err != nil {
				return err
			}
			if routeErr != nil {
				return fmt.Errorf("alerts stored, but not routed to receivers: %w", routeErr)
			}
			if res.Failed > 0 {
				return exitError{code: 1, msg: fmt.Sprintf("%d rules failed", res.Failed)}
			}
			return loadErr
		},
	}
	cmd.Flags().StringVar(&nowFlag, "now", "", "evaluate every rule once at this time (RFC 3339) instead of over the newly ingested data")
	cmd.Flags().StringArrayVar(&dirs, "rules", nil, "also run the rules in this directory (repeatable)")
	_ = cmd.MarkFlagDirname("rules")
	return cmd
}

// parseNow reads --now: empty means none, the zero time.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
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
	if h := res.Hunt; h.Indicators == 0 {
		fmt.Fprintln(e.stdout, "retro-hunt: no indicators added or changed since the last hunt")
	} else {
		fmt.Fprintf(e.stdout, "retro-hunt: %d indicators over %d addresses: %d matched, %d new sightings\n",
			h.Indicators, h.Addresses, h.Matched, h.Sightings)
	}
	defer e.printSkipped(res)
	if res.At == nil && res.UpToDate {
		fmt.Fprintf(e.stdout, "no data ingested since the last detect: all %d rules up to date, alerts unchanged\n", len(res.Rules)-res.Skipped)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tDATA\tEVALUATIONS\tROWS\tOPENED\tUPDATED\tERROR")
	evaluated := 0
	for _, r := range res.Rules {
		data := "up to date"
		switch {
		case r.Skipped != "":
			data = "skipped"
		case r.DataFrom != nil:
			data = r.DataFrom.Format(time.DateTime) + " .. " + r.DataTo.Format(time.DateTime)
		case res.At != nil:
			data = "at " + res.At.Format(time.DateTime)
		}
		if !r.UpToDate && r.Skipped == "" {
			evaluated++
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", r.Rule, data, r.Evaluations, r.Rows, r.Opened, r.Updated, r.Error)
	}
	tw.Flush()
	for _, r := range res.Rules {
		if r.IdentityError != "" {
			fmt.Fprintf(e.stdout, "rule %s: alerts stored without identity: %s\n", r.Rule, r.IdentityError)
		}
		if r.Resolved > 0 {
			fmt.Fprintf(e.stdout, "rule %s: %d alerts resolved (no match for resolve_after)\n", r.Rule, r.Resolved)
		}
	}
	if res.At != nil {
		fmt.Fprintf(e.stdout, "%d rules at %s: %d alerts opened, %d updated\n", len(res.Rules)-res.Skipped, res.At.Format(time.RFC3339), res.Opened, res.Updated)
		return nil
	}
	fmt.Fprintf(e.stdout, "%d rules over newly ingested data (%d up to date): %d alerts opened, %d updated\n",
		evaluated, len(res.Rules)-res.Skipped-evaluated, res.Opened, res.Updated)
	return nil
}

// printSkipped says, after the table, why each skipped rule did not run.
func (e *env) printSkipped(res detect.Result) {
	for _, r := range res.Rules {
		if r.Skipped != "" {
			fmt.Fprintf(e.stdout, "%s skipped: %s\n", r.Rule, r.Skipped)
		}
	}
}

func alertsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "alerts", Short: "Show alerts"}
	cmd.AddCommand(alertsListCmd(e), alertsShowCmd(e), alertsNotifyCmd(e))
	cmd.AddCommand(alertMoveCmds(e)...)
	return cmd
}

func (e *env) printAlerts(as []alert.Alert) error {
	if e.json {
		return e.printJSON(nonNil(as))
	}
	if len(as) == 0 {
		fmt.Fprintln(e.stdout, "no alerts")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tSTATE\tRULE\tGROUP\tFIRST SEEN\tLAST SEEN\tCOUNT\tEVENTS\tUSER\tID")
	for _, a := range as {
		var g []string
		for _, k := range alert.SortedKeys(a.Group) {
			g = append(g, k+"="+a.Group[k])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", a.Severity, a.Status, a.RuleID, strings.Join(g, " "),
			a.FirstSeen.Format(time.DateTime), a.LastSeen.Format(time.DateTime), a.Count, a.Events, identityUser(a.Identity), a.ID[:8])
	}
	return tw.Flush()
}
