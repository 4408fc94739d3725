package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

// moveRequest is the body of ack, resolve and reopen (optional).
type moveRequest struct {
	Author  string `json:"author"`
	Comment string `json:"comment"`
}

func (s *server) alertsList(w http.ResponseWriter, r *http.Request) {
	out, err := s.listAlerts(r.Context(), r)
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *server) listAlerts(ctx context.Context, r *http.Request) ([]view.ListedAlert, error) {
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
	return view.List(as, s.tags, ss, event.SecondsUTC(s.Now())), nil
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
		t, err := view.ParseTime(v, s.Now())
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

func (s *server) showAlert(ctx context.Context, id string) (view.ShownAlert, error) {
	a, err := s.findAlert(ctx, id)
	if err != nil {
		return view.ShownAlert{}, err
	}
	ss, err := s.Store.Silences(ctx, store.SilencesCurrent)
	if err != nil {
		return view.ShownAlert{}, err
	}
	return view.Show(a, s.rules, s.tags[a.RuleID], ss, event.SecondsUTC(s.Now())), nil
}

// findAlert returns the alert whose id is id or the only one that starts
// with it, as the CLI takes ids (view.FindAlert): a 404 for none, a 400
// for several.
func (s *server) findAlert(ctx context.Context, id string) (alert.Alert, error) {
	as, err := s.Store.Alerts(ctx)
	if err != nil {
		return alert.Alert{}, err
	}
	a, err := view.FindAlert(as, id)
	if errors.Is(err, view.ErrAmbiguous) {
		return a, bad("%w", err)
	}
	return a, err
}

// moveHandler returns the handler of a move of an alert into state.
func moveHandler(state string) func(*server, http.ResponseWriter, *http.Request) {
	return func(s *server, w http.ResponseWriter, r *http.Request) {
		res, err := s.moveAlert(r, state)
		s.reply(w, r, http.StatusOK, res, err)
	}
}

// moveAlert answers the shape of homesoc alerts ack --json without its
// delivery (the service notifies).
func (s *server) moveAlert(r *http.Request, state string) (view.AlertMove, error) {
	var req moveRequest // the body is optional
	if err := decodeJSON(r, s.limit(DefaultMaxJSON), &req); err != nil && !errors.Is(err, errEmptyBody) {
		return view.AlertMove{}, err
	}
	ctx := r.Context()
	a, err := s.findAlert(ctx, r.PathValue("id"))
	if err != nil {
		return view.AlertMove{}, err
	}
	moved, err := s.Store.MoveAlerts(ctx, store.AlertFilter{IDs: []string{a.ID}}, alert.Transition{
		State: state, Author: strings.TrimSpace(req.Author), At: event.SecondsUTC(s.Now()), Comment: req.Comment, By: alert.ByOperator})
	if err != nil {
		return view.AlertMove{}, err
	}
	res := view.Moved(a, moved)
	if res.Changed && s.AlertsChanged != nil {
		s.AlertsChanged(context.WithoutCancel(ctx), moved)
	}
	return res, nil
}
