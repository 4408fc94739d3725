package notify_test

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

func TestPostJSONTransportErrorHidesURL(t *testing.T) {
	target := notifytest.RefusedURL(t) + "/services/T1/B1/tok-secret"
	_, err := notify.PostJSON(context.Background(), notifytest.Options(), "slack soc/slack/0", target, nil, []byte("{}"))
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.HasPrefix(err.Error(), "slack soc/slack/0: post: dial tcp 127.0.0.1:") || !strings.HasSuffix(err.Error(), "connect: connection refused") {
		t.Errorf("error %q", err)
	}
	notifytest.SecretsAbsent(t, err, "tok-secret", "/services/")
	if p, after := notify.Classify(err); p || after != 0 {
		t.Errorf("Classify = %v, %v; want retried", p, after)
	}
}

func TestPostJSONHeaders(t *testing.T) {
	srv := notifytest.NewServer(t, notifytest.Step{Status: 200, Body: "ok"})
	h := http.Header{"Content-Type": {"text/plain"}, "User-Agent": {"curl"}, "X-Extra": {"1"}}
	answer, err := notify.PostJSON(context.Background(), notifytest.Options(), "x", srv.URL, h, []byte(`{"a":1}`))
	if err != nil || string(answer) != "ok" {
		t.Fatalf("PostJSON = %q, %v", answer, err)
	}
	q := srv.Requests()[0]
	if q.Header.Get("Content-Type") != "application/json" || q.Header.Get("User-Agent") != "homesoc/test" ||
		q.Header.Get("X-Extra") != "1" || len(q.Header.Values("Content-Type")) != 1 {
		t.Errorf("headers %q", q.Header)
	}
}

func TestIdentityDetails(t *testing.T) {
	tk, ct := notifytest.Ticket(), notifytest.Contact()
	for _, tc := range []struct {
		a    notify.Alert
		want map[string]string
	}{
		{tk, map[string]string{"user": "anna", "host": "203.0.113.7", "device": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
			"hostname": "NAS-ANNA", "status": "resolved", "address": "192.168.1.10"}},
		{ct, map[string]string{"user": "kimura", "host": "172.16.1.10", "status": "resolved", "address": "172.16.1.10"}},
		{notify.Alert{Labels: map[string]string{}}, map[string]string{}},
	} {
		if got := tc.a.IdentityDetails(); !maps.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.a.ID, got, tc.want)
		}
	}
}

func TestStateLine(t *testing.T) {
	a := notifytest.Contact()
	if got := a.StateLine(); got != "open, new" {
		t.Errorf("new: %q", got)
	}
	a.State, a.Change = alert.StatusAcknowledged, notify.ChangeAcknowledged
	a.Last = &alert.Transition{State: alert.StatusAcknowledged, Author: "anna", At: time.Date(2026, 11, 28, 2, 9, 0, 0, time.UTC), Comment: "on it"}
	if got, want := a.StateLine(), "acknowledged (acknowledged by anna at 2026-11-28T02:09:00Z: on it)"; got != want {
		t.Errorf("acknowledged: %q, want %q", got, want)
	}
	a.Change, a.Last.Comment = notify.ChangeNone, ""
	if got, want := a.StateLine(), "acknowledged (acknowledged by anna at 2026-11-28T02:09:00Z)"; got != want {
		t.Errorf("repeat: %q, want %q", got, want)
	}
}

func TestURLSecrets(t *testing.T) {
	got := notify.URLSecrets("https://u:pw-1@hooks.example.org/services/T1/tok?k=v")
	want := []string{"https://u:pw-1@hooks.example.org/services/T1/tok?k=v", "/services/T1/tok?k=v", "/services/T1/tok", "pw-1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("URLSecrets = %q, want %q", got, want)
	}
	if got := notify.URLSecrets("http://127.0.0.1:9093/"); len(got) != 1 {
		t.Errorf("URLSecrets of a URL without a path = %q, want the URL alone", got)
	}
}

func TestPostJSONRedactsAnswer(t *testing.T) {
	srv := notifytest.NewServer(t, notifytest.Step{Status: 400, Echo: true})
	_, err := notify.PostJSON(context.Background(), notifytest.Options(), "x", srv.URL+"/hook/tok-9", nil, []byte(`{"key":"k-123"}`),
		append(notify.URLSecrets(srv.URL+"/hook/tok-9"), "k-123")...)
	if want := `x: HTTP 400: "<secret> gzip 15 application/json homesoc/test {\"key\":\"<secret>\"}"`; err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
}
