// Package api is the HTTP API of homesoc serve: JSON over HTTP, versioned
// under /api/v1/, every route there behind a bearer token. docs/openapi.yaml
// documents it; a test holds the two together.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/exposure"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
)

// Options are what the API serves from; the serve command fills them.
type Options struct {
	Store store.Store
	Token string // required bearer token (constant-time compare)
	// Ingest runs one pushed body through the service's pipeline (matching at
	// ingest, sightings, rejects kept) and returns its counts. source names the
	// sender for rejects ("http://127.0.0.1"); format is a parse format or "auto".
	Ingest func(ctx context.Context, source, format string, r io.Reader) (pipeline.Stats, error)
	// IntelLoaded is called after an upload stored indicators, so the service
	// swaps its live matcher. May be nil.
	IntelLoaded func(ctx context.Context)
	// AlertsChanged is called with the alerts an operator moved (ack, resolve,
	// reopen) so the service notifies at once. May be nil.
	AlertsChanged func(ctx context.Context, changed []alert.Alert)
	Metrics       http.Handler // serves GET /metrics (no token, like Prometheus exporters); nil: 404
	Ready         func() error // GET /readyz: 200, or 503 with the error; nil: always ready
	Command       http.Handler // served at POST /api/v1/command behind the token; nil: 404
	Log           *slog.Logger
	MaxBody       int64 // largest request body after gzip decoding; 0: 1 GiB for ingest, 16 MiB otherwise
	Now           func() time.Time
	// Rules are the rules in effect, for alerts' tags, descriptions and
	// runbooks; nil: the built-in ones.
	Rules []*rules.Rule
}

// Default body limits, after gzip decoding, when Options.MaxBody is 0:
// uploads (ingest, intel) may be large, JSON requests are small.
const (
	DefaultMaxUpload = 1 << 30
	DefaultMaxJSON   = 16 << 20
)

// server holds the options with their defaults filled in.
type server struct {
	Options
	tokenSum [sha256.Size]byte
	// tags and rules are the built-in rules' tags (for silences' labels)
	// and the rules themselves (descriptions and runbooks).
	tags  map[string][]string
	rules []*rules.Rule
}

// route is one entry of the API: the one table New registers and the
// OpenAPI test compares with docs/openapi.yaml.
type route struct {
	method, pattern string
	public          bool // served without the token
	handle          func(s *server, w http.ResponseWriter, r *http.Request)
	summary         string
}

// routes are every route the API serves.
var routes = []route{
	{"GET", "/healthz", true, (*server).healthz, "liveness: 200 ok while the process serves"},
	{"GET", "/readyz", true, (*server).readyz, "readiness: 200, or 503 with the reason"},
	{"GET", "/metrics", true, (*server).metrics, "Prometheus metrics"},
	{"POST", "/api/v1/ingest", false, (*server).ingest, "ingest raw log lines or NDJSON, gzip allowed"},
	{"POST", "/api/v1/intel", false, (*server).intel, "upload a threat-intel feed file and retro-hunt it"},
	{"GET", "/api/v1/alerts", false, (*server).alertsList, "list alerts, the most recently seen first"},
	{"GET", "/api/v1/alerts/{id}", false, (*server).alertShow, "show one alert whole"},
	{"POST", "/api/v1/alerts/{id}/ack", false, moveHandler(alert.StatusAcknowledged), "acknowledge an alert"},
	{"POST", "/api/v1/alerts/{id}/resolve", false, moveHandler(alert.StatusResolved), "resolve an alert"},
	{"POST", "/api/v1/alerts/{id}/reopen", false, moveHandler(alert.StatusOpen), "reopen an alert"},
	{"GET", "/api/v1/events", false, (*server).events, "list network events, filtered, newest first, by pages"},
	{"POST", "/api/v1/query", false, (*server).query, "run one read-only SQL SELECT"},
	{"GET", "/api/v1/scans", false, (*server).scans, "list stored scans, newest first"},
	{"GET", "/api/v1/scans/{id}", false, (*server).scan, "show a stored scan"},
	{"GET", "/api/v1/silences", false, (*server).silences, "list silences"},
	{"POST", "/api/v1/silences", false, (*server).silenceAdd, "add a silence"},
	{"DELETE", "/api/v1/silences/{id}", false, (*server).silenceExpire, "expire a silence"},
	{"GET", "/api/v1/whois", false, (*server).whois, "who was behind an address at a time"},
	{"POST", "/api/v1/command", false, (*server).command, "run a CLI command in the service (the CLI's client mode)"},
}

