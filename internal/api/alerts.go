package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/exposure"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/silence"
	"github.com/homesoc/homesoc/internal/store"
)

// silencedAlert is an alert as GET /api/v1/alerts lists it, the shape of
// homesoc alerts list --json: with the ids of the silences muting it now.
type silencedAlert struct {
	alert.Alert
	Silenced []string `json:"silenced"`
}

// alertView is one alert whole, the shape of homesoc alerts show --json:
// the rule's description and runbook, and the silences muting it now.
type alertView struct {
	alert.Alert
	Description string            `json:"description"`
	Runbook     string            `json:"runbook"`
	Silenced    []silence.Silence `json:"silenced"`
}

// alertMove is what ack, resolve and reopen answer, the shape of homesoc
// alerts ack --json without its delivery (the service notifies).
type alertMove struct {
	Changed bool        `json:"changed"` // false: the alert was in that state already
	Alert   alert.Alert `json:"alert"`
}

// moveRequest is the body of ack, resolve and reopen (optional).
type moveRequest struct {
	Author  string `json:"author"`
	Comment string `json:"comment"`
}

func (s *server) alertsList(w http.ResponseWriter, r *http.Request) {
	out, err := s.listAlerts(r.Context(), r)
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *server) listAlerts(ctx context.Context, r *http.Request) ([]silencedAlert, error) {
	f, err := s.alertFilter(r)
	if err != nil {
		return nil, err
	}
	as, err := s.Store.FindAlerts(ctx, f)
	if err != nil {
		return nil, err
	}
	ss, err := s.Store.Silences(ctx, store.SilencesCurrent)
	if err != nil {
		return nil, err
	}
	now := event.SecondsUTC(s.Now())
	out := make([]silencedAlert, len(as))
	for i, a := range as {
		out[i] = silencedAlert{Alert: a, Silenced: nonNil(silence.Silenced(a.Labels(s.tags[a.RuleID]...), ss, now))}
	}
	return out, nil
}

// alertFilter reads alerts list's filters from r's query: state, rule and
// severity (each repeatable or a comma list), since.
func (s *server) alertFilter(r *http.Request) (store.AlertFilter, error) {
	q := r.URL.Query()
	f := store.AlertFilter{Rules: listParam(q["rule"])}
	for _, v := range listParam(q["state"]) {
		v = strings.ToLower(v)
		if v == "ack" {
			v = alert.StatusAcknowledged
		}
		if !alert.ValidState(v) {
			return f, bad("state %q: want open, acknowledged or resolved", v)
		}
		f.States = append(f.States, v)
	}
	for _, v := range listParam(q["severity"]) {
		v = strings.ToLower(v)
		if !slices.Contains(rules.Severities, v) {
			return f, bad("severity %q: want one of %s", v, strings.Join(rules.Severities, ", "))
		}
		f.Severities = append(f.Severities, v)
	}
	if v := q.Get("since"); v != "" {
		t, err := parseTime(v, s.Now())
		if err != nil {
			return f, bad("since: %w", err)
		}
		f.Since = t
	}
	return f, nil
}

// listParam splits the values of a repeatable parameter at commas.
func listParam(vs []string) []string {
	var out []string
	for _, v := range vs {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (s *server) alertShow(w http.ResponseWriter, r *http.Request) {
	v, err := s.showAlert(r.Context(), r.PathValue("id"))
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *server) showAlert(ctx context.Context, id string) (alertView, error) {
	a, err := s.findAlert(ctx, id)
	if err != nil {
		return alertView{}, err
	}
	v := alertView{Alert: a, Silenced: []silence.Silence{}}
	if a.RuleID == exposure.TicketRule {
		v.Description, v.Runbook = exposure.TicketDescription, exposure.TicketRunbook
	}
	for _, rl := range s.rules {
		if rl.ID == a.RuleID {
			v.Description, v.Runbook = strings.TrimSpace(rl.Description), strings.TrimSpace(rl.Runbook)
		}
	}
	ss, err := s.Store.Silences(ctx, store.SilencesCurrent)
	if err != nil {
		return v, err
	}
	now := event.SecondsUTC(s.Now())
	labels := a.Labels(s.tags[a.RuleID]...)
	for _, sl := range ss {
		if sl.Active(now) && sl.Matches(labels) {
			v.Silenced = append(v.Silenced, sl)
		}
	}
	return v, nil
}

// findAlert returns the alert whose id is id or the only one that starts
// with it, as the CLI takes ids: a 404 for none, a 400 for several.
func (s *server) findAlert(ctx context.Context, id string) (alert.Alert, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	as, err := s.Store.Alerts(ctx)
	if err != nil {
		return alert.Alert{}, err
	}
	var found []string
	for _, a := range as {
		if a.ID == id {
			return a, nil
		}
		if id != "" && strings.HasPrefix(a.ID, id) {
			found = append(found, a.ID)
		}
	}
	switch len(found) {
	case 0:
		return alert.Alert{}, fmt.Errorf("no alert with id %q: %w", id, store.ErrNotFound)
	case 1:
		i := slices.IndexFunc(as, func(a alert.Alert) bool { return a.ID == found[0] })
		return as[i], nil
	}
	return alert.Alert{}, bad("id prefix %q matches %d alerts: %s; give more of the id", id, len(found), strings.Join(found, ", "))
}

// moveHandler returns the handler of a move of an alert into state.
func moveHandler(state string) func(*server, http.ResponseWriter, *http.Request) {
	return func(s *server, w http.ResponseWriter, r *http.Request) {
		res, err := s.moveAlert(r, state)
		s.reply(w, r, http.StatusOK, res, err)
	}
}

func (s *server) moveAlert(r *http.Request, state string) (alertMove, error) {
	var req moveRequest // the body is optional
	if err := decodeJSON(r, s.limit(DefaultMaxJSON), &req); err != nil && !errors.Is(err, errEmptyBody) {
		return alertMove{}, err
	}
	ctx := r.Context()
	a, err := s.findAlert(ctx, r.PathValue("id"))
	if err != nil {
		return alertMove{}, err
	}
	moved, err := s.Store.MoveAlerts(ctx, store.AlertFilter{IDs: []string{a.ID}}, alert.Transition{
		State: state, Author: strings.TrimSpace(req.Author), At: event.SecondsUTC(s.Now()), Comment: req.Comment, By: alert.ByOperator})
	if err != nil {
		return alertMove{}, err
	}
	res := alertMove{Changed: len(moved) > 0, Alert: a}
	if res.Changed {
		res.Alert = moved[0]
		if s.AlertsChanged != nil {
			s.AlertsChanged(context.WithoutCancel(ctx), moved)
		}
	}
	return res, nil
}
