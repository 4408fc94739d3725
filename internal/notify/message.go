// Package notify holds what the router, the outbox and every receiver
// share: the Message a group of alerts becomes for one receiver, the
// Notification the outbox keeps for one integration, the notification log
// (GroupState), the Receiver interface and how a failed send is classified.
// Receivers live in subpackages (notify/pagerduty, notify/slack, ...).
package notify

import (
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/identity"
)

// A message's status, as Alertmanager's: firing while any of its alerts is
// open or acknowledged, resolved when all are resolved.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// What happened to an alert since the group's previous message (Alert.Change).
const (
	ChangeNew          = "new"          // not in the previous message
	ChangeUpdated      = "updated"      // new evidence (count, last seen), same state
	ChangeAcknowledged = "acknowledged" // an operator took it on
	ChangeResolved     = "resolved"     // an operator, a rescan or resolve_after resolved it
	ChangeReopened     = "reopened"     // resolved before, open again
	ChangeNone         = "unchanged"    // a repeat: nothing changed since
)

// Message is what a receiver sends: one group of alerts, as routed to one
// receiver, at one time. It is a snapshot: the outbox keeps it as JSON and a
// receiver renders it the same way however late it is sent, so bodies are
// deterministic (golden files hold them).
type Message struct {
	// ID identifies the message; every integration's Notification of it
	// has its own ID (NotificationID), which receivers pass on as the
	// delivery id.
	ID       string `json:"id"`
	Receiver string `json:"receiver"` // the receiver's name in the config
	// Route is where the route tree sent it: "route 2", or "top route".
	Route string `json:"route"`
	// GroupKey identifies the group: route, receiver and group labels.
	GroupKey    string            `json:"group_key"`
	GroupLabels map[string]string `json:"group_labels"`
	Status      string            `json:"status"` // StatusFiring or StatusResolved
	// Alerts are the group's alerts, sorted by severity (critical first),
	// then last seen (latest first), then id; resolved ones are in the
	// message that tells they resolved, not in later ones.
	Alerts []Alert `json:"alerts"`
	// ConsoleURL is the operator console's base URL ("" when none is
	// configured): receivers link each alert to ConsoleURL + "alerts/" + ID.
	ConsoleURL string    `json:"console_url,omitempty"`
	CreatedAt  time.Time `json:"created_at"` // when the router made it (UTC, whole seconds)
	// Test marks the message of "homesoc notify test RECEIVER".
	Test bool `json:"test,omitempty"`
	// Part and Parts number a message among those a due group was split
	// into, 1-based: a group of more alerts than a message carries
	// (dispatch.MaxAlertsPerMessage) is sent as Parts messages, each
	// alert in exactly one, in the order Alerts says. Parts is 1 for a
	// group sent whole; both are 0 (left out of the JSON) for a message
	// the router did not make, such as a test.
	Part  int `json:"part,omitempty"`
	Parts int `json:"parts,omitempty"`
}

// Alert is one alert in a message: the alert as stored when the message was
// made, with what changed and what a reader needs to act.
type Alert struct {
	ID          string            `json:"id"` // the alert's identity: PagerDuty's dedup_key
	Rule        string            `json:"rule"`
	Title       string            `json:"title"`
	Severity    string            `json:"severity"`
	State       string            `json:"state"`  // alert.StatusOpen, StatusAcknowledged or StatusResolved
	Change      string            `json:"change"` // Change*
	Labels      map[string]string `json:"labels"` // alert.Alert.Labels
	Group       map[string]string `json:"group"`
	FirstSeen   time.Time         `json:"first_seen"`
	LastSeen    time.Time         `json:"last_seen"`
	Count       int64             `json:"count"`
	Events      int64             `json:"events"`
	Detail      map[string]string `json:"detail"` // every column the rule returned: the evidence
	Identity    *identity.Answer  `json:"identity,omitempty"`
	Description string            `json:"description,omitempty"` // the rule's
	Runbook     string            `json:"runbook,omitempty"`     // the rule's runbook text
	// Last is the alert's latest transition (who acknowledged or resolved
	// it, when, why); nil when its state never changed.
	Last *alert.Transition `json:"last_transition,omitempty"`
	// Rescan is the command that rescans an exposure ticket
	// ("homesoc exposure rescan ID"); "" for other alerts.
	Rescan string `json:"rescan,omitempty"`
}

// Firing reports whether the alert is open or acknowledged.
func (a *Alert) Firing() bool { return a.State != alert.StatusResolved }

// URL is the alert's page in the console, "" without a console.
func (m *Message) URL(a *Alert) string {
	if m.ConsoleURL == "" {
		return ""
	}
	u := m.ConsoleURL
	if u[len(u)-1] != '/' {
		u += "/"
	}
	return u + "alerts/" + a.ID
}
