// Command fakereceiver is a loopback stand-in for the services homesoc
// notifies, for the notification benchmarks (bench/notify.sh): it answers
// like PagerDuty's Events API v2 on /v2/enqueue (202 with the event's
// dedup_key; 400 for an event without routing_key, event_action or
// dedup_key) and like a Slack incoming webhook on /slack/... ("ok"),
// optionally rate-limited per path (429 with Retry-After beyond the limit),
// and writes every request as one JSON line to -out. GET /stats returns the
// counts so far as JSON.
//
// It listens on loopback only and prints its base URL on stdout (and to
// -addr-file when given).
//
//	fakereceiver -addr 127.0.0.1:0 -out requests.jsonl -addr-file url -pagerduty-rate 2 -slack-rate 1
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	out := flag.String("out", "", "append every request as a JSON line to this file")
	addrFile := flag.String("addr-file", "", "write the base URL to this file once listening")
	pdRate := flag.Float64("pagerduty-rate", 0, "PagerDuty events accepted per second (0: no limit); beyond it 429 with Retry-After")
	pdBurst := flag.Int("pagerduty-burst", 1, "PagerDuty events accepted at once after a quiet time")
	slackRate := flag.Float64("slack-rate", 0, "Slack messages accepted per second (0: no limit)")
	slackBurst := flag.Int("slack-burst", 1, "Slack messages accepted at once after a quiet time")
	flag.Parse()
	if err := run(*addr, *out, *addrFile, limit(*pdRate, *pdBurst), limit(*slackRate, *slackBurst)); err != nil {
		log.Fatalf("fakereceiver: %v", err)
	}
}

// limit is a token bucket of perSecond, nil for none.
func limit(perSecond float64, burst int) *rate.Limiter {
	if perSecond <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
}

func run(addr, out, addrFile string, pd, slack *rate.Limiter) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %q: listen on a loopback address only", addr)
	}
	srv := newServer(pd, slack)
	if out != "" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		srv.out = f
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	fmt.Println(url)
	if addrFile != "" {
		if err := os.WriteFile(addrFile, []byte(url+"\n"), 0o644); err != nil {
			return err
		}
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	b, _ := json.Marshal(srv.snapshot())
	fmt.Fprintf(os.Stderr, "fakereceiver: %s\n", b)
	return nil
}

// server answers the fake APIs and counts what it was sent.
type server struct {
	pd, slack *rate.Limiter
	start     time.Time

	mu    sync.Mutex
	out   io.Writer
	stats stats
}

// stats are the counts GET /stats returns, by service ("pagerduty",
// "slack", "other").
type stats struct {
	Requests map[string]int `json:"requests"`
	Accepted map[string]int `json:"accepted"`
	Limited  map[string]int `json:"limited"`  // answered 429
	Rejected map[string]int `json:"rejected"` // answered 400 or 404
	// FirstAccepted and LastAccepted are the seconds since start of the
	// first and last accepted request of each service.
	FirstAccepted map[string]float64 `json:"first_accepted_s"`
	LastAccepted  map[string]float64 `json:"last_accepted_s"`
}

func newServer(pd, slack *rate.Limiter) *server {
	return &server{pd: pd, slack: slack, start: time.Now(), stats: stats{
		Requests: map[string]int{}, Accepted: map[string]int{}, Limited: map[string]int{}, Rejected: map[string]int{},
		FirstAccepted: map[string]float64{}, LastAccepted: map[string]float64{},
	}}
}

// line is one request as -out records it.
type line struct {
	Time    string          `json:"time"`
	Service string          `json:"service"`
	Path    string          `json:"path"`
	Status  int             `json:"status"`
	Body    json.RawMessage `json:"body,omitempty"` // the request's body when it is JSON
	Text    string          `json:"text,omitempty"` // the body when it is not
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/stats" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.snapshot())
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	now := time.Now()
	service, status, answer, retryAfter := s.answer(r, body, now)
	s.record(now, service, r.URL.Path, status, body)
	if retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
	}
	if strings.HasPrefix(answer, "{") {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain")
	}
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

// answer is what the real service would answer: status, body, and the
// Retry-After seconds of a 429.
func (s *server) answer(r *http.Request, body []byte, now time.Time) (service string, status int, answer string, retryAfter int) {
	var lim *rate.Limiter
	switch {
	case r.URL.Path == "/v2/enqueue":
		service, lim = "pagerduty", s.pd
	case r.URL.Path == "/slack" || strings.HasPrefix(r.URL.Path, "/slack/"):
		service, lim = "slack", s.slack
	default:
		return "other", http.StatusNotFound, "no such endpoint\n", 0
	}
	if r.Method != http.MethodPost {
		return service, http.StatusMethodNotAllowed, "POST only\n", 0
	}
	if lim != nil {
		if res := lim.ReserveN(now, 1); res.DelayFrom(now) > 0 {
			d := res.DelayFrom(now)
			res.CancelAt(now)
			if service == "pagerduty" {
				answer = `{"status":"throttle event","message":"Requests for this service are arriving too quickly. Please retry later."}`
			} else {
				answer = "rate_limited"
			}
			return service, http.StatusTooManyRequests, answer, int(math.Ceil(d.Seconds()))
		}
	}
	if service == "slack" {
		if !json.Valid(body) {
			return service, http.StatusBadRequest, "invalid_payload", 0
		}
		return service, http.StatusOK, "ok", 0
	}
	var ev struct {
		RoutingKey  string `json:"routing_key"`
		EventAction string `json:"event_action"`
		DedupKey    string `json:"dedup_key"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.RoutingKey == "" || ev.EventAction == "" || ev.DedupKey == "" {
		return service, http.StatusBadRequest, `{"status":"invalid event","message":"Event object is invalid","errors":["routing_key, event_action and dedup_key are required"]}`, 0
	}
	dk, _ := json.Marshal(ev.DedupKey)
	return service, http.StatusAccepted, `{"status":"success","message":"Event processed","dedup_key":` + string(dk) + `}`, 0
}

// record counts a request and writes its line.
func (s *server) record(now time.Time, service, path string, status int, body []byte) {
	l := line{Time: now.UTC().Format(time.RFC3339Nano), Service: service, Path: path, Status: status}
	if json.Valid(body) {
		l.Body = body
	} else {
		l.Text = string(body)
	}
	b, _ := json.Marshal(l)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.stats
	st.Requests[service]++
	switch {
	case status == http.StatusTooManyRequests:
		st.Limited[service]++
	case status < 300:
		st.Accepted[service]++
		at := now.Sub(s.start).Seconds()
		if _, ok := st.FirstAccepted[service]; !ok {
			st.FirstAccepted[service] = at
		}
		st.LastAccepted[service] = at
	default:
		st.Rejected[service]++
	}
	if s.out != nil {
		if _, err := s.out.Write(append(b, '\n')); err != nil {
			log.Printf("fakereceiver: write: %v", err)
		}
	}
}

// snapshot copies the counts.
func (s *server) snapshot() stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := func(m map[string]int) map[string]int {
		o := make(map[string]int, len(m))
		for k, v := range m {
			o[k] = v
		}
		return o
	}
	f := func(m map[string]float64) map[string]float64 {
		o := make(map[string]float64, len(m))
		for k, v := range m {
			o[k] = v
		}
		return o
	}
	st := s.stats
	return stats{Requests: c(st.Requests), Accepted: c(st.Accepted), Limited: c(st.Limited), Rejected: c(st.Rejected),
		FirstAccepted: f(st.FirstAccepted), LastAccepted: f(st.LastAccepted)}
}
