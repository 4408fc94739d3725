package cli

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/sender"
	"github.com/homesoc/homesoc/internal/store"
)

// notifyRun is what alerts notify prints with --json.
type notifyRun struct {
	Messages  int           `json:"messages"`  // group messages routed (one per due group, receiver and part)
	Enqueued  int           `json:"enqueued"`  // notifications written to the outbox (one per integration)
	Silenced  int           `json:"silenced"`  // alerts a silence mutes now
	Inhibited int           `json:"inhibited"` // alerts an inhibit rule mutes now
	Delivery  sender.Report `json:"delivery"`
	// NextDue is when the next group is due (group_wait, group_interval,
	// repeat_interval), absent when none is.
	NextDue *time.Time `json:"next_due,omitempty"`
}

func alertsNotifyCmd(e *env) *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "notify [--wait 30s]",
		Short: "Route the alerts and deliver the notifications that are due",
		Long: `Route every alert through the config's route tree (see "homesoc config
example"), write the messages of the groups that are due to the outbox, and
deliver the outbox: each integration's notifications in order, retried with
back-off on failure, honouring Retry-After and the receiver's rate limit.

It keeps going while something falls due within --wait: a group whose
group_wait or group_interval ends, a retry whose back-off ends; it starts no
send after --wait (or 10s, whichever is longer: a backlog held back by a
receiver's rate limit takes that long at least). What is still pending then
stays in the outbox for the next run (homesoc notify list).
Run it from cron after detect, or let detect hand it new alerts.

Without a config file, every notification is appended as a JSON line to
<data>/notifications.jsonl.`,
		Example: `  homesoc alerts notify
  homesoc alerts notify --wait 2m
  homesoc --json alerts notify --wait 0s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withStore(cmd.Context(), func(st store.Store) error {
				run, err := e.deliver(cmd.Context(), st, wait, false)
				if err != nil {
					return err
				}
				if e.json {
					return e.printJSON(run)
				}
				printNotifyRun(e, run)
				return nil
			})
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 30*time.Second, "keep routing and retrying what falls due within this long (here, not the store's lock wait)")
	return cmd
}

// deliver routes and delivers until nothing more falls due within wait.
func (e *env) deliver(ctx context.Context, st store.Store, wait time.Duration, flush bool) (notifyRun, error) {
	defer e.exclusive(func(sh *shared) *sync.Mutex { return &sh.deliverMu })()
	var run notifyRun
	n, err := e.notifier()
	if err != nil {
		return run, err
	}
	// Wait for groups and retries that fall due until start+wait; start no
	// send after start+max(wait, the sender's minimum): a backlog at a rate
	// limit stays pending for the next run.
	start := time.Now()
	until, sendUntil := start.Add(wait), start.Add(max(wait, sender.DefaultMinDeliverTime))
	snd := sender.New(st, n.set.ByName, sender.Options{Logger: e.log})
	for {
		plan, err := n.route(ctx, st, store.Now(), flush, e.cfg.Console.URL)
		if err != nil {
			return run, err
		}
		run.Messages += countMessages(plan.Notifications)
		run.Enqueued += len(plan.Notifications)
		run.Silenced, run.Inhibited = plan.Silenced, plan.Inhibited
		rep, err := snd.DeliverUntil(ctx, until, sendUntil)
		run.Delivery.Add(rep)
		run.Delivery.Pending, run.Delivery.NextAttempt = rep.Pending, rep.NextAttempt
		if err != nil {
			return run, err
		}
		if rep.Pending > 0 && !rep.NextAttempt.After(time.Now()) {
			return run, nil // left due: the sender ran out of time (a rate limit's backlog)
		}
		next := earliest(plan.NextDue, rep.NextAttempt)
		run.NextDue = nil
		if !plan.NextDue.IsZero() {
			t := plan.NextDue
			run.NextDue = &t
		}
		if next.IsZero() || next.After(until) || !time.Now().Before(sendUntil) {
			return run, nil
		}
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-time.After(time.Until(next)):
		}
	}
}

// countMessages counts the group messages notifications carry: one per
// group and part, however many integrations (and PagerDuty's one
// notification per alert) carry it.
func countMessages(ns []notify.Notification) int {
	seen := map[string]bool{}
	for _, n := range ns {
		seen[fmt.Sprintf("%s\x00%d", n.GroupKey, n.Message.Part)] = true
	}
	return len(seen)
}

// earliest is the earlier of two times, a zero time counting as none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

func printNotifyRun(e *env, r notifyRun) {
	fmt.Fprintf(e.stdout, "routed %d %s (%d %s to the outbox); %d %s silenced, %d inhibited\n",
		r.Messages, plural(r.Messages, "message", "messages"), r.Enqueued, plural(r.Enqueued, "notification", "notifications"),
		r.Silenced, plural(r.Silenced, "alert", "alerts"), r.Inhibited)
	d := r.Delivery
	fmt.Fprintf(e.stdout, "delivered %d, failed and retried %d, dead %d, still pending %d\n", d.Delivered, d.Retried, d.Dead, d.Pending)
	if d.Dead > 0 {
		fmt.Fprintln(e.stdout, "homesoc notify list --failed shows the dead ones; homesoc notify retry ID sends one again")
	}
	if r.NextDue != nil {
		fmt.Fprintf(e.stdout, "next group due at %s\n", r.NextDue.Format(time.RFC3339))
	}
}

func notifyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "Look at the outbox, send failed notifications again, test a receiver",
	}
	cmd.AddCommand(notifyListCmd(e), notifyRetryCmd(e), notifyTestCmd(e))
	return cmd
}

// notifyListPage is how many notifications notify list reads at a time.
const notifyListPage = 256

func notifyListCmd(e *env) *cobra.Command {
	var failed bool
	var states, recvs []string
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--failed] [--state S]... [--receiver NAME]... [--limit N]",
		Short: "List the outbox: every notification, its state and attempts",
		Long: `List the outbox, oldest first: each notification (one message for one
integration, RECEIVER/KIND/INDEX), its state (pending, delivered, dead), the
attempts made, when the next is due and the last error.

