package notify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/homesoc/homesoc/internal/identity"
)

// Field is one name and value a receiver lays out (a Slack field, a
// PagerDuty custom detail, a line of an email).
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TicketRule is the rule of exposure tickets (exposure.TicketRule).
const TicketRule = "exposure"

// ticketFields are the eight fields of a ticket ([S0-4]) in order, by
// the detail column that holds each.
var ticketFields = []Field{
	{"Global IP", "global_ip"}, {"Local IP", "local_ip"}, {"Host name", "hostname"}, {"Log type", "log_type"},
	{"OS", "os"}, {"Scan time", "scan_time"}, {"Open ports", "open_ports"}, {"Services", "services"},
}

// TicketFields are the eight fields of an exposure ticket, in order (empty
// values included, as "-"); nil for other alerts.
func (a *Alert) TicketFields() []Field {
	if a.Rule != TicketRule {
		return nil
	}
	out := make([]Field, len(ticketFields))
	for i, f := range ticketFields {
		out[i] = Field{f.Name, dash(a.Detail[f.Value])}
	}
	return out
}

// maxEvidence bounds one evidence value: messages stay readable and within
// every receiver's limits.
const maxEvidence = 200

// Evidence is the alert's detail (the rule's columns) by column name, each
// value cut to 200 bytes; empty values, the ticket's JSON copy, and for a
// ticket the columns TicketFields shows, are left out.
func (a *Alert) Evidence() []Field {
	shown := map[string]bool{"ticket": true}
	if a.Rule == TicketRule {
		for _, f := range ticketFields {
			shown[f.Value] = true
		}
	}
	keys := make([]string, 0, len(a.Detail))
	for k, v := range a.Detail {
		if !shown[k] && v != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]Field, 0, len(keys))
	for _, k := range keys {
		out = append(out, Field{k, Cut(a.Detail[k], maxEvidence)})
	}
	return out
}

// Who says who and which device stood behind the alert, one line: "kimura
// on laptop-mori (device c0ffee...) at 172.16.1.10", "ambiguous at
// 192.168.1.10: anna on NAS-ANNA, bob on NAS-BOB", or the host label alone
// when the alert was not attributed; "" when there is nothing to say.
func (a *Alert) Who() string {
	id := a.Identity
	host := a.Labels["host"]
	if id == nil || len(id.Candidates) == 0 {
		if host == "" {
			return ""
		}
		return host + " (nobody known)"
	}
	at := id.Addr.String()
	var cs []string
	for _, c := range id.Candidates {
		cs = append(cs, candidate(c))
	}
	if id.Status == identity.Resolved && len(cs) == 1 {
		return cs[0] + " at " + at
	}
	return fmt.Sprintf("%s at %s: %s", id.Status, at, strings.Join(cs, "; "))
}

// candidate is "kimura on laptop-mori (device c0ffee)".
func candidate(c identity.Candidate) string {
	user := c.User
	if user == "" {
		user = c.Owner
	}
	var parts []string
	if user != "" {
		parts = append(parts, user)
	}
	switch {
	case c.Hostname != "" && c.DeviceID != "":
		parts = append(parts, fmt.Sprintf("on %s (device %s)", c.Hostname, c.DeviceID))
	case c.Hostname != "":
		parts = append(parts, "on "+c.Hostname)
	case c.DeviceID != "":
		parts = append(parts, "on device "+c.DeviceID)
	}
	if len(parts) == 0 {
		return "unknown " + c.Source + " candidate"
	}
	return strings.Join(parts, " ")
}

// Title is the message's one-line title, after Alertmanager's default one:
// "[FIRING] <the alert's title>" for one alert; for more, "[FIRING:3]
// <group labels>: <the first alert's title> (+2 more)"; "[RESOLVED]" when
// all are resolved; "[TEST]" for a test. A part of a group split into
// several messages ends in " (part 2/3)".
func (m *Message) Title() string {
	if m.Parts > 1 {
		return m.title() + fmt.Sprintf(" (part %d/%d)", m.Part, m.Parts)
	}
	return m.title()
}

// title is Title without the part.
func (m *Message) title() string {
	status := strings.ToUpper(m.Status)
	if m.Test {
		status = "TEST"
	}
	switch len(m.Alerts) {
	case 0:
		return fmt.Sprintf("[%s]", status)
	case 1:
		return fmt.Sprintf("[%s] %s", status, m.Alerts[0].Title)
	}
	var vals []string
	for _, k := range sortedKeys(m.GroupLabels) {
		vals = append(vals, k+"="+m.GroupLabels[k])
	}
	labels := ""
	if len(vals) > 0 {
		labels = strings.Join(vals, " ") + ": "
	}
	return fmt.Sprintf("[%s:%d] %s%s (+%d more)", status, len(m.Alerts), labels, m.Alerts[0].Title, len(m.Alerts)-1)
}

// Severity is the highest severity among the message's alerts.
func (m *Message) Severity() string {
	best := ""
	for _, a := range m.Alerts {
		if SeverityRank(a.Severity) > SeverityRank(best) {
			best = a.Severity
		}
	}
	return best
}

// SeverityRank orders severities (rules.Severities): info 1 ... critical
// 5; 0 for anything else.
func SeverityRank(s string) int {
	return slices.Index([]string{"info", "low", "medium", "high", "critical"}, s) + 1
}

// Cut shortens s to at most n bytes, on a rune boundary, marking the cut
// with "...".
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - 3
	for i > 0 && i < len(s) && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "..."
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
