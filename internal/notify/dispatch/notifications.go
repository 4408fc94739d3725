package dispatch

import (
	"slices"
	"strconv"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/notify"
)

// MaxAlertsPerMessage bounds the alerts of one message: a due group of more
// is split into parts of at most this many (notify.Message.Part, Parts), in
// message order, so that a burst of 10,000 alerts in one group makes 100
// messages of a bounded size rather than one of 15 MB.
const MaxAlertsPerMessage = 100

// notifications appends the outbox notifications of m, a due group's whole
// message, to the plan: for each integration of its receiver, in order,
// either one per part of m (PagerDuty aside) or, for a PagerDuty
// integration, one per alert that needs an event (pagerDutyAlerts). Within
// an integration they follow m's alert order, which Seq keeps.
func (d *dispatcher) notifications(m *notify.Message, repeatDue bool) {
	integs := d.in.Integrations[m.Receiver]
	if len(integs) == 0 {
		return
	}
	deadline := d.in.Deadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	var parts, single []notify.Message // made on first use
	for _, integ := range integs {
		var ms []notify.Message
		if notify.IntegrationKind(integ) == "pagerduty" {
			if single == nil {
				single = perAlert(m, repeatDue)
			}
			ms = single
		} else {
			if parts == nil {
				parts = split(m, MaxAlertsPerMessage)
			}
			ms = parts
		}
		for i := range ms {
			p := &ms[i]
			d.plan.Notifications = append(d.plan.Notifications, notify.Notification{
				ID: notify.NotificationID(p.ID, integ), Integration: integ, Receiver: p.Receiver, GroupKey: p.GroupKey,
				AlertIDs: alertIDs(p.Alerts), Message: *p, State: notify.StatePending, NextAttempt: d.in.Now,
				Deadline: d.in.Now.Add(deadline), CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt,
			})
		}
	}
}

// split is m in parts of at most max alerts, each with its Part and Parts;
// a message that fits is one part of m's id, a split one's parts have ids
// derived from it ("part N").
func split(m *notify.Message, max int) []notify.Message {
	n := (len(m.Alerts) + max - 1) / max
	if n <= 1 {
		p := *m
		p.Part, p.Parts = 1, 1
		return []notify.Message{p}
	}
	out := make([]notify.Message, n)
	for i := range out {
		hi := min((i+1)*max, len(m.Alerts))
		p := *m
		p.Alerts = m.Alerts[i*max : hi : hi]
		p.Part, p.Parts = i+1, n
		p.ID = derivedID(m.ID, "part "+strconv.Itoa(i+1))
		p.Status = status(p.Alerts)
		out[i] = p
	}
	return out
}

// perAlert are the one-alert messages a PagerDuty integration gets of m:
// PagerDuty keeps one incident per alert (dedup_key) and counts its rate
// limit per event, so each event is its own notification, retried on its
// own. They are the alerts whose Change is not ChangeNone (an unchanged
// alert of a message that tells of others needs no event: its incident is
// as it was) and, when the message is a repeat (every alert unchanged, or
// repeatDue: the group's repeat interval passed), each firing one too: a
// trigger keeps its incident open. Each message's id is derived from m's
// and the alert's.
func perAlert(m *notify.Message, repeatDue bool) []notify.Message {
	repeat := repeatDue || !slices.ContainsFunc(m.Alerts, func(a notify.Alert) bool { return a.Change != notify.ChangeNone })
	out := []notify.Message{}
	for i := range m.Alerts {
		a := &m.Alerts[i]
		if a.Change == notify.ChangeNone && !(repeat && a.Firing()) {
			continue
		}
		p := *m
		p.Alerts = m.Alerts[i : i+1 : i+1]
		p.Part, p.Parts = 1, 1
		p.ID = derivedID(m.ID, "alert "+a.ID)
		p.Status = status(p.Alerts)
		out = append(out, p)
	}
	return out
}

// derivedID is the id of a message made from the message of id for what
// ("part 2", "alert ID"): deterministic, as messageID.
func derivedID(id, what string) string {
	return event.NewID("message", []byte(id+"\x00"+what)).String()
}

// status is StatusFiring when any of as fires, else StatusResolved.
func status(as []notify.Alert) string {
	for i := range as {
		if as[i].Firing() {
			return notify.StatusFiring
		}
	}
	return notify.StatusResolved
}

// alertIDs are the ids of as, in order.
func alertIDs(as []notify.Alert) []string {
	ids := make([]string, len(as))
	for i := range as {
		ids[i] = as[i].ID
	}
	return ids
}
