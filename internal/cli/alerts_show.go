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
)

// alertView is one alert whole, as alerts show prints it: the alert and
// what its rule says about it.
type alertView struct {
	alert.Alert
	Description string `json:"description"` // the rule's
	Runbook     string `json:"runbook"`     // the rule's
}

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
				a, err := findAlert(as, args[0])
				if err != nil {
					return err
				}
				v := alertView{Alert: a}
				if a.RuleID == exposure.TicketRule {
					v.Description, v.Runbook = exposure.TicketDescription, exposure.TicketRunbook
				}
				for _, r := range rs {
					if r.ID == a.RuleID {
						v.Description, v.Runbook = strings.TrimSpace(r.Description), strings.TrimSpace(r.Runbook)
					}
				}
				return e.printAlertSilenced(cmd.Context(), st, v, func() error { return e.printAlert(v, rs) })
			})
		},
	}
	cmd.Flags().StringArrayVar(&dirs, "rules", nil, "also read the rules in this directory (repeatable)")
	_ = cmd.MarkFlagDirname("rules")
	return cmd
}

// findAlert returns the alert whose id is id or starts with it.
func findAlert(as []alert.Alert, id string) (alert.Alert, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	var found []alert.Alert
	for _, a := range as {
		if a.ID == id {
			return a, nil
		}
		if id != "" && strings.HasPrefix(a.ID, id) {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 0:
		return alert.Alert{}, fmt.Errorf("no alert with id %q (homesoc alerts list shows them)", id)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, a := range found {
		ids[i] = a.ID
	}
	return alert.Alert{}, fmt.Errorf("id prefix %q matches %d alerts: %s; give more of the id", id, len(found), strings.Join(ids, ", "))
}

func (e *env) printAlert(v alertView, rs []*rules.Rule) error {
	if e.json {
		return e.printJSON(v)
	}
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
		return nil
	}
	fmt.Fprintln(e.stdout, "\nevidence (the rule's row of the latest detection):")
	tw = tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, k := range alert.SortedKeys(a.Detail) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, a.Detail[k])
	}
	tw.Flush()
	if v.Description == "" && v.Runbook == "" {
		fmt.Fprintf(e.stdout, "\nrule %s is not among the rules loaded (%d): pass its directory with --rules for its description and runbook\n", a.RuleID, len(rs))
		return nil
	}
	fmt.Fprintf(e.stdout, "\ndescription:\n%s\n", indent(v.Description))
	fmt.Fprintf(e.stdout, "\nrunbook:\n%s\n", indent(v.Runbook))
	return nil
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
