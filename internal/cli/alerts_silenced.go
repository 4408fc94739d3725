package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/silence"
	"github.com/homesoc/homesoc/internal/store"
)

// silencedAt returns, by alert id, the ids of the silences that mute each
// alert at a time (silence.Silenced over its labels, with its rule's tags);
// alerts no silence mutes are absent.
func silencedAt(as []alert.Alert, tags map[string][]string, ss []silence.Silence, at time.Time) map[string][]string {
	out := map[string][]string{}
	for i := range as {
		if ids := silence.Silenced(as[i].Labels(tags[as[i].RuleID]...), ss, at); len(ids) > 0 {
			out[as[i].ID] = ids
		}
	}
	return out
}

// silencedAlert is an alert as alerts list --json prints it: with the ids
// of the silences muting it now ([] for none).
type silencedAlert struct {
	alert.Alert
	Silenced []string `json:"silenced"`
}

// printAlertsSilenced is alerts list's output: printAlerts, each alert in
// JSON with the silences muting it now, and in text a line for each
// silenced alert below the table. A silenced alert is still listed; only
// its delivery stops.
func (e *env) printAlertsSilenced(ctx context.Context, st store.Store, as []alert.Alert) error {
	ss, err := st.Silences(ctx, store.SilencesCurrent)
	if err != nil {
		return err
	}
	by := silencedAt(as, e.ruleTags(), ss, store.Now())
	if e.json {
		out := make([]silencedAlert, len(as))
		for i, a := range as {
			out[i] = silencedAlert{Alert: a, Silenced: nonNil(by[a.ID])}
		}
		return e.printJSON(out)
	}
	if err := e.printAlerts(as); err != nil || len(by) == 0 {
		return err
	}
	fmt.Fprintln(e.stdout, "\nsilenced (still listed, not delivered):")
	for _, a := range as {
		if ids := by[a.ID]; len(ids) > 0 {
			fmt.Fprintf(e.stdout, "  %s  %s by %s\n", a.ID[:8], a.RuleID, strings.Join(ids, ", "))
		}
	}
	return nil
}

// silencedView is an alert as alerts show --json prints it: with the
// silences muting it now, whole ([] for none).
type silencedView struct {
	alertView
	Silenced []silence.Silence `json:"silenced"`
}

// printAlertSilenced is alerts show's output: print (printAlert), then,
// if any, the silences that mute the alert now, each with its matchers,
// end, author and comment; in JSON the view with them.
func (e *env) printAlertSilenced(ctx context.Context, st store.Store, v alertView, print func() error) error {
	ss, err := st.Silences(ctx, store.SilencesCurrent)
	if err != nil {
		return err
	}
	now := store.Now()
	muting := []silence.Silence{}
	labels := v.Labels(e.ruleTags()[v.RuleID]...)
	for _, s := range ss {
		if s.Active(now) && s.Matches(labels) {
			muting = append(muting, s)
		}
	}
	if e.json {
		return e.printJSON(silencedView{alertView: v, Silenced: muting})
	}
	if err := print(); err != nil {
		return err
	}
	if len(muting) == 0 {
		return nil
	}
	fmt.Fprintln(e.stdout, "\nsilenced: yes (still listed, not delivered)")
	for _, s := range muting {
		fmt.Fprintf(e.stdout, "  silence %s: %s until %s, by %s: %s\n", s.ID, s.Matchers,
			s.EndsAt.Format(time.RFC3339), s.Author, s.Comment)
	}
	return nil
}