// New returns the API's handler.
func New(o Options) http.Handler {
	s := &server{Options: o, tokenSum: sha256.Sum256([]byte(o.Token))}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	rs := o.Rules
	if rs == nil {
		rs, _ = rules.LoadAll(rules.Builtin()) // a broken built-in rule only costs its text here
	}
	s.rules = rs
	s.tags = ruleTags(rs)

	byMethod, byPath := http.NewServeMux(), http.NewServeMux()
	allow := map[string][]string{}
	for _, rt := range routes {
		byMethod.HandleFunc(rt.method+" "+rt.pattern, func(w http.ResponseWriter, r *http.Request) { rt.handle(s, w, r) })
		if allow[rt.pattern] == nil {
			byPath.HandleFunc(rt.pattern, func(http.ResponseWriter, *http.Request) {})
		}
		allow[rt.pattern] = append(allow[rt.pattern], rt.method)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="homesoc"`)
			writeError(w, http.StatusUnauthorized, errors.New("missing or wrong bearer token (Authorization: Bearer TOKEN)"))
			return
		}
		if _, pattern := byMethod.Handler(r); pattern != "" {
			byMethod.ServeHTTP(w, r)
			return
		}
		// The method mux found nothing: a path some route serves with
		// another method is 405, any other 404, both in JSON.
		if _, pattern := byPath.Handler(r); pattern != "" {
			methods := allow[pattern]
			if slices.Contains(methods, "GET") {
				methods = append(slices.Clone(methods), "HEAD")
			}
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(methods, ", ")))
			return
		}
		writeError(w, http.StatusNotFound, fmt.Errorf("no route %s %s", r.Method, r.URL.Path))
	})
}

// authorized reports whether r carries the token. An empty token
// authorizes nothing: the API is never open by mistake.
func (s *server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") || s.Token == "" {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(h[7:]))) // equal lengths: the compare leaks nothing
	return subtle.ConstantTimeCompare(sum[:], s.tokenSum[:]) == 1
}

// ruleTags are the tags of each rule, and those of exposure tickets,
// which no rule file holds, as alerts' labels take them.
func ruleTags(rs []*rules.Rule) map[string][]string {
	tags := map[string][]string{exposure.TicketRule: {"exposure", "ticket"}}
	for _, r := range rs {
		tags[r.ID] = r.Tags
	}
	return tags
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

func (s *server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.Ready != nil {
		if err := s.Ready(); err != nil {
			writeError(w, http.StatusServiceUnavailable, fmt.Errorf("not ready: %w", err))
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ready\n")
}

func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		writeError(w, http.StatusNotFound, errors.New("metrics are not served"))
		return
	}
	s.Metrics.ServeHTTP(w, r)
}

func (s *server) command(w http.ResponseWriter, r *http.Request) {
	if s.Command == nil {
		writeError(w, http.StatusNotFound, errors.New("commands are not served"))
		return
	}
	s.Command.ServeHTTP(w, r)
}

// apiError is the body of every error reply.
type apiError struct {
	Error string `json:"error"`
}

// writeError replies with status and {"error": err}.
func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, apiError{Error: err.Error()})
}

// writeJSON replies with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode reply: `+strings.ReplaceAll(err.Error(), `"`, `'`)+`"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// fail replies to a failure of the store or another part of the
// service: 500, logged, as the client can do nothing about it.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client left
	}
	s.Log.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, err)
}

// badRequest is an error the client made: 400.
type badRequest struct{ error }

func (e badRequest) Unwrap() error { return e.error }

// bad returns a 400 error naming what was wrong.
func bad(format string, a ...any) error { return badRequest{fmt.Errorf(format, a...)} }

// reply writes v, or the reply err calls for: 400 for a badRequest, the
// status of a body's error (bodyStatus), 404
// for store.ErrNotFound, 500 for anything else.
func (s *server) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	switch {
	case err == nil:
		writeJSON(w, status, v)
	case bodyStatus(err) != 0:
		writeError(w, bodyStatus(err), err)
	case errors.As(err, new(badRequest)):
		writeError(w, http.StatusBadRequest, err)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err)
	default:
		s.fail(w, r, err)
	}
}
