package webhook

import (
	"errors"
	"flag"
	"strconv"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const (
	hmacSecret = "hmac-secret-value-0123456789"
	urlToken   = "/hook/tok-8f7e6d5c4b3a"
	headerVal  = "Bearer header-secret-4242"
)

func newReceiver(t *testing.T, base string, o notify.Options) (notify.Receiver, error) {
	return New(config.WebhookConfig{
		URL: config.SecretURL{Secret: config.Secret(base)}, HMACSecret: hmacSecret,
		Headers: map[string]config.Secret{"Authorization": headerVal, "X-Team": "blue-team"},
	}, "soc/webhook/0", o)
}

func TestConformance(t *testing.T) {
	notifytest.Conformance(t, notifytest.Case{
		Kind: "webhook", New: newReceiver, Path: urlToken, OK: notifytest.Step{Status: 204},
		Secrets: []string{hmacSecret, "tok-8f7e6d5c4b3a", "header-secret-4242"}, Update: *update,
		Check: func(t *testing.T, name string, n *notify.Notification, reqs []notifytest.Request) {
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			q := reqs[0]
			b := notifytest.JSONBodies[Body](t, reqs)[0]
			if q.Header.Get(HeaderDelivery) != n.ID || b.ID != n.ID {
				t.Errorf("delivery header %q, body id %q; want %q", q.Header.Get(HeaderDelivery), b.ID, n.ID)
			}
			ts := strconv.FormatInt(notifytest.Now.Unix(), 10)
			if q.Header.Get(HeaderTimestamp) != ts {
				t.Errorf("timestamp %q, want %q", q.Header.Get(HeaderTimestamp), ts)
			}
			if err := Verify([]byte(hmacSecret), ts, q.Header.Get(HeaderSignature), q.Body, notifytest.Now, DefaultTolerance); err != nil {
				t.Errorf("signature: %v", err)
			}
			if q.Header.Get("Authorization") != headerVal || q.Header.Get("X-Team") != "blue-team" {
				t.Errorf("configured headers: %q", q.Header)
			}
			if b.Version != "1" || b.Integration != "soc/webhook/0" || b.Title != n.Message.Title() || len(b.Alerts) != len(n.Message.Alerts) {
				t.Errorf("body %+v", b)
			}
		},
	})
}

func TestSignKnownAnswer(t *testing.T) {
	// python3: hmac.new(b"hmac-secret-value", b'1795832460.{"version":"1"}', hashlib.sha256).hexdigest()
	got := Sign([]byte("hmac-secret-value"), "1795832460", []byte(`{"version":"1"}`))
	if want := "v1=a7df8d436b95d616541e9e258cbf04639b75e7b6796ae36f2d71a457ce469cf9"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte(hmacSecret)
	body := []byte(`{"version":"1","id":"n-1"}`)
	sent := time.Date(2026, 11, 28, 2, 21, 0, 0, time.UTC)
	ts := strconv.FormatInt(sent.Unix(), 10)
	sig := Sign(secret, ts, body)
	for _, tc := range []struct {
		name     string
		secret   []byte
		ts, sig  string
		body     []byte
		now      time.Time
		want     error
		wantText string
	}{
		{"good", secret, ts, sig, body, sent.Add(time.Minute), nil, ""},
		{"good at the tolerance", secret, ts, sig, body, sent.Add(5 * time.Minute), nil, ""},
		{"wrong secret", []byte("another-secret"), ts, sig, body, sent, ErrSignature, "webhook: signature does not match"},
		{"tampered body", secret, ts, sig, []byte(`{"version":"1","id":"n-2"}`), sent, ErrSignature, "webhook: signature does not match"},
		{"timestamp changed to replay", secret, strconv.FormatInt(sent.Unix()+600, 10), sig, body, sent.Add(10 * time.Minute), ErrSignature, "webhook: signature does not match"},
		{"old timestamp", secret, ts, sig, body, sent.Add(5*time.Minute + time.Second), ErrTimestamp, "webhook: timestamp outside the tolerance: 5m1s old, tolerance 5m0s"},
		{"future timestamp", secret, ts, sig, body, sent.Add(-6 * time.Minute), ErrTimestamp, "webhook: timestamp outside the tolerance: -6m0s old, tolerance 5m0s"},
		{"not a number", secret, "yesterday", sig, body, sent, ErrTimestamp, `webhook: timestamp outside the tolerance: "yesterday" is not unix seconds`},
		{"no scheme", secret, ts, sig[3:], body, sent, ErrSignature, `webhook: signature does not match: no "v1" scheme`},
	} {
		err := Verify(tc.secret, tc.ts, tc.sig, tc.body, tc.now, DefaultTolerance)
		if !errors.Is(err, tc.want) || (err != nil && err.Error() != tc.wantText) {
			t.Errorf("%s: Verify = %v, want %v (%q)", tc.name, err, tc.want, tc.wantText)
		}
	}
}

func TestNoSecretNoSignature(t *testing.T) {
	srv := notifytest.NewServer(t, notifytest.Step{Status: 200})
	r, err := New(config.WebhookConfig{URL: config.SecretURL{Secret: config.Secret(srv.URL)}}, "soc/webhook/0", notifytest.Options())
	if err != nil {
		t.Fatal(err)
	}
	n := notifytest.Notification("soc/webhook/0")
	if err := r.Send(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	q := srv.Requests()[0]
	if _, ok := q.Header[HeaderSignature]; ok || q.Header.Get(HeaderDelivery) != n.ID {
		t.Errorf("headers %q: want a delivery id and no signature", q.Header)
	}
}

func TestNewErrors(t *testing.T) {
	good := config.SecretURL{Secret: "https://hooks.example.org" + urlToken}
	for _, tc := range []struct {
		c    config.WebhookConfig
		want string
	}{
		{config.WebhookConfig{}, "webhook soc/webhook/0: no url"},
		{config.WebhookConfig{URL: config.SecretURL{Secret: "hooks.example.org" + urlToken}}, "webhook soc/webhook/0: url must be an http or https URL"},
		{config.WebhookConfig{URL: good, Headers: map[string]config.Secret{"x-homesoc-signature": headerVal}}, `webhook soc/webhook/0: header "x-homesoc-signature" is homesoc's and cannot be configured`},
		{config.WebhookConfig{URL: good, Headers: map[string]config.Secret{"Bad Name": headerVal}}, `webhook soc/webhook/0: header name "Bad Name" is not a valid HTTP header name`},
		{config.WebhookConfig{URL: good, Headers: map[string]config.Secret{"X-Key": headerVal + "\r\nX-Evil: 1"}}, `webhook soc/webhook/0: header "X-Key": value holds a line break`},
	} {
		_, err := New(tc.c, "soc/webhook/0", notify.Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("New = %v, want %q", err, tc.want)
		}
		notifytest.SecretsAbsent(t, err, "tok-8f7e6d5c4b3a", "header-secret-4242")
	}
}
