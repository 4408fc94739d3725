package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/exposure"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

func alertsShowCmd(e *env) *cobra.Command {
	var dirs []string
	cmd := &cobra.Command{
		Use:   "show ID [--rules DIR]...",
		Short: "Show one alert whole: its finding, evidence, and the rule's description and runbook",
		Long: `Show one alert: rule and title, severity, the group_by values that identify
it, first and last seen (the data's times), count, who was behind its address
then (identity: each user or device with its source, interval and evidence),
the evidence (every column the rule returned in its latest detection), and the
rule's description and runbook. ID is the alert's id or a prefix of it that only it has, such as the
8 characters alerts list shows. The rule's text comes from the built-in rules
and the --rules directories.`,
		Example: "  homesoc alerts show 1021f5b0\n  homesoc --json alerts show 1021f5b0 --rules ./my-rules",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, _ := loadRules(dirs) // a broken rule file only costs its rule's text here
			return e.readStore(cmd.Context(), func(st store.Store) error {
				as, err := st.Alerts(cmd.Context())
				if err != nil {
					return err
				}
				a, err := view.FindAlert(as, args[0])
				if err != nil {
					return err
				}
				ss, err := st.Silences(cmd.Context(), store.SilencesCurrent)
				if err != nil {
					return err
				}
				return e.printAlertSilenced(view.Show(a, rs, e.ruleTags()[a.RuleID], ss, store.Now()), rs)
			})
		},
	}
	cmd.Flags().StringArrayVar(&dirs, "rules", nil, "also read the rules in this directory (repeatable)")
	_ = cmd.MarkFlagDirname("rules")
	return cmd
}

// printAlert prints v as text: the alert and its rule's text.
func (e *env) printAlert(v view.Alert, rs []*rules.Rule) {
	a := v.Alert
	var g []string
	for _, k := range alert.SortedKeys(a.Group) {
		g = append(g, k+"="+a.Group[k])
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "alert\t%s\n", a.ID)
	fmt.Fprintf(tw, "rule\t%s: %s\n", a.RuleID, a.Title)
	fmt.Fprintf(tw, "severity\t%s\n", a.Severity)
	fmt.Fprintf(tw, "status\t%s\n", a.Status)
	fmt.Fprintf(tw, "group\t%s\n", strings.Join(g, " "))
	fmt.Fprintf(tw, "first seen\t%s\n", a.FirstSeen.Format(time.RFC3339))
	fmt.Fprintf(tw, "last seen\t%s\n", a.LastSeen.Format(time.RFC3339))
	fmt.Fprintf(tw, "count\t%d (detections with new evidence)\n", a.Count)
	fmt.Fprintf(tw, "events\t%d (behind the latest detection)\n", a.Events)
	fmt.Fprintf(tw, "updated\t%s\n", a.UpdatedAt.Format(time.RFC3339))
	tw.Flush()
	printHistory(e.stdout, a.History)
	printIdentity(e.stdout, a.Identity)
	if t, err := exposure.TicketOf(a); err == nil {
		fmt.Fprintln(e.stdout)
		printTicket(e, t)
		fmt.Fprintf(e.stdout, "\ndescription:\n%s\n\nrunbook:\n%s\n", indent(v.Description), indent(v.Runbook))
		return
	}
	fmt.Fprintln(e.stdout, "\nevidence (the rule's row of the latest detection):")
	tw = tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, k := range alert.SortedKeys(a.Detail) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, a.Detail[k])
	}
	tw.Flush()
	if v.Description == "" && v.Runbook == "" {
		fmt.Fprintf(e.stdout, "\nrule %s is not among the rules loaded (%d): pass its directory with --rules for its description and runbook\n", a.RuleID, len(rs))
		return
	}
	fmt.Fprintf(e.stdout, "\ndescription:\n%s\n", indent(v.Description))
	fmt.Fprintf(e.stdout, "\nrunbook:\n%s\n", indent(v.Runbook))
}

// indent indents every line of s by two spaces.
func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n")
}
