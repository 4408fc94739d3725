package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

func alertsListCmd(e *env) *cobra.Command {
	var states, ruleIDs, severities []string
	var since string
	cmd := &cobra.Command{
		Use:   "list [--state S]... [--rule R]... [--severity S]... [--since DURATION|TIME]",
		Short: "List alerts, the most recently seen first",
		Long: `List alerts with their severity, state (open, acknowledged or resolved),
rule, the values that identify them (the rule's group_by columns), first and
last seen, how many detections found new evidence for them (count), and who
was behind the alert's address then (user: the user or device owner it
resolved to, "several: a, b" when the address passed from one to another,
"ambiguous" when several held it at once; alerts show gives the evidence).

--state, --rule and --severity keep the alerts with any of the values given
(repeat the flag or give a comma list); --since keeps those last seen at or
after a time (RFC 3339, "2006-01-02 15:04:05" or 2006-01-02, UTC) or a
duration before now (24h, 7d). Without filters every alert is listed.`,
		Example: `  homesoc alerts list
  homesoc alerts list --state open,acknowledged --severity high --since 7d
  homesoc --json alerts list --rule port-scan`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := alertFilter(states, ruleIDs, severities, since)
			if err != nil {
				return err
			}
			return e.readStore(cmd.Context(), func(st store.Store) error {
				as, err := st.FindAlerts(cmd.Context(), f)
				if err != nil {
					return err
				}
				return e.printAlertsSilenced(cmd.Context(), st, as)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&states, "state", nil, "only alerts in this state: open, acknowledged or resolved (repeatable, or a comma list)")
	fl.StringSliceVar(&ruleIDs, "rule", nil, "only alerts of this rule (repeatable, or a comma list)")
	fl.StringSliceVar(&severities, "severity", nil, "only alerts of this severity: "+strings.Join(rules.Severities, ", ")+" (repeatable, or a comma list)")
	fl.StringVar(&since, "since", "", "only alerts last seen at or after this time, or this long before now (24h, 7d)")
	return cmd
}

// alertFilter checks alerts list's flags and turns them into a filter.
func alertFilter(states, ruleIDs, severities []string, since string) (store.AlertFilter, error) {
	f := store.AlertFilter{Rules: ruleIDs}
	for _, s := range states {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "ack" {
			s = alert.StatusAcknowledged
		}
		if !alert.ValidState(s) {
			return f, fmt.Errorf("--state %q: want open, acknowledged or resolved", s)
		}
		f.States = append(f.States, s)
	}
	for _, s := range severities {
		s = strings.ToLower(strings.TrimSpace(s))
		if !slices.Contains(rules.Severities, s) {
			return f, fmt.Errorf("--severity %q: want one of %s", s, strings.Join(rules.Severities, ", "))
		}
		f.Severities = append(f.Severities, s)
	}
	if since != "" {
		t, err := view.ParseTime(since, store.Now())
		if err != nil {
			return f, fmt.Errorf("--since: %w", err)
		}
		f.Since = t
	}
	return f, nil
}
