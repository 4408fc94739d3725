package email

import (
	"fmt"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
)

// view is what both parts show, computed once from the message.
type view struct {
	Title    string
	Test     bool
	Summary  string // "2 alerts, highest severity critical, for receiver soc (route 1) at ..."
	Alerts   []alertView
	Delivery string // the notification id
}

// alertView is one alert, as both parts lay it out.
type alertView struct {
	N           int
	Title       string
	Rule        string
	Severity    string
	State       string // "open (new)"; the change alone when it is the state
	Who         string
	Seen        string // "2026-11-28T00:10:00Z to 2026-11-28T02:05:00Z, 1 match(es), 2 event(s)"
	Last        string // "acknowledged by anna at ...: on it", "" for none
	Description string
	Ticket      []notify.Field
	Evidence    []notify.Field
	Rescan      string
	Runbook     string
	URL         string
}

func newView(n *notify.Notification) view {
	m := &n.Message
	v := view{Title: m.Title(), Test: m.Test, Delivery: n.ID}
	route := ""
	if m.Route != "" {
		route = " (" + m.Route + ")"
	}
	v.Summary = fmt.Sprintf("%d alert(s), status %s, highest severity %s, for receiver %s%s at %s.",
		len(m.Alerts), m.Status, dash(m.Severity()), m.Receiver, route, rfc3339(m.CreatedAt))
	for i := range m.Alerts {
		a := &m.Alerts[i]
		av := alertView{
			N: i + 1, Title: a.Title, Rule: a.Rule, Severity: a.Severity, State: a.State, Who: a.Who(),
			Seen:        fmt.Sprintf("%s to %s, %d match(es), %d event(s)", rfc3339(a.FirstSeen), rfc3339(a.LastSeen), a.Count, a.Events),
			Description: a.Description, Ticket: a.TicketFields(), Evidence: a.Evidence(),
			Rescan: a.Rescan, Runbook: strings.TrimSpace(a.Runbook), URL: m.URL(a),
		}
		if a.Change != "" && a.Change != a.State {
			av.State += " (" + a.Change + ")"
		}
		if t := a.Last; t != nil {
			av.Last = fmt.Sprintf("%s by %s at %s", t.State, dash(t.Author), rfc3339(t.At))
			if t.Comment != "" {
				av.Last += ": " + t.Comment
			}
		}
		v.Alerts = append(v.Alerts, av)
	}
	return v
}

// renderText is the text/plain part: fields aligned, lists indented.
func renderText(v view) string {
	var b strings.Builder
	b.WriteString(v.Title + "\n\n")
	if v.Test {
		b.WriteString("This is a test message from \"homesoc notify test\": the receiver works.\n\n")
	}
	b.WriteString(v.Summary + "\n")
	for _, a := range v.Alerts {
		fmt.Fprintf(&b, "\n%d. %s\n\n", a.N, a.Title)
		fields(&b, "   ", []notify.Field{
			{Name: "Rule", Value: a.Rule}, {Name: "Severity", Value: a.Severity}, {Name: "State", Value: a.State}, {Name: "Who", Value: a.Who},
			{Name: "Seen", Value: a.Seen}, {Name: "Last change", Value: a.Last},
		})
		if a.Description != "" {
			b.WriteString("\n   " + a.Description + "\n")
		}
		if len(a.Ticket) > 0 {
			b.WriteString("\n   Ticket:\n")
			fields(&b, "     ", a.Ticket)
		}
		if len(a.Evidence) > 0 {
			b.WriteString("\n   Evidence:\n")
			fields(&b, "     ", a.Evidence)
		}
		if a.Rescan != "" {
			b.WriteString("\n   Rescan: " + a.Rescan + "\n")
		}
		if a.Runbook != "" {
			b.WriteString("\n   Runbook:\n")
			for _, l := range strings.Split(a.Runbook, "\n") {
				b.WriteString(strings.TrimRight("     "+l, " ") + "\n")
			}
		}
		if a.URL != "" {
			b.WriteString("\n   Console: " + a.URL + "\n")
		}
	}
	b.WriteString("\n-- \nSent by homesoc. Delivery " + v.Delivery + "\n")
	return b.String()
}

// fields writes the non-empty fields, names padded to one column.
func fields(b *strings.Builder, indent string, fs []notify.Field) {
	w := 0
	for _, f := range fs {
		if f.Value != "" && len(f.Name) > w {
			w = len(f.Name)
		}
	}
	for _, f := range fs {
		if f.Value == "" {
			continue
		}
		v := strings.ReplaceAll(f.Value, "\n", "\n"+indent+strings.Repeat(" ", w+2))
		fmt.Fprintf(b, "%s%-*s  %s\n", indent, w+1, f.Name+":", v)
	}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
