// Package pagerduty sends notifications to PagerDuty's Events API v2: one
// event per alert, trigger, acknowledge or resolve following the alert's
// state, with the alert's id as dedup_key so PagerDuty keeps one incident
// per alert however often it is told.
package pagerduty

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
)

// Receiver sends to one pagerduty_configs entry.
type Receiver struct {
	integration string
	key         config.Secret
	url         config.URL
	severity    string // the config's, "" to map the alert's
	o           notify.Options
}

var severities = map[string]bool{"": true, "critical": true, "error": true, "warning": true, "info": true}

// New checks c and returns its Receiver; integration names it in errors
// ("soc-pager/pagerduty/0"). An empty URL is config.DefaultPagerDutyURL.
func New(c config.PagerDutyConfig, integration string, o notify.Options) (*Receiver, error) {
	what := "pagerduty " + integration
	if c.RoutingKey == "" {
		return nil, fmt.Errorf("%s: no routing_key", what)
	}
	if c.URL == "" {
		c.URL = config.DefaultPagerDutyURL
	}
	if u, err := url.Parse(string(c.URL)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: url must be an http or https URL", what)
	}
	if !severities[c.Severity] {
		return nil, fmt.Errorf("%s: severity %q is not one of critical, error, warning, info", what, c.Severity)
	}
	return &Receiver{integration: integration, key: c.RoutingKey, url: c.URL, severity: c.Severity, o: o}, nil
}

// Send posts the events of the message's alerts, in message order. The
// router (notify/dispatch) gives a PagerDuty integration one notification
// per alert that needs an event, so a Send posts one alert's event (two
// for an alert first told already acknowledged, or for a test): the
// sender's rate limit takes a token per alert and a failure retries that
// alert alone. A message of several alerts (one made by hand) still works:
// Send stops at the first failure and the retry sends every event again,
// which PagerDuty deduplicates by dedup_key (a trigger of an open incident
// adds to it, an acknowledge or resolve of one in that state changes
// nothing). A test message (Message.Test) is followed by a resolve of the
// same dedup_key, so "homesoc notify test" leaves no incident open.
func (r *Receiver) Send(ctx context.Context, n *notify.Notification) error {
	what := "pagerduty " + r.integration
	m := &n.Message
	for i := range m.Alerts {
		for _, ev := range r.events(m, &m.Alerts[i]) {
			body, err := json.Marshal(ev)
			if err != nil {
				return notify.Permanent(fmt.Errorf("%s: encode event: %w", what, err))
			}
			if _, err := notify.PostJSON(ctx, r.o, what, string(r.url), nil, body, r.key.Reveal()); err != nil {
				return err
			}
		}
	}
	return nil
}

