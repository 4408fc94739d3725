package view

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/exposure"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/silence"
	"github.com/homesoc/homesoc/internal/store"
)

// ListedAlert is an alert as homesoc alerts list --json and GET
// /api/v1/alerts list it: with the ids of the silences muting it now ([]
// for none). A silenced alert is still listed; only its delivery stops.
type ListedAlert struct {
	alert.Alert
	Silenced []string `json:"silenced"`
}

// List returns as, each with the silences of ss that mute it at now (over
// its labels with its rule's tags, tags by rule id).
func List(as []alert.Alert, tags map[string][]string, ss []silence.Silence, now time.Time) []ListedAlert {
	out := make([]ListedAlert, len(as))
	for i, a := range as {
		out[i] = ListedAlert{Alert: a, Silenced: silence.Silenced(a.Labels(tags[a.RuleID]...), ss, now)}
	}
	return out
}

// Alert is one alert and what its rule says about it.
type Alert struct {
	alert.Alert
	Description string `json:"description"` // the rule's
	Runbook     string `json:"runbook"`     // the rule's
}

// Describe returns a with its rule's description and runbook: the one of
// rs with its rule id, an exposure ticket's own; empty when none is known.
func Describe(a alert.Alert, rs []*rules.Rule) Alert {
	v := Alert{Alert: a}
	if a.RuleID == exposure.TicketRule {
		v.Description, v.Runbook = exposure.TicketDescription, exposure.TicketRunbook
	}
	for _, r := range rs {
		if r.ID == a.RuleID {
			v.Description, v.Runbook = strings.TrimSpace(r.Description), strings.TrimSpace(r.Runbook)
		}
	}
	return v
}

// ShownAlert is one alert whole, as homesoc alerts show --json and GET
// /api/v1/alerts/{id} show it: the alert, its rule's text and the silences
// muting it now, whole ([] for none).
type ShownAlert struct {
	Alert
	Silenced []silence.Silence `json:"silenced"`
}

// Show returns a described by rs, with the silences of ss that mute it at
// now (over its labels with tags, its rule's).
func Show(a alert.Alert, rs []*rules.Rule, tags []string, ss []silence.Silence, now time.Time) ShownAlert {
	v := ShownAlert{Alert: Describe(a, rs), Silenced: []silence.Silence{}}
	labels := a.Labels(tags...)
	for _, s := range ss {
		if s.Active(now) && s.Matches(labels) {
			v.Silenced = append(v.Silenced, s)
		}
	}
	return v
}

// AlertMove is what an ack, resolve or reopen of an alert did: homesoc
// alerts ack --json (which adds its delivery) and the API's answer.
type AlertMove struct {
	Changed bool        `json:"changed"` // false: the alert was in that state already
	Alert   alert.Alert `json:"alert"`   // as it is now, with its history
}

// Moved is the move of a whose store.MoveAlerts returned moved: changed,
// and the alert as it is now, when moved holds it.
func Moved(a alert.Alert, moved []alert.Alert) AlertMove {
	if len(moved) == 0 {
		return AlertMove{Alert: a}
	}
	return AlertMove{Changed: true, Alert: moved[0]}
}

// ErrAmbiguous is what FindAlert's error matches (errors.Is) when an id
// prefix is that of several alerts; one for no alert matches
// store.ErrNotFound.
var ErrAmbiguous = errors.New("ambiguous alert id")

// FindAlert returns the alert of as whose id is id or the only one whose id
// starts with it (case and surrounding space ignored), as an operator
// gives the 8 characters alerts list shows.
func FindAlert(as []alert.Alert, id string) (alert.Alert, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	var found []alert.Alert
	for _, a := range as {
		if a.ID == id {
			return a, nil
		}
		if id != "" && strings.HasPrefix(a.ID, id) {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 0:
		return alert.Alert{}, findError{fmt.Sprintf("no alert with id %q (homesoc alerts list shows them)", id), store.ErrNotFound}
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, a := range found {
		ids[i] = a.ID
	}
	return alert.Alert{}, findError{fmt.Sprintf("id prefix %q matches %d alerts: %s; give more of the id", id, len(found), strings.Join(ids, ", ")), ErrAmbiguous}
}

// findError is FindAlert's error: its text, and the error it matches.
type findError struct {
	msg  string
	kind error
}

func (e findError) Error() string        { return e.msg }
func (e findError) Is(target error) bool { return target == e.kind }
