package notifytest

import (
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Request is one request the Server received.
type Request struct {
	Method string
	Path   string // the URL path, query included
	Header http.Header
	Body   []byte
	// Status is what the server answered; 0 when it dropped the connection
	// (a Refuse step).
	Status int
}

// Step is one answer of a Server's script.
type Step struct {
	Status     int    // the HTTP status
	Body       string // the answer's body
	RetryAfter string // the Retry-After header, "" for none
	// Refuse drops the connection without an answer (reset at once): to
	// the client, a transport error as a refused connection is. RefusedURL
	// gives a true refusal.
	Refuse bool
	// Echo answers with the request itself (its path, header values and
	// body) after Body, as some servers quote a bad request: a receiver
	// must keep the secrets in it out of its errors.
	Echo bool
}

// Times repeats s n times, for scripts such as "three 500s, then 202".
func Times(n int, s Step) []Step {
	out := make([]Step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// Server is an HTTP server on 127.0.0.1 that records every request and
// answers each from its script in turn; when the script runs out it gives
// its OK answer. Safe for concurrent use.
type Server struct {
	*httptest.Server

	mu     sync.Mutex
	ok     Step
	script []Step
	reqs   []Request
}

// NewServer starts a Server answering ok once script is used up; it closes
// when t ends.
func NewServer(t testing.TB, ok Step, script ...Step) *Server {
	t.Helper()
	s := &Server{ok: ok, script: script}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("notifytest: listen on 127.0.0.1: %v", err)
	}
	s.Server = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(s.serve)}}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// Script replaces what the server answers next.
func (s *Server) Script(steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append([]Step(nil), steps...)
}

// Requests are the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Reset forgets the requests received so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	step := s.ok
	if len(s.script) > 0 {
		step, s.script = s.script[0], s.script[1:]
	}
	req := Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body, Status: step.Status}
	if step.Refuse {
		req.Status = 0
	}
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()

	if step.Refuse {
		drop(w)
		return
	}
	if step.Echo {
		step.Body += echo(r, body)
	}
	if step.RetryAfter != "" {
		w.Header().Set("Retry-After", step.RetryAfter)
	}
	if len(step.Body) > 0 && (step.Body[0] == '{' || step.Body[0] == '[') {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(step.Body)))
	w.WriteHeader(step.Status)
	_, _ = io.WriteString(w, step.Body)
}

// echo is the request's path, its header values (by name) and its body.
func echo(r *http.Request, body []byte) string {
	names := slices.Sorted(maps.Keys(r.Header))
	var b strings.Builder
	b.WriteString(r.URL.RequestURI())
	for _, k := range names {
		b.WriteString(" " + strings.Join(r.Header[k], ","))
	}
	b.WriteString(" ")
	b.Write(body)
	return b.String()
}

// drop closes the request's connection at once, with a reset.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// RefusedURL is an http URL on 127.0.0.1 where nothing listens: a
// connection to it is refused.
func RefusedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("notifytest: listen on 127.0.0.1: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}