// Event is an Events API v2 event.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"` // trigger, acknowledge or resolve
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Links       []Link   `json:"links,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
}

// Payload is a trigger event's payload.
type Payload struct {
	Summary       string  `json:"summary"`
	Source        string  `json:"source"`
	Severity      string  `json:"severity"`
	Timestamp     string  `json:"timestamp,omitempty"`
	Component     string  `json:"component,omitempty"`
	Group         string  `json:"group,omitempty"`
	Class         string  `json:"class,omitempty"`
	CustomDetails Details `json:"custom_details"`
}

// Link is a link PagerDuty shows on the incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Details are a trigger's custom_details: what a responder needs without
// opening homesoc.
type Details struct {
	Rule        string            `json:"rule"`
	Severity    string            `json:"severity"` // homesoc's, beside PagerDuty's mapped one
	State       string            `json:"state"`
	Who         string            `json:"who,omitempty"`
	Ticket      map[string]string `json:"ticket,omitempty"` // the eight fields of an exposure ticket
	Identity    map[string]string `json:"identity"`
	Evidence    map[string]string `json:"evidence"`
	Count       int64             `json:"count"`
	FirstSeen   string            `json:"first_seen"`
	LastSeen    string            `json:"last_seen"`
	Description string            `json:"description,omitempty"`
	Rescan      string            `json:"rescan,omitempty"`
	Runbook     string            `json:"runbook,omitempty"`
	Console     string            `json:"console,omitempty"`
	Test        bool              `json:"test,omitempty"`
}

// maxDedupKey is PagerDuty's limit on dedup_key; alert ids are far shorter.
const maxDedupKey = 255

// events are the events that bring PagerDuty's incident of a to a's
// state: an acknowledge of an alert PagerDuty never heard of (new in this
// message) is preceded by its trigger, so the incident exists with its
// details; a test's firing alert is resolved after its trigger.
func (r *Receiver) events(m *notify.Message, a *notify.Alert) []Event {
	key := notify.Cut(a.ID, maxDedupKey)
	short := func(action string) Event {
		return Event{RoutingKey: r.key.Reveal(), EventAction: action, DedupKey: key}
	}
	var evs []Event
	switch {
	case a.State == alert.StatusAcknowledged && a.Change == notify.ChangeNew:
		evs = []Event{r.trigger(m, a), short("acknowledge")}
	case a.State == alert.StatusAcknowledged:
		evs = []Event{short("acknowledge")}
	case a.State == alert.StatusResolved:
		return []Event{short("resolve")}
	default:
		evs = []Event{r.trigger(m, a)}
	}
	if m.Test { // the test's incident is resolved at once
		evs = append(evs, short("resolve"))
	}
	return evs
}

// maxSummary is PagerDuty's limit on a summary.
const maxSummary = 1024

func (r *Receiver) trigger(m *notify.Message, a *notify.Alert) Event {
	summary := a.Title
	if m.Test {
		summary = "[TEST] " + summary
	}
	if who := a.Who(); who != "" {
		summary += ": " + who
	}
	source := a.Labels["host"]
	if source == "" {
		source = "homesoc"
	}
	evidence := map[string]string{}
	for _, f := range a.Evidence() {
		evidence[f.Name] = f.Value
	}
	var ticket map[string]string
	if fs := a.TicketFields(); fs != nil {
		ticket = map[string]string{}
		for _, f := range fs {
			ticket[f.Name] = f.Value
		}
	}
	ev := Event{
		RoutingKey: r.key.Reveal(), EventAction: "trigger", DedupKey: notify.Cut(a.ID, maxDedupKey),
		Payload: &Payload{
			Summary: notify.Cut(summary, maxSummary), Source: source, Severity: r.pdSeverity(a.Severity),
			Timestamp: a.LastSeen.UTC().Format(time.RFC3339), Component: a.Rule, Group: m.GroupKey, Class: a.Rule,
			CustomDetails: Details{
				Rule: a.Rule, Severity: a.Severity, State: a.StateLine(), Who: a.Who(), Ticket: ticket,
				Identity: a.IdentityDetails(), Evidence: evidence, Count: a.Count,
				FirstSeen: a.FirstSeen.UTC().Format(time.RFC3339), LastSeen: a.LastSeen.UTC().Format(time.RFC3339),
				Description: a.Description, Rescan: a.Rescan, Runbook: a.Runbook, Console: m.URL(a), Test: m.Test,
			},
		},
		Client: "homesoc",
	}
	if u := m.URL(a); u != "" {
		ev.Links = []Link{{Href: u, Text: "Alert in the homesoc console"}}
		ev.ClientURL = m.ConsoleURL
	}
	return ev
}

// pdSeverity is the config's severity, or the alert's mapped to PagerDuty's
// four.
func (r *Receiver) pdSeverity(s string) string {
	if r.severity != "" {
		return r.severity
	}
	switch s {
	case "critical":
		return "critical"
	case "high":
		return "error"
	case "medium":
		return "warning"
	}
	return "info"
}

// String names the receiver without its routing key: fmt never reaches the
// unexported fields, and their Secret would print raw there.
func (r *Receiver) String() string { return "pagerduty " + r.integration }

// GoString is String, for %#v.
func (r *Receiver) GoString() string { return r.String() }
