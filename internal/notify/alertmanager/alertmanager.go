// Package alertmanager posts notifications to an existing Prometheus
// Alertmanager's /api/v2/alerts, for users who route everything through
// one: each alert becomes a postableAlert (labels, annotations, startsAt,
// endsAt, generatorURL) of Alertmanager's OpenAPI v2.
package alertmanager

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
)

// Horizon is how far past a message's time a firing alert's endsAt lies.
// Alertmanager resolves an alert whose endsAt has passed (and one sent
// without endsAt after its resolve_timeout, 5m by default), while homesoc
// re-sends a group only when it changes or its repeat_interval passes: so
// endsAt must outlast the repeat_interval of every route that reaches an
// Alertmanager receiver. Keep those repeat_interval below 24h (the default
// 4h is) and a firing alert stays firing there; if homesoc stops, its
// alerts resolve in Alertmanager at most a day later.
const Horizon = 24 * time.Hour

// Receiver posts to one alertmanager_configs entry.
type Receiver struct {
	integration string
	url         string // the full /api/v2/alerts URL
	password    string // of basic auth in the URL, "" for none: kept out of errors
	o           notify.Options
}

// New checks c and returns its Receiver. The API path is joined to the URL
// whether or not it ends in "/", under any path prefix it has
// (http://host/am/ posts to http://host/am/api/v2/alerts).
func New(c config.AlertmanagerConfig, integration string, o notify.Options) (*Receiver, error) {
	what := "alertmanager " + integration
	if c.URL == "" {
		return nil, fmt.Errorf("%s: no url", what)
	}
	u, err := url.Parse(string(c.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: url must be an http or https URL", what)
	}
	password, _ := u.User.Password() // nil-safe: "" without user info
	return &Receiver{integration: integration, url: u.JoinPath("api", "v2", "alerts").String(), password: password, o: o}, nil
}

// String names the receiver without its URL (which may carry basic auth).
func (r *Receiver) String() string { return "alertmanager " + r.integration }

// GoString is String, for %#v.
func (r *Receiver) GoString() string { return r.String() }

// Send posts the message's alerts in one request. Alertmanager answers 200;
// 400 (an alert it cannot take) is permanent, 5xx retried. Posting the same
// alerts again only refreshes them: Alertmanager identifies an alert by its
// labels (Labels), which homesoc_id makes unique and which stay the same
// while the alert lasts.
func (r *Receiver) Send(ctx context.Context, n *notify.Notification) error {
	what := "alertmanager " + r.integration
	body, err := json.Marshal(Alerts(&n.Message))
	if err != nil {
		return notify.Permanent(fmt.Errorf("%s: encode alerts: %w", what, err))
	}
	_, err = notify.PostJSON(ctx, r.o, what, r.url, nil, body, r.password)
	return err
}

// PostableAlert is Alertmanager's postableAlert.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Alerts maps the message's alerts to postableAlerts, in message order.
func Alerts(m *notify.Message) []PostableAlert {
	out := make([]PostableAlert, 0, len(m.Alerts))
	for i := range m.Alerts {
		a := &m.Alerts[i]
		labels := Labels(a)
		summary := a.Title
		if m.Test {
			summary = "[TEST] " + summary
		}
		ann := map[string]string{"summary": summary}
		put := func(k, v string) {
			if v != "" {
				ann[k] = v
			}
		}
		put("description", a.Description)
		put("who", a.Who())
		put("state", a.StateLine())
		put("runbook", a.Runbook)
		put("rescan", a.Rescan)
		put("console_url", m.URL(a))
		for _, k := range identityLabels {
			if _, isLabel := labels[LabelName(k)]; !isLabel {
				put(k, a.Labels[k])
			}
		}
		out = append(out, PostableAlert{
			Labels: labels, Annotations: ann,
			StartsAt:     a.FirstSeen.UTC().Format(time.RFC3339),
			EndsAt:       endsAt(m, a).UTC().Format(time.RFC3339),
			GeneratorURL: m.URL(a),
		})
	}
	return out
}

// identityLabels are the labels enrichment gives an alert
// (alert.Alert.Labels): they may change while the alert stays the same, so
// they are annotations unless a group column of the rule.
var identityLabels = []string{"host", "user", "device", "hostname"}

// Labels are the labels an alert is posted with: alertname (the rule),
// homesoc_id, rule, severity and the rule's group columns
// (notify.Alert.Group), names made valid (LabelName). Alertmanager
// identifies an alert by its labels, so they hold only what cannot change
// while the alert lasts: an identity label that enrichment fills later
// (host, user, device, hostname) is an annotation, or Alertmanager would
// see a new alert and keep the old one firing until its endsAt. The
// alert's status is not a label either: Alertmanager derives it from
// endsAt. An empty value is no label at all in Prometheus' model.
func Labels(a *notify.Alert) map[string]string {
	labels := make(map[string]string, len(a.Group)+4)
	for k, v := range a.Group {
		if v != "" {
			labels[LabelName(k)] = v
		}
	}
	labels["rule"] = a.Rule
	labels["severity"] = a.Severity
	labels["alertname"] = a.Rule
	labels["homesoc_id"] = a.ID
	return labels
}

// endsAt is when a resolved alert resolved (its latest transition, else the
// message's time), or Horizon past the message's time for a firing one.
func endsAt(m *notify.Message, a *notify.Alert) time.Time {
	if a.Firing() {
		return m.CreatedAt.Add(Horizon)
	}
	if a.Last != nil && a.Last.State == alert.StatusResolved && !a.Last.At.IsZero() {
		return a.Last.At
	}
	return m.CreatedAt
}

// LabelName makes s a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*):
// every other character becomes "_", and a leading digit gets a "_" before it.
func LabelName(s string) string {
	out := strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
	if out == "" || out[0] >= '0' && out[0] <= '9' {
		out = "_" + out
	}
	return out
}
