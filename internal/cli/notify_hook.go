package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/exposure"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/dispatch"
	"github.com/homesoc/homesoc/internal/notify/receivers"
	"github.com/homesoc/homesoc/internal/notify/route"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
)

// configRules are the built-in rules and those of the config's rule
// directories, for what they say of themselves (runbooks, tags); a broken
// rule file costs its rules' here, detect reports it.
func (e *env) configRules() []*rules.Rule {
	rs, _ := loadRules(e.cfg.Rules.Dirs)
	return rs
}

// ruleTags are the tags of each rule (configRules), for alerts' tags label.
func (e *env) ruleTags() map[string][]string {
	tags := map[string][]string{exposure.TicketRule: ticketTags()}
	for _, r := range e.configRules() {
		tags[r.ID] = r.Tags
	}
	return tags
}

// ticketTags are the tags of exposure tickets, which no rule file holds.
func ticketTags() []string { return []string{"exposure", "ticket"} }

// defaultReceiver is the receiver of a config with neither route nor
// receivers: every notification as a JSON line in the data directory, so a
// fresh install loses nothing; the default route groups by rule.
func (e *env) defaultReceiver() config.Receiver {
	return config.Receiver{Name: "jsonl", JSONLConfigs: []config.JSONLConfig{{Path: filepath.Join(e.dataDir, "notifications.jsonl")}}}
}

// notifier is what routing and delivery need from the config and the
// rules: the route tree, the receivers' integrations and what each rule
// says about itself. A command builds it once.
type notifier struct {
	tree  *route.Tree
	set   receivers.Set
	rules map[string]dispatch.RuleInfo
}

// notifier builds the route tree and the integrations of the config in
// effect (the default JSONL receiver when it has neither).
func (e *env) notifier() (*notifier, error) {
	top, rs := e.cfg.Route, e.cfg.Receivers
	if top == nil && len(rs) == 0 {
		rs = []config.Receiver{e.defaultReceiver()}
		top = &config.Route{Receiver: rs[0].Name, GroupBy: []string{"rule"}}
	}
	tree, err := route.New(top, rs)
	if err != nil {
		return nil, fmt.Errorf("config route: %w", err)
	}
	set, err := receivers.Build(rs, notify.Options{Version: readVersion(context.Background()).Version})
	if err != nil {
		return nil, fmt.Errorf("config receivers: %w", err)
	}
	n := &notifier{tree: tree, set: set, rules: map[string]dispatch.RuleInfo{}}
	for _, r := range e.configRules() {
		n.rules[r.ID] = dispatch.RuleInfo{Description: r.Description, Runbook: r.Runbook, Tags: r.Tags}
	}
	n.rules[exposure.TicketRule] = dispatch.RuleInfo{Description: exposure.TicketDescription, Runbook: exposure.TicketRunbook, Tags: ticketTags()}
	return n, nil
}

// notifyChanged hands the alerts to the router: every alert is routed as
// the config says, and the messages of the groups that are due are written
// to the outbox, to be sent by "alerts notify" (or the service). Commands
// that change alerts (detect, alerts ack|resolve|reopen, exposure run and
// rescan) call it after their write.
func (e *env) notifyChanged(ctx context.Context, st store.Store) error {
	defer e.exclusive(func(sh *shared) *sync.Mutex { return &sh.deliverMu })() // inside serve: routing is its deliverer's
	n, err := e.notifier()
	if err != nil {
		return err
	}
	_, err = n.route(ctx, st, store.Now(), false, e.cfg.Console.URL)
	return err
}

// route routes every alert at now (flush: new groups without waiting
// group_wait, for the demo) and writes what is due: the outbox first, then
// the notification log, so that a crash between them routes the same
// messages again, whose ids the outbox has already.
func (n *notifier) route(ctx context.Context, st store.Store, now time.Time, flush bool, console config.URL) (dispatch.Plan, error) {
	in, err := n.dispatchInput(ctx, st, now)
	if err != nil {
		return dispatch.Plan{}, err
	}
	in.Flush, in.ConsoleURL = flush, string(console)
	plan := dispatch.Dispatch(n.tree, in)
	if _, err := st.Enqueue(ctx, plan.Notifications); err != nil {
		return plan, fmt.Errorf("outbox: %w", err)
	}
	if err := st.SaveNotifyGroups(ctx, plan.Groups); err != nil {
		return plan, fmt.Errorf("notification log: %w", err)
	}
	return plan, nil
}

// dispatchInput reads what routing needs: the open and acknowledged alerts
// and the resolved ones the notification log still holds, the current
// silences and the log.
func (n *notifier) dispatchInput(ctx context.Context, st store.Store, now time.Time) (dispatch.Input, error) {
	in := dispatch.Input{Now: now, Integrations: n.set.ByReceiver, Rules: n.rules}
	var err error
	if in.Groups, err = st.NotifyGroups(ctx); err != nil {
		return in, fmt.Errorf("notification log: %w", err)
	}
	if in.Alerts, err = st.FindAlerts(ctx, store.AlertFilter{States: []string{alert.StatusOpen, alert.StatusAcknowledged}}); err != nil {
		return in, err
	}
	var logged []string
	seen := map[string]bool{}
	for _, g := range in.Groups {
		for id := range g.Alerts {
			if !seen[id] {
				seen[id] = true
				logged = append(logged, id)
			}
		}
	}
	for len(logged) > 0 { // the resolved alerts the log holds, a few hundred ids a query
		k := min(len(logged), 500)
		resolved, err := st.FindAlerts(ctx, store.AlertFilter{IDs: logged[:k], States: []string{alert.StatusResolved}})
		if err != nil {
			return in, err
		}
		in.Alerts = append(in.Alerts, resolved...)
		logged = logged[k:]
	}
	if in.Silences, err = st.Silences(ctx, store.SilencesCurrent); err != nil {
		return in, err
	}
	return in, nil
}
