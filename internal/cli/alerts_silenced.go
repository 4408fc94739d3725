package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

// printAlertsSilenced is alerts list's output: printAlerts, each alert in
// JSON with the silences muting it now (view.List), and in text a line for
// each silenced alert below the table. A silenced alert is still listed;
// only its delivery stops.
func (e *env) printAlertsSilenced(ctx context.Context, st store.Store, as []alert.Alert) error {
	ss, err := st.Silences(ctx, store.SilencesCurrent)
	if err != nil {
		return err
	}
	list := view.List(as, e.ruleTags(), ss, store.Now())
	if e.json {
		return e.printJSON(list)
	}
	silenced := func(a view.ListedAlert) bool { return len(a.Silenced) > 0 }
	if err := e.printAlerts(as); err != nil || !slices.ContainsFunc(list, silenced) {
		return err
	}
	fmt.Fprintln(e.stdout, "\nsilenced (still listed, not delivered):")
	for _, a := range list {
		if silenced(a) {
			fmt.Fprintf(e.stdout, "  %s  %s by %s\n", a.ID[:8], a.RuleID, strings.Join(a.Silenced, ", "))
		}
	}
	return nil
}

// printAlertSilenced is alerts show's output: v in JSON; in text the alert
// (printAlert), then, if any, the silences that mute it now, each with its
// matchers, end, author and comment.
func (e *env) printAlertSilenced(v view.ShownAlert, rs []*rules.Rule) error {
	if e.json {
		return e.printJSON(v)
	}
	e.printAlert(v.Alert, rs)
	if len(v.Silenced) == 0 {
		return nil
	}
	fmt.Fprintln(e.stdout, "\nsilenced: yes (still listed, not delivered)")
	for _, s := range v.Silenced {
		fmt.Fprintf(e.stdout, "  silence %s: %s until %s, by %s: %s\n", s.ID, s.Matchers,
			s.EndsAt.Format(time.RFC3339), s.Author, s.Comment)
	}
	return nil
}
