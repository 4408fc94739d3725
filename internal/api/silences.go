package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/silence"
	"github.com/homesoc/homesoc/internal/store"
)

// silenceView is a silence as GET /api/v1/silences lists it, the shape of
// homesoc silence list --json: its state now and how many stored alerts
// its matchers match.
type silenceView struct {
	silence.Silence
	State  string `json:"state"`
	Alerts int    `json:"alerts"`
}

// silenceRequest is the body of POST /api/v1/silences: a silence as GET
// lists them (Alertmanager's v2 silence in snake_case), each matcher an
// object or amtool's text (rule=port-scan, host=~"10\\..*"), and
// duration instead of ends_at if wanted (default 1h, as silence add).
type silenceRequest struct {
	Matchers []json.RawMessage `json:"matchers"`
	StartsAt *time.Time        `json:"starts_at"`
	EndsAt   *time.Time        `json:"ends_at"`
	Duration string            `json:"duration"`
	Author   string            `json:"author"`
	Comment  string            `json:"comment"`
}

func (s *server) silences(w http.ResponseWriter, r *http.Request) {
	vs, err := s.silenceViews(r.Context(), r)
	s.reply(w, r, http.StatusOK, vs, err)
}

func (s *server) silenceViews(ctx context.Context, r *http.Request) ([]silenceView, error) {
	q := r.URL.Query()
	which := store.SilencesCurrent
	expired, all := false, false
	for _, p := range []struct {
		name string
		v    *bool
	}{{"expired", &expired}, {"all", &all}} {
		if t := q.Get(p.name); t != "" {
			b, err := strconv.ParseBool(t)
			if err != nil {
				return nil, bad("%s: %q: want true or false", p.name, t)
			}
			*p.v = b
		}
	}
	switch {
	case expired && all:
		return nil, bad("expired and all both given: give one")
	case expired:
		which = store.SilencesExpired
	case all:
		which = store.SilencesAll
	}
	ss, err := s.Store.Silences(ctx, which)
	if err != nil {
		return nil, err
	}
	var labels []map[string]string
	if len(ss) > 0 {
		as, err := s.Store.Alerts(ctx)
		if err != nil {
			return nil, err
		}
		for i := range as {
			labels = append(labels, as[i].Labels(s.tags[as[i].RuleID]...))
		}
	}
	now := event.SecondsUTC(s.Now())
	vs := make([]silenceView, len(ss))
	for i, sl := range ss {
		vs[i] = silenceView{Silence: sl, State: sl.State(now)}
		for _, l := range labels {
			if sl.Matches(l) {
				vs[i].Alerts++
			}
		}
	}
	return vs, nil
}

func (s *server) silenceAdd(w http.ResponseWriter, r *http.Request) {
	sl, err := s.addSilence(r)
	s.reply(w, r, http.StatusCreated, sl, err)
}

func (s *server) addSilence(r *http.Request) (silence.Silence, error) {
	var req silenceRequest
	if err := decodeJSON(r, s.limit(DefaultMaxJSON), &req); err != nil {
		return silence.Silence{}, err
	}
	sl := silence.Silence{Author: strings.TrimSpace(req.Author), Comment: strings.TrimSpace(req.Comment)}
	if sl.Author == "" {
		sl.Author = "api"
	}
	for i, raw := range req.Matchers {
		var m silence.Matcher
		var text string
		err := json.Unmarshal(raw, &text)
		if err == nil {
			m, err = silence.ParseMatcher(text)
		} else {
			err = json.Unmarshal(raw, &m)
		}
		if err != nil {
			return sl, bad("matchers[%d]: %w", i, err)
		}
		sl.Matchers = append(sl.Matchers, m)
	}
	now := event.SecondsUTC(s.Now())
	sl.StartsAt = now
	if req.StartsAt != nil {
		sl.StartsAt = req.StartsAt.UTC()
	}
	switch {
	case req.EndsAt != nil && req.Duration != "":
		return sl, bad("ends_at and duration both given: give one")
	case req.EndsAt != nil:
		sl.EndsAt = req.EndsAt.UTC()
	default:
		d := time.Hour
		if req.Duration != "" {
			var err error
			if d, err = parseAgo(req.Duration); err != nil {
				return sl, bad("duration %q: want a positive duration such as 2h, 30m or 1d", req.Duration)
			}
		}
		sl.EndsAt = sl.StartsAt.Add(d)
	}
	if err := sl.Validate(); err != nil {
		return sl, bad("%w", err)
	}
	if !sl.EndsAt.After(now) {
		return sl, bad("ends_at %s is not in the future", sl.EndsAt.Format(time.RFC3339))
	}
	return s.Store.AddSilence(r.Context(), sl)
}

func (s *server) silenceExpire(w http.ResponseWriter, r *http.Request) {
	sl, err := s.Store.ExpireSilence(r.Context(), r.PathValue("id"))
	if errors.Is(err, silence.ErrExpired) {
		writeError(w, http.StatusConflict, err)
		return
	}
	s.reply(w, r, http.StatusOK, sl, err)
}
