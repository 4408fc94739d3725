package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/rules"
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

// queryResult is the shape of homesoc query --json.
type queryResult struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
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

func (s *server) runQuery(r *http.Request) (queryResult, error) {
	var req queryRequest
	if err := decodeJSON(r, s.limit(DefaultMaxJSON), &req); err != nil {
		return queryResult{}, err
	}
	if strings.TrimSpace(req.SQL) == "" {
		return queryResult{}, bad("sql: empty query")
	}
	now := s.Now()
	if req.Now != "" {
		var err error
		if now, err = parseTime(req.Now, now); err != nil {
			return queryResult{}, bad("now: %w", err)
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
		d, err := parseAgo(p.text)
		if err != nil {
			return queryResult{}, bad("%s %q: want a positive duration such as 30s or 24h", p.name, p.text)
		}
		*p.d = d
	}
	timeout = min(timeout, MaxQueryTimeout)
	rule := &rules.Rule{ID: "query", SQL: req.SQL, Path: "query", SQLLine: 1, Window: window}
	rendered, err := rule.Render(s.Store.Dialect(), now)
	if err != nil {
		return queryResult{}, bad("sql: %w", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	res, err := s.Store.ReadQuery(ctx, rendered)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil {
			return queryResult{}, fmt.Errorf("query stopped after %s (timeout): %w", timeout, context.DeadlineExceeded)
		}
		return queryResult{}, errQuery{fmt.Errorf("query: %w", err)}
	}
	out := queryResult{Columns: nonNil(res.Columns), Rows: make([][]any, len(res.Rows))}
	for i, row := range res.Rows {
		out.Rows[i] = jsonRow(row)
	}
	return out, nil
}
