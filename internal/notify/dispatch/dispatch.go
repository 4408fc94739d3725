// Package dispatch is the router's pure core: from the alerts, silences and
// notification log the caller loaded, it decides which groups are due and
// makes their messages and outbox notifications. It does no I/O: the caller
// enqueues Plan.Notifications (store.Enqueue) and then saves Plan.Groups
// (store.SaveNotifyGroups), in that order, so a crash between the two
// routes the same state again and the outbox, keyed by deterministic ids,
// stores it once.
//
// What it does, as Alertmanager's dispatcher, inhibitor, silencer and
// notification log do:
//
//   - An alert a silence or an inhibit rule mutes now is left out of
//     messages; it stays stored. Nothing is sent for it, not even
//     "resolved" (Alertmanager sends no resolved for a silenced alert): the
//     group keeps what its last message said of it, so when the mute ends
//     the alert is back in the group's next message - at once if it
//     changed meanwhile, with the next repeat if not, and as new if no
//     message of the group ever showed it.
//   - Each alert goes to the routes the tree matches (route.Tree.Match) and
//     into the group its labels give at each route (route.Node.Group).
//   - A group is due at CreatedAt+group_wait for its first message; after a
//     message, at SentAt+group_interval when its alerts changed (an alert
//     came, went resolved, or its state, count or last seen moved:
//     AlertFingerprint), or at SentAt+repeat_interval while it has firing
//     alerts and nothing changed. A group whose last message had only
//     resolved alerts sends nothing more; when one of its alerts fires
//     again it starts over: it waits group_wait from then, as a new group.
//   - Two exceptions, for a batch tool: a group with an alert an operator
//     acknowledged, resolved or reopened since its last message is due at
//     once, so that the receivers' incidents follow the operator
//     (PagerDuty's acknowledge) without waiting group_interval; and with
//     Input.Flush a group's first message is due at once (the demo, whose
//     alerts are all there: group_wait has nothing to gather).
//   - A due group makes one notify.Message and, for each integration of
//     its receiver, one notify.Notification per part of it: a message of
//     more than MaxAlertsPerMessage alerts is split into parts of at most
//     that many (Message.Part, Parts), in message order, every alert in
//     exactly one, so no message grows with the group. Resolved alerts
//     are in the message that tells they resolved, not in later ones; a
//     resolved alert no message of the group showed firing is never sent.
//   - A PagerDuty integration (kind "pagerduty") instead gets one
//     notification per alert that needs an event, whose message is the
//     group's with that alert alone and an id of its own: the alerts whose
//     Change is not "unchanged" or, when the whole message is a repeat,
//     each firing alert (a trigger keeps its incident). So the sender's
//     rate limit takes a token per event, and a failure retries that
//     alert's event alone, not every alert before it. Within each
//     integration the notifications follow the message's alert order.
package dispatch

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/route"
	"github.com/homesoc/homesoc/internal/silence"
)

// DefaultDeadline is how long a notification may keep failing before it
// goes dead when Input.Deadline is 0: a day, so that a receiver down
// overnight (a home lab's Slack webhook revoked, a mail server rebooting)
// still gets everything, in order, when it is back. A dead notification is
// listed by "homesoc notify list --failed" and the group's next repeat
// sends its alerts again anyway.
const DefaultDeadline = 24 * time.Hour

// RuleInfo is what a message tells of an alert's rule, and its tags (the
// alert's tags label).
type RuleInfo struct {
	Description string
	Runbook     string
	Tags        []string
}

// Input is everything Dispatch decides on.
type Input struct {
	Now time.Time
	// Alerts are every open or acknowledged alert, plus the resolved ones
	// that a group's last message still showed firing.
	Alerts   []alert.Alert
	Silences []silence.Silence
	// Groups is the notification log: every group's state.
	Groups []notify.GroupState
	// Rules are the rules' descriptions and runbooks, by rule id.
	Rules      map[string]RuleInfo
	ConsoleURL string
	// Integrations are the integrations of each receiver, in order, named
	// "RECEIVER/KIND/INDEX". A receiver with none gets no notification
	// (its groups' state still advances).
	Integrations map[string][]string
	Deadline     time.Duration // 0: DefaultDeadline
	Inhibit      []InhibitRule // nil: DefaultInhibitRules(); empty: none
	// Flush makes a group's first message due at once, without waiting
	// group_wait.
	Flush bool
}

// Plan is what Dispatch decided.
type Plan struct {
	// Notifications are to be enqueued, in this order.
	Notifications []notify.Notification
	// Groups are the group states that changed, by key: to save after
	// the notifications are enqueued.
	Groups []notify.GroupState
	// NextDue is the earliest time after Now at which a group becomes
	// due; zero when none will without new input.
	NextDue time.Time
	// Silenced counts the alerts silences mute now; Inhibited those an
	// inhibit rule mutes and no silence does.
	Silenced, Inhibited int
	// SilencedBy are the ids of the silences muting each alert, by alert id.
	SilencedBy map[string][]string
}