--failed lists the dead ones (failed for good, or still failing at their
deadline) and the pending ones that have failed at least once.`,
		Example: `  homesoc notify list --failed
  homesoc --json notify list --receiver soc-pager --limit 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.readStore(cmd.Context(), func(st store.Store) error {
				f := store.NotificationFilter{States: states, Receivers: recvs, Limit: notifyListPage}
				if failed {
					f.States = []string{notify.StatePending, notify.StateDead}
				}
				out := []notify.Notification{}
				for { // in pages by seq: an outbox of 10,000 large messages is not read at once
					ns, err := st.Notifications(cmd.Context(), f)
					if err != nil {
						return err
					}
					for _, n := range ns {
						if !failed || n.State == notify.StateDead || n.Attempts > 0 {
							out = append(out, n)
						}
					}
					if limit > 0 && len(out) > limit {
						out = slices.Delete(out, 0, len(out)-limit)
					}
					if len(ns) < f.Limit {
						break
					}
					f.AfterSeq = ns[len(ns)-1].Seq
				}
				if e.json {
					return e.printJSON(out)
				}
				printNotifications(e, out)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&failed, "failed", false, "only dead notifications and those being retried")
	cmd.Flags().StringArrayVar(&states, "state", nil, "only this state: pending, delivered or dead (repeatable)")
	cmd.Flags().StringArrayVar(&recvs, "receiver", nil, "only this receiver's (repeatable)")
	cmd.Flags().IntVar(&limit, "limit", 0, "only the latest N (0: all)")
	return cmd
}

func printNotifications(e *env, ns []notify.Notification) {
	if len(ns) == 0 {
		fmt.Fprintln(e.stdout, "no notifications")
		return
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tINTEGRATION\tSTATE\tATTEMPTS\tCREATED\tNEXT/DONE\tALERTS\tTITLE\tLAST ERROR")
	for _, n := range ns {
		when := n.NextAttempt
		if n.State == notify.StateDelivered {
			when = n.DeliveredAt
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n", n.ID[:8], n.Integration, n.State, n.Attempts,
			n.CreatedAt.Format(time.RFC3339), when.Format(time.RFC3339), len(n.AlertIDs), notify.Cut(n.Message.Title(), 60),
			notify.Cut(n.LastError, 80))
	}
	tw.Flush()
}

func notifyRetryCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retry ID...",
		Short: "Make dead notifications pending again and deliver them",
		Long: `Make dead notifications pending again, with a new deadline, and deliver what
is due (as alerts notify --wait 0s does). ID is a notification's id or a
prefix of it that only it has (homesoc notify list --failed shows them).`,
		Example: `  homesoc notify retry 5f0c2a1b`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withStore(cmd.Context(), func(st store.Store) error {
				ctx := cmd.Context()
				all, err := st.Notifications(ctx, store.NotificationFilter{States: []string{notify.StateDead}})
				if err != nil {
					return err
				}
				var ids []string
				for _, a := range args {
					id, err := findNotification(all, a)
					if err != nil {
						return err
					}
					ids = append(ids, id)
				}
				n, err := e.notifier()
				if err != nil {
					return err
				}
				snd := sender.New(st, n.set.ByName, sender.Options{Logger: e.log})
				if _, err := snd.Retry(ctx, ids); err != nil {
					return err
				}
				rep, err := snd.Deliver(ctx, 0)
				if err != nil {
					return err
				}
				if e.json {
					return e.printJSON(rep)
				}
				fmt.Fprintf(e.stdout, "%d %s pending again; delivered %d, failed and retried %d, dead %d, still pending %d\n",
					len(ids), plural(len(ids), "notification", "notifications"), rep.Delivered, rep.Retried, rep.Dead, rep.Pending)
				return nil
			})
		},
	}
	return cmd
}

