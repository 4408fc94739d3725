package dispatch

import (
	"strings"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/silence"
)

// InhibitRule is an Alertmanager inhibit rule: while an alert matching
// SourceMatchers is firing (open or acknowledged), every alert matching
// TargetMatchers whose Equal labels have the same values as the source's is
// muted. A label an alert lacks counts as empty on both sides, as in
// Alertmanager: two alerts both without it are equal on it. An alert never
// inhibits itself; and an alert that matches both sides is inhibited only by
// sources that do not match the target side too (Alertmanager's rule, so
// that two such alerts do not mute each other).
type InhibitRule struct {
	SourceMatchers silence.Matchers `json:"source_matchers"`
	TargetMatchers silence.Matchers `json:"target_matchers"`
	Equal          []string         `json:"equal"`
}

// DefaultInhibitRules are the rules used when Input.Inhibit is nil: an open
// exposure ticket mutes the inbound-from-internet alerts of the same
// device. Both group by device_id (the EDR's device id, which the ticket
// takes from the suspect alert that named the endpoint), and that is the
// label they share: the target label can differ (the ticket keeps the
// address it scanned while the rule follows the device's latest public
// address). A ticket without a device id inhibits nothing: otherwise it
// would mute every alert that lacks one.
func DefaultInhibitRules() []InhibitRule {
	must := func(args ...string) silence.Matchers {
		ms, err := silence.ParseMatchers(args)
		if err != nil {
			panic(err) // constant matchers
		}
		return ms
	}
	return []InhibitRule{{
		SourceMatchers: must("rule="+notify.TicketRule, `device_id=~".+"`),
		TargetMatchers: must("rule=inbound-from-internet"),
		Equal:          []string{"device_id"},
	}}
}

// source is a firing alert an inhibit rule's source side matches.
type source struct {
	id          string
	matchTarget bool
}

// inhibited returns, by alert index, whether any rule mutes the alert.
// Sources are indexed by their Equal values, so it takes one pass over the
// alerts per rule.
func inhibited(rules []InhibitRule, alerts []alert.Alert, labels []map[string]string) []bool {
	out := make([]bool, len(alerts))
	for _, r := range rules {
		sources := map[string][]source{}
		for i := range alerts {
			if alerts[i].Status == alert.StatusResolved || !r.SourceMatchers.Matches(labels[i]) {
				continue
			}
			k := equalKey(r.Equal, labels[i])
			sources[k] = append(sources[k], source{id: alerts[i].ID, matchTarget: r.TargetMatchers.Matches(labels[i])})
		}
		if len(sources) == 0 {
			continue
		}
		for i := range alerts {
			if out[i] || !r.TargetMatchers.Matches(labels[i]) {
				continue
			}
			twoSided := r.SourceMatchers.Matches(labels[i])
			for _, s := range sources[equalKey(r.Equal, labels[i])] {
				if s.id == alerts[i].ID || (twoSided && s.matchTarget) {
					continue
				}
				out[i] = true
				break
			}
		}
	}
	return out
}

// equalKey joins the values of names in labels.
func equalKey(names []string, labels map[string]string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(labels[n])
		b.WriteByte(0)
	}
	return b.String()
}