// group is one group of one route being dispatched.
type group struct {
	node   *route.Node
	key    string
	labels map[string]string
	alerts []int // indexes into Input.Alerts
}

// Dispatch routes in.Alerts and returns what is due at in.Now. It does not
// change in. Equal inputs give equal plans, ids included.
func Dispatch(t *route.Tree, in Input) Plan {
	plan := Plan{Notifications: []notify.Notification{}, Groups: []notify.GroupState{}, SilencedBy: map[string][]string{}}
	labels := make([]map[string]string, len(in.Alerts))
	for i := range in.Alerts {
		labels[i] = in.Alerts[i].Labels(in.Rules[in.Alerts[i].RuleID].Tags...)
	}
	rules := in.Inhibit
	if rules == nil {
		rules = DefaultInhibitRules()
	}
	muted := inhibited(rules, in.Alerts, labels)
	for i := range in.Alerts {
		if ids := silence.Silenced(labels[i], in.Silences, in.Now); len(ids) > 0 {
			plan.SilencedBy[in.Alerts[i].ID] = ids
			plan.Silenced++
		} else if muted[i] {
			plan.Inhibited++
		}
		muted[i] = muted[i] || len(plan.SilencedBy[in.Alerts[i].ID]) > 0
	}

	groups := map[string]*group{}
	for i := range in.Alerts {
		for _, n := range t.Match(labels[i]) {
			key, gl := n.Group(labels[i])
			g := groups[key]
			if g == nil {
				g = &group{node: n, key: key, labels: gl}
				groups[key] = g
			}
			g.alerts = append(g.alerts, i)
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	states := make(map[string]notify.GroupState, len(in.Groups))
	for _, s := range in.Groups {
		states[s.Key] = s
	}
	d := &dispatcher{in: &in, plan: &plan, labels: labels, muted: muted}
	for _, k := range keys {
		st, have := states[k]
		d.group(groups[k], st, have)
	}
	return plan
}

// dispatcher holds what every group of one Dispatch call shares.
type dispatcher struct {
	in     *Input
	plan   *Plan
	labels []map[string]string
	muted  []bool
}

// group decides one group: the state it keeps, and its message when due.
func (d *dispatcher) group(g *group, st notify.GroupState, have bool) {
	now := d.in.Now
	type entry struct {
		i      int
		change string
	}
	var send []entry
	kept := map[string]string{} // the state's alerts after a message
	changed, firing, operator := false, false, false
	for _, i := range g.alerts {
		a := &d.in.Alerts[i]
		prev, inPrev := st.Alerts[a.ID]
		if d.muted[i] {
			if inPrev {
				kept[a.ID] = prev
			}
			continue
		}
		fp := AlertFingerprint(*a)
		c := change(a, fp, prev, inPrev)
		if c == "" {
			continue
		}
		changed = changed || c != notify.ChangeNone
		operator = operator || c != notify.ChangeNone && c != notify.ChangeNew && byOperatorSince(a, st.SentAt)
		firing = firing || a.Status != alert.StatusResolved
		send = append(send, entry{i, c})
		kept[a.ID] = fp
	}
	if len(send) == 0 {
		return // nothing to tell: no timer starts, the state stays as it is
	}
	save := false
	if !have {
		st = notify.GroupState{Key: g.key, Receiver: g.node.Receiver, Labels: g.labels, CreatedAt: now, Alerts: map[string]string{}}
		save = true
	}
	var due time.Time
	switch {
	case st.SentAt.IsZero() && d.in.Flush:
		due = now
	case operator && !st.SentAt.IsZero():
		due = now
	case st.SentAt.IsZero():
		due = st.CreatedAt.Add(g.node.GroupWait)
	case allResolved(st.Alerts) && changed:
		if !st.CreatedAt.After(st.SentAt) { // a new round: wait group_wait from now
			st.CreatedAt, save = now, true
		}
		due = st.CreatedAt.Add(g.node.GroupWait)
	case changed:
		due = st.SentAt.Add(g.node.GroupInterval)
	case firing:
		due = st.SentAt.Add(g.node.RepeatInterval)
	default:
		return
	}
	if due.After(now) {
		d.due(due)
		if save {
			d.plan.Groups = append(d.plan.Groups, st)
		}
		return
	}
	msg := make([]notify.Alert, len(send))
	for j, e := range send {
		msg[j] = d.messageAlert(&d.in.Alerts[e.i], e.i, e.change)
	}
	sortAlerts(msg)
	m := notify.Message{
		ID: messageID(g.key, st.MessageID, msg), Receiver: g.node.Receiver, Route: g.node.Name, GroupKey: g.key,
		GroupLabels: g.labels, Status: notify.StatusResolved, Alerts: msg, ConsoleURL: d.in.ConsoleURL,
		CreatedAt: now.UTC().Truncate(time.Second),
	}
	if firing {
		m.Status = notify.StatusFiring
	}
	// The repeat interval passed since the last message: PagerDuty gets
	// every firing alert again, not only the changed ones (a trigger that
	// went dead while the group kept changing is sent again).
	repeatDue := !st.SentAt.IsZero() && !now.Before(st.SentAt.Add(g.node.RepeatInterval))
	d.notifications(&m, repeatDue)
	st.SentAt, st.MessageID, st.Alerts, st.Labels = now, m.ID, kept, g.labels
	d.plan.Groups = append(d.plan.Groups, st)
	if firing {
		d.due(now.Add(g.node.RepeatInterval))
	}
}

// byOperatorSince reports whether an operator changed the alert's state
// (alerts ack|resolve|reopen) at or after t.
func byOperatorSince(a *alert.Alert, t time.Time) bool {
	if len(a.History) == 0 {
		return false
	}
	last := a.History[len(a.History)-1]
	return last.By == alert.ByOperator && !last.At.Before(t.Truncate(time.Second))
}

// due notes that a group becomes due at t.
func (d *dispatcher) due(t time.Time) {
	if d.plan.NextDue.IsZero() || t.Before(d.plan.NextDue) {
		d.plan.NextDue = t
	}
}

// messageAlert is alert i as a message shows it.
func (d *dispatcher) messageAlert(a *alert.Alert, i int, c string) notify.Alert {
	r := d.in.Rules[a.RuleID]
	m := notify.Alert{
		ID: a.ID, Rule: a.RuleID, Title: a.Title, Severity: a.Severity, State: a.Status, Change: c,
		Labels: d.labels[i], Group: nonNil(a.Group), FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, Count: a.Count,
		Events: a.Events, Detail: nonNil(a.Detail), Identity: a.Identity, Description: r.Description, Runbook: r.Runbook,
	}
	if n := len(a.History); n > 0 {
		last := a.History[n-1]
		m.Last = &last
	}
	if a.RuleID == notify.TicketRule {
		m.Rescan = "homesoc exposure rescan " + a.ID
	}
	return m
}

// AlertFingerprint is what a group's state remembers of an alert it sent:
// its state, count and last seen. A different fingerprint is a change to
// notify; "state/count/last_seen", e.g. "open/3/2026-11-28T02:05:00Z".
func AlertFingerprint(a alert.Alert) string {
	return a.Status + "/" + strconv.FormatInt(a.Count, 10) + "/" + a.LastSeen.UTC().Format(time.RFC3339Nano)
}

// fingerprintState is the alert state a fingerprint holds.
func fingerprintState(fp string) string {
	s, _, _ := strings.Cut(fp, "/")
	return s
}

// allResolved reports whether every alert of a group's last message was
// resolved (true for none).
func allResolved(fps map[string]string) bool {
	for _, fp := range fps {
		if fingerprintState(fp) != alert.StatusResolved {
			return false
		}
	}
	return true
}

// change is what happened to a (whose fingerprint is fp) since the group's
// last message said prev of it (inPrev: said anything); "" when a is not to
// be sent: resolved and either reported resolved already or never reported
// firing.
func change(a *alert.Alert, fp, prev string, inPrev bool) string {
	resolved := a.Status == alert.StatusResolved
	if !inPrev {
		if resolved {
			return ""
		}
		return notify.ChangeNew
	}
	was := fingerprintState(prev)
	switch {
	case resolved && was == alert.StatusResolved:
		return ""
	case resolved:
		return notify.ChangeResolved
	case was == alert.StatusResolved:
		return notify.ChangeReopened
	case a.Status != was && a.Status == alert.StatusAcknowledged:
		return notify.ChangeAcknowledged
	case a.Status != was:
		return notify.ChangeReopened // an operator reopened an acknowledged alert
	case fp != prev:
		return notify.ChangeUpdated
	}
	return notify.ChangeNone
}

// sortAlerts orders a message's alerts as notify.Message says: severity
// (critical first), then last seen (latest first), then id.
func sortAlerts(as []notify.Alert) {
	slices.SortFunc(as, func(x, y notify.Alert) int {
		if c := cmp.Compare(notify.SeverityRank(y.Severity), notify.SeverityRank(x.Severity)); c != 0 {
			return c
		}
		if c := y.LastSeen.Compare(x.LastSeen); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
}

// messageID hashes what a message says: its group, the message before it
// and each alert's fingerprint and change, so the same state routed twice
// (after a crash before the notification log was saved) gives the same id.
func messageID(key, prevID string, as []notify.Alert) string {
	b := make([]byte, 0, len(key)+len(prevID)+len(as)*96)
	b = append(b, key...)
	b = append(b, 0)
	b = append(b, prevID...)
	for i := range as {
		b = append(b, 0)
		b = append(b, as[i].ID...)
		b = append(b, ' ')
		b = append(b, as[i].State...)
		b = append(b, '/')
		b = strconv.AppendInt(b, as[i].Count, 10)
		b = append(b, '/')
		b = as[i].LastSeen.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, ' ')
		b = append(b, as[i].Change...)
	}
	return event.NewID("message", b).String()
}

// nonNil is m, or an empty map for nil (JSON prints {}).
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