// findNotification finds the id of the one notification of ns whose id is
// or starts with id.
func findNotification(ns []notify.Notification, id string) (string, error) {
	var found []string
	for _, n := range ns {
		if n.ID == id {
			return id, nil
		}
		if len(id) >= 4 && len(n.ID) > len(id) && n.ID[:len(id)] == id {
			found = append(found, n.ID)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no dead notification with id %q (homesoc notify list --failed shows them)", id)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("id %q is the start of %d notifications' ids: give more of it", id, len(found))
}

// testResult is one integration's answer to notify test.
type testResult struct {
	Integration string `json:"integration"`
	OK          bool   `json:"ok"`
	Error       string `json:"error,omitempty"`
}

func notifyTestCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test RECEIVER",
		Short: "Send a test message to every integration of a receiver",
		Long: `Send a test message, marked as one, straight to every integration of the
receiver (not through the outbox: the answer is printed at once), and say
what each answered. It exits 1 when any failed.`,
		Example: `  homesoc notify test soc-pager
  homesoc --json notify test team-chat`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := e.notifier()
			if err != nil {
				return err
			}
			names, ok := n.set.ByReceiver[args[0]]
			if !ok {
				return fmt.Errorf("no receiver %q in the config (homesoc config check lists them)", args[0])
			}
			now := store.Now()
			id := "test-" + now.Format("20060102T150405Z") // a new PagerDuty incident per test, which the receiver resolves at once
			m := notify.Message{ID: id, Receiver: args[0], Route: "test",
				GroupKey: "test/" + args[0], GroupLabels: map[string]string{"test": "true"}, Status: notify.StatusFiring,
				ConsoleURL: string(e.cfg.Console.URL), CreatedAt: now, Test: true,
				Alerts: []notify.Alert{{ID: id, Rule: "test", Title: "homesoc test notification", Severity: "info",
					State: alert.StatusOpen, Change: notify.ChangeNew, Labels: map[string]string{"rule": "test", "severity": "info"},
					FirstSeen: now, LastSeen: now, Count: 1, Detail: map[string]string{"note": "sent by homesoc notify test " + args[0]}}}}
			res := []testResult{}
			failed := 0
			for _, name := range names {
				nt := notify.Notification{ID: notify.NotificationID(m.ID, name), Integration: name, Receiver: args[0],
					GroupKey: m.GroupKey, AlertIDs: []string{id}, Message: m, State: notify.StatePending, CreatedAt: now}
				r := testResult{Integration: name, OK: true}
				if err := n.set.ByName[name].Send(cmd.Context(), &nt); err != nil {
					r.OK, r.Error = false, sender.Scrub(err.Error())
					failed++
				}
				res = append(res, r)
			}
			if e.json {
				if err := e.printJSON(res); err != nil {
					return err
				}
			} else {
				for _, r := range res {
					if r.OK {
						fmt.Fprintf(e.stdout, "%s: sent\n", r.Integration)
					} else {
						fmt.Fprintf(e.stdout, "%s: FAILED: %s\n", r.Integration, r.Error)
					}
				}
			}
			if failed > 0 {
				return exitError{code: 1, msg: fmt.Sprintf("%d of %d %s failed", failed, len(res), plural(len(res), "integration", "integrations"))}
			}
			return nil
		},
	}
	return cmd
}
