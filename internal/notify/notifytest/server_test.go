package notifytest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

func TestServerScript(t *testing.T) {
	srv := NewServer(t, Step{Status: 202, Body: `{"status":"success"}`},
		Step{Refuse: true}, Step{Status: 500, Body: "boom"}, Step{Status: 429, RetryAfter: "7"})
	var got []string
	for i := range 5 {
		resp, err := http.Post(srv.URL+"/v2/enqueue?x=1", "application/json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
		if err != nil {
			got = append(got, "error")
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got = append(got, fmt.Sprintf("%d %s %s", resp.StatusCode, resp.Header.Get("Retry-After"), b))
	}
	want := []string{"error", "500  boom", "429 7 ", `202  {"status":"success"}`, `202  {"status":"success"}`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("answers %q, want %q", got, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests recorded, want 5", len(reqs))
	}
	for i, q := range reqs {
		if q.Method != "POST" || q.Path != "/v2/enqueue?x=1" || string(q.Body) != fmt.Sprintf(`{"n":%d}`, i) ||
			q.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d: %s %s %q %q", i, q.Method, q.Path, q.Body, q.Header)
		}
	}
	if reqs[0].Status != 0 || reqs[1].Status != 500 || reqs[4].Status != 202 {
		t.Errorf("statuses %d %d %d, want 0 500 202", reqs[0].Status, reqs[1].Status, reqs[4].Status)
	}
	srv.Reset()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests after Reset", n)
	}
}

func TestRefusedURL(t *testing.T) {
	_, err := http.Post(RefusedURL(t), "application/json", strings.NewReader("{}"))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("post to RefusedURL: %v, want connection refused", err)
	}
}

func TestSecretsAbsent(t *testing.T) {
	// A leaky value: SecretsAbsent must see the secret in each of these.
	for _, v := range []any{
		errors.New("post https://hooks.example.org/T1/tok123: refused"),
		fmt.Errorf("wrapped: %w", errors.New("tok123")),
		struct{ url string }{"https://x/tok123"},
		map[string]string{"key": "tok123"},
	} {
		if !leaks(v, "tok123") {
			t.Errorf("%#v: leak not seen", v)
		}
	}
	if leaks(errors.New("slack soc/slack/0: post: connection refused"), "tok123") {
		t.Error("a clean error reported as a leak")
	}
}

// leaks runs SecretsAbsent on a recorder and reports whether it failed.
func leaks(v any, secret string) bool {
	r := &recorder{}
	SecretsAbsent(r, v, secret)
	return r.failed
}

type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
