package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/view"
)

// Query limits: DefaultQueryTimeout as homesoc query's --timeout, and at
// most MaxQueryTimeout whatever the request asks.
const (
	DefaultQueryTimeout = 30 * time.Second
	MaxQueryTimeout     = 5 * time.Minute
)

// queryRequest is the body of POST /api/v1/query; now, window and timeout
// are homesoc query's flags.
type queryRequest struct {
	SQL     string `json:"sql"`
	Now     string `json:"now"`     // the time {{now}} stands for; "": now
	Window  string `json:"window"`  // how far before now {{window_start}} is; "": 24h
	Timeout string `json:"timeout"` // "": DefaultQueryTimeout
}

// errQuery is SQL the store refused or could not run: 422, the request
// was well formed.
type errQuery struct{ error }

func (e errQuery) Unwrap() error { return e.error }

func (s *server) query(w http.ResponseWriter, r *http.Request) {
	res, err := s.runQuery(r)
	var qe errQuery
	switch {
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
		writeError(w, http.StatusGatewayTimeout, err)
	case errors.As(err, &qe):
		writeError(w, http.StatusUnprocessableEntity, err)
	default:
		s.reply(w, r, http.StatusOK, res, err)
	}
}

func (s *server) runQuery(r *http.Request) (view.Query, error) {
	var req queryRequest
	if err := decodeJSON(r, s.limit(DefaultMaxJSON), &req); err != nil {
		return view.Query{}, err
	}
	if strings.TrimSpace(req.SQL) == "" {
		return view.Query{}, bad("sql: empty query")
	}
	now := s.Now()
	if req.Now != "" {
		var err error
		if now, err = view.ParseTime(req.Now, now); err != nil {
			return view.Query{}, bad("now: %w", err)
		}
	}
	window, timeout := 24*time.Hour, DefaultQueryTimeout
	for _, p := range []struct {
		name, text string
		d          *time.Duration
	}{{"window", req.Window, &window}, {"timeout", req.Timeout, &timeout}} {
		if p.text == "" {
			continue
		}
		d, err := view.ParseAgo(p.text)
		if err != nil || d <= 0 {
			return view.Query{}, bad("%s %q: want a positive duration such as 30s or 24h", p.name, p.text)
		}
		*p.d = d
	}
	timeout = min(timeout, MaxQueryTimeout)
	rule := &rules.Rule{ID: "query", SQL: req.SQL, Path: "query", SQLLine: 1, Window: window}
	rendered, err := rule.Render(s.Store.Dialect(), now)
	if err != nil {
		return view.Query{}, bad("sql: %w", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	res, err := s.Store.ReadQuery(ctx, rendered)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil {
			return view.Query{}, fmt.Errorf("query stopped after %s (timeout): %w", timeout, context.DeadlineExceeded)
		}
		return view.Query{}, errQuery{fmt.Errorf("query: %w", err)}
	}
	return view.QueryOf(res), nil
}
