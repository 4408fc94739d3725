package sender_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// openStore is a fresh in-memory DuckDB store.
func openStore(t testing.TB) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// note is a notification of message msg for integration, due now, its
// deadline an hour away.
func note(msg, integration string) notify.Notification {
	now := time.Now()
	return notify.Notification{
		ID: notify.NotificationID(msg, integration), Integration: integration, Receiver: strings.Split(integration, "/")[0],
		GroupKey: "g", AlertIDs: []string{"alert-" + msg}, Message: notify.Message{ID: msg, Alerts: []notify.Alert{}},
		NextAttempt: now, Deadline: now.Add(time.Hour),
	}
}

// enqueue stores ns in the outbox, in order.
func enqueue(t testing.TB, s store.NotifyStore, ns ...notify.Notification) {
	t.Helper()
	if added, err := s.Enqueue(context.Background(), ns); err != nil || added != len(ns) {
		t.Fatalf("Enqueue: %d, %v", added, err)
	}
}

// byMessage is the outbox by message id.
func byMessage(t *testing.T, s store.NotifyStore) map[string]notify.Notification {
	t.Helper()
	all, err := s.Notifications(context.Background(), store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]notify.Notification{}
	for _, n := range all {
		out[n.Message.ID] = n
	}
	return out
}

// answer is one scripted HTTP answer of a test server.
type answer struct {
	status     int
	retryAfter string
	body       string
}

// server is a receiver's far end on 127.0.0.1: it answers the scripted
// answers in turn (then 200s) and records the message id of every request.
type server struct {
	mu      sync.Mutex
	answers []answer
	got     []string
	srv     *httptest.Server
}

func newServer(t *testing.T, answers ...answer) *server {
	s := &server{answers: answers}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, string(b))
		a := answer{status: http.StatusOK}
		if len(s.answers) > 0 {
			a, s.answers = s.answers[0], s.answers[1:]
		}
		s.mu.Unlock()
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// received are the message ids the server was sent, in order.
func (s *server) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.got...)
}

// receiver is a notify.Receiver posting the message id to the server, the
// URL's path a secret, as Slack's webhooks have.
func (s *server) receiver(integration string) notify.Receiver {
	return receiverFunc(func(ctx context.Context, n *notify.Notification) error {
		url := s.srv.URL + "/services/T000/SECRET-TOKEN"
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(n.Message.ID))
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return notify.HTTPError(fmt.Sprintf("webhook %s", integration), resp, body, time.Now())
	})
}

// receiverFunc is a function as a notify.Receiver.
type receiverFunc func(ctx context.Context, n *notify.Notification) error

func (f receiverFunc) Send(ctx context.Context, n *notify.Notification) error { return f(ctx, n) }
