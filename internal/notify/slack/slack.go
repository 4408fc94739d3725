// Package slack posts notifications to a Slack incoming webhook as one
// Block Kit message each. An incoming webhook cannot edit what it posted,
// so the update on acknowledge or resolve is a new message that says so.
package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
)

// Receiver posts to one slack_configs entry.
type Receiver struct {
	integration string
	url         config.SecretURL
	channel     string
	o           notify.Options
}

// New checks c and returns its Receiver; integration names it in errors
// ("team-chat/slack/0"), which never quote the webhook URL (its path is the
// token).
func New(c config.SlackConfig, integration string, o notify.Options) (*Receiver, error) {
	what := "slack " + integration
	if c.APIURL.Secret == "" {
		return nil, fmt.Errorf("%s: no api_url", what)
	}
	if u, err := url.Parse(c.APIURL.Reveal()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: api_url must be an http or https URL", what)
	}
	return &Receiver{integration: integration, url: c.APIURL, channel: c.Channel, o: o}, nil
}

// String names the receiver without its URL.
func (r *Receiver) String() string { return "slack " + r.integration }

// GoString is String, for %#v.
func (r *Receiver) GoString() string { return r.String() }

// Send posts the message. Slack answers 200 "ok"; 400 (invalid_payload),
// 403, 404 and 410 (no such hook, or revoked) are permanent; 429 is retried
// after its Retry-After; 5xx retried.
func (r *Receiver) Send(ctx context.Context, n *notify.Notification) error {
	what := "slack " + r.integration
	body, err := json.Marshal(Render(&n.Message, r.channel))
	if err != nil {
		return notify.Permanent(fmt.Errorf("%s: encode message: %w", what, err))
	}
	_, err = notify.PostJSON(ctx, r.o, what, r.url.Reveal(), nil, body, notify.URLSecrets(r.url.Reveal())...)
	return err
}

// Payload is an incoming webhook's body.
type Payload struct {
	Channel string  `json:"channel,omitempty"`
	Text    string  `json:"text"` // the fallback: notifications and clients without blocks
	Blocks  []Block `json:"blocks"`
}

// Block is a Block Kit block: header, section, context or divider.
type Block struct {
	Type     string `json:"type"`
	Text     *Text  `json:"text,omitempty"`
	Fields   []Text `json:"fields,omitempty"`
	Elements []Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

// Block Kit's limits.
const (
	maxBlocks     = 50
	maxHeader     = 150
	maxText       = 3000
	maxFields     = 10
	maxField      = 2000
	maxAlerts     = 20 // alerts shown in full; the rest are counted
	topEvidence   = 6  // evidence fields shown per alert
	blocksPerMore = 1
)

// Render lays the message out as Block Kit: a header (the title), then per
// alert a section (what, who, state, evidence, rescan, links) and, for an
// exposure ticket, a section of its eight fields; after maxAlerts alerts,
// or when the 50 blocks would run out, a context block counts the rest.
func Render(m *notify.Message, channel string) Payload {
	p := Payload{Channel: channel, Text: m.Title()}
	p.Blocks = append(p.Blocks, Block{Type: "header", Text: &Text{"plain_text", notify.Cut(m.Title(), maxHeader)}})
	shown := 0
	for i := range m.Alerts {
		a := &m.Alerts[i]
		bs := alertBlocks(m, a)
		if shown == maxAlerts || len(p.Blocks)+len(bs)+blocksPerMore > maxBlocks {
			break
		}
		p.Blocks = append(p.Blocks, bs...)
		shown++
	}
	if rest := len(m.Alerts) - shown; rest > 0 {
		more := fmt.Sprintf("and %d more", rest)
		if m.ConsoleURL != "" {
			more += fmt.Sprintf(" in <%s|the console>", m.ConsoleURL)
		}
		p.Blocks = append(p.Blocks, Block{Type: "context", Elements: []Text{{"mrkdwn", more}}})
	}
	return p
}

// alertBlocks are an alert's blocks: a divider, its section, and its
// ticket's fields.
func alertBlocks(m *notify.Message, a *notify.Alert) []Block {
	var b strings.Builder
	title := escape(a.Title)
	if u := m.URL(a); u != "" {
		title = fmt.Sprintf("<%s|%s>", u, title)
	}
	fmt.Fprintf(&b, "%s *%s*\n", mark(a), title)
	if who := a.Who(); who != "" {
		fmt.Fprintf(&b, "*Who:* %s\n", escape(who))
	}
	ticket := a.TicketFields()
	inTicket := map[string]bool{}
	if ticket != nil {
		for _, c := range []string{"global_ip", "local_ip", "hostname", "log_type", "os", "scan_time", "open_ports", "services"} {
			inTicket[c] = true
		}
	}
	shown := 0
	for _, f := range a.Evidence() {
		if inTicket[f.Name] || f.Value == "" {
			continue
		}
		if shown == topEvidence {
			b.WriteString("…\n")
			break
		}
		fmt.Fprintf(&b, "`%s`: %s\n", f.Name, escape(f.Value))
		shown++
	}
	if a.Rescan != "" {
		fmt.Fprintf(&b, "*Rescan:* `%s`\n", a.Rescan)
	}
	if a.Runbook != "" {
		fmt.Fprintf(&b, "*Runbook:*\n%s\n", escape(a.Runbook))
	}
	fields := []notify.Field{
		{Name: "Severity", Value: a.Severity},
		{Name: "State", Value: a.StateLine()},
		{Name: "Rule", Value: a.Rule},
		{Name: "Count", Value: fmt.Sprint(a.Count)},
		{Name: "First seen", Value: a.FirstSeen.UTC().Format("2006-01-02 15:04:05Z")},
		{Name: "Last seen", Value: a.LastSeen.UTC().Format("2006-01-02 15:04:05Z")},
	}
	out := []Block{
		{Type: "divider"},
		{Type: "section", Text: &Text{"mrkdwn", notify.Cut(strings.TrimSuffix(b.String(), "\n"), maxText)}, Fields: mrkdwnFields(fields)},
	}
	if ticket != nil {
		out = append(out, Block{Type: "section", Fields: mrkdwnFields(ticket)})
	}
	return out
}

// mrkdwnFields lays fields out as "*Name*\nvalue", at most ten of at most
// 2000 bytes.
func mrkdwnFields(fs []notify.Field) []Text {
	var out []Text
	for _, f := range fs {
		if len(out) == maxFields {
			break
		}
		out = append(out, Text{"mrkdwn", notify.Cut(fmt.Sprintf("*%s*\n%s", f.Name, escape(f.Value)), maxField)})
	}
	return out
}

// mark is the alert's state at a glance.
func mark(a *notify.Alert) string {
	switch {
	case !a.Firing():
		return ":white_check_mark: RESOLVED"
	case a.State == alert.StatusAcknowledged:
		return ":eyes: ACKNOWLEDGED"
	}
	return ":rotating_light: " + strings.ToUpper(a.Severity)
}

// escape keeps text from reading as Slack markup: &, < and > are the three
// characters Slack asks senders to escape.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
