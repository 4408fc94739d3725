package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

// alertMove is what alerts ack, resolve and reopen print with --json.
type alertMove struct {
	view.AlertMove
	// Notify is what routing and delivering the change did (absent when
	// nothing changed).
	Notify *notifyRun `json:"notify,omitempty"`
}

// alertMoveCmds are alerts ack, resolve and reopen.
func alertMoveCmds(e *env) []*cobra.Command {
	return []*cobra.Command{
		alertMoveCmd(e, "ack", alert.StatusAcknowledged, "acknowledged", "Acknowledge an open alert: someone is on it",
			`Acknowledge an open alert: it stays visible, and detection still updates its
count and last seen, but it stays acknowledged (a rule's resolve_after may
still resolve it). Acknowledging a resolved alert takes it on again.`),
		alertMoveCmd(e, "resolve", alert.StatusResolved, "resolved", "Resolve an alert",
			`Resolve an alert. New evidence from its rule reopens it (history: by
detect); an exposure ticket's rescan that finds ports open reopens it (by
rescan).`),
		alertMoveCmd(e, "reopen", alert.StatusOpen, "reopened", "Reopen an acknowledged or resolved alert", `Reopen an acknowledged or resolved alert.`),
	}
}

func alertMoveCmd(e *env, verb, state, done, short, long string) *cobra.Command {
	var comment, author string
	cmd := &cobra.Command{
		Use:   verb + " ID [--comment TEXT] [--author NAME]",
		Short: short,
		Long: long + `

ID is the alert's id or a prefix of it that only it has, as alerts show takes
it. The change is kept in the alert's history (alerts show) with who
(--author, default $USER, else "homesoc"), when, the comment, and "by
operator". An alert in that state already is left as it is: the command
says so and exits 0. A change is routed and delivered at once (as alerts
notify --wait 0s does): PagerDuty's incident is acknowledged or resolved.`,
		Example: fmt.Sprintf("  homesoc alerts %s 1021f5b0 --comment \"checked with the owner\"\n  homesoc --json alerts %s 1021f5b0 --author anna", verb, verb),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if author == "" {
				author = defaultAuthor()
			}
			return e.withStore(cmd.Context(), func(st store.Store) error {
				ctx := cmd.Context()
				as, err := st.Alerts(ctx)
				if err != nil {
					return err
				}
				a, err := view.FindAlert(as, args[0])
				if err != nil {
					return err
				}
				moved, err := st.MoveAlerts(ctx, store.AlertFilter{IDs: []string{a.ID}}, alert.Transition{
					State: state, Author: author, At: store.Now(), Comment: comment, By: alert.ByOperator})
				if err != nil {
					return err
				}
				res := alertMove{AlertMove: view.Moved(a, moved)}
				if res.Changed {
					run, err := e.deliver(ctx, st, 0, false) // the receivers follow the operator at once
					if err != nil {
						return fmt.Errorf("alert %s %s, but not notified: %w", a.ID[:8], done, err)
					}
					res.Notify = &run
				}
				if e.json {
					return e.printJSON(res)
				}
				if !res.Changed {
					fmt.Fprintf(e.stdout, "alert %s is %s already: nothing changed\n", a.ID[:8], a.Status)
					return nil
				}
				fmt.Fprintf(e.stdout, "alert %s %s by %s (was %s)\n", a.ID[:8], done, author, a.Status)
				if d := res.Notify.Delivery; res.Notify.Enqueued > 0 {
					fmt.Fprintf(e.stdout, "notified: %d %s delivered, %d dead\n", d.Delivered, plural(d.Delivered, "notification", "notifications"), d.Dead)
					if d.Pending > 0 {
						fmt.Fprintf(e.stdout, "%d in the outbox still pending: homesoc alerts notify sends them\n", d.Pending)
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "why, kept in the alert's history")
	cmd.Flags().StringVar(&author, "author", "", `who (default: $USER, else "homesoc")`)
	return cmd
}

// defaultAuthor is who an operator's change is by when --author is not
// given.
func defaultAuthor() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return alert.DefaultAuthor
}
