package notifytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
)

// Version is the homesoc version Options gives receivers under test: their
// User-Agent must be "homesoc/test".
const Version = "test"

// Now is the clock Options gives receivers under test: a minute after T0.
var Now = T0.Add(time.Minute)

// Options are the notify.Options of a receiver under test: the version
// "test" and a clock stopped at Now.
func Options() notify.Options {
	return notify.Options{Version: Version, Now: func() time.Time { return Now }}
}

// Case is what Conformance needs of one HTTP receiver.
type Case struct {
	// Kind is the receiver's kind ("pagerduty"): the integration under
	// test is "soc/KIND/0".
	Kind string
	// New builds the receiver, posting to base+Path (base is a test
	// server's URL, or one where connections are refused), with o.
	New func(t *testing.T, base string, o notify.Options) (notify.Receiver, error)
	// Path is appended to the server's URL, e.g. a webhook's secret token
	// path "/services/T000/B000/token".
	Path string
	// OK is the real API's answer to a good request (PagerDuty: 202 and a
	// JSON status).
	OK Step
	// Secrets must appear in no error and no printed form of the receiver:
	// routing keys, URL tokens, HMAC secrets, header values.
	Secrets []string
	// Check checks the requests one sample made: delivery id, dedup keys,
	// signatures, headers.
	Check func(t *testing.T, name string, n *notify.Notification, reqs []Request)
	// Dir holds the golden files, NAME.golden for each of Samples; default
	// "testdata".
	Dir string
	// Update rewrites the golden files (the test's -update flag).
	Update bool
}

// Conformance runs what every HTTP receiver must pass: the exact bodies of
// the samples (golden files), retries on 500 and on a refused or dropped
// connection, Retry-After honoured, a 400 permanent, User-Agent set, and
// no secret in any error or printed form of the receiver.
func Conformance(t *testing.T, c Case) {
	t.Helper()
	integration := "soc/" + c.Kind + "/0"
	dir := c.Dir
	if dir == "" {
		dir = "testdata"
	}
	newReceiver := func(t *testing.T, base string) notify.Receiver {
		t.Helper()
		r, err := c.New(t, base, Options())
		if err != nil {
			t.Fatalf("new %s receiver: %v", c.Kind, err)
		}
		SecretsAbsent(t, r, c.Secrets...)
		return r
	}

	for name, n := range Samples(integration) {
		t.Run("golden/"+name, func(t *testing.T) {
			srv := NewServer(t, c.OK)
			r := newReceiver(t, srv.URL+c.Path)
			if err := r.Send(context.Background(), n); err != nil {
				t.Fatalf("send %s: %v", name, err)
			}
			reqs := srv.Requests()
			if len(reqs) == 0 {
				t.Fatalf("send %s: no request", name)
			}
			for i, q := range reqs {
				if got := q.Header.Get("User-Agent"); got != "homesoc/"+Version {
					t.Errorf("request %d: User-Agent %q, want %q", i, got, "homesoc/"+Version)
				}
				if got := q.Header.Get("Content-Type"); got != "application/json" {
					t.Errorf("request %d: Content-Type %q, want application/json", i, got)
				}
				if q.Method != "POST" {
					t.Errorf("request %d: method %s, want POST", i, q.Method)
				}
			}
			Golden(t, filepath.Join(dir, name+".golden"), Bodies(t, reqs), c.Update)
			if c.Check != nil {
				c.Check(t, name, n, reqs)
			}
		})
	}

	failures := []struct {
		name      string
		script    []Step
		permanent bool
		after     time.Duration
		status    int
		partial   bool // a first request succeeds: only a receiver that sends more fails
	}{
		{"500 is retried", Times(10, Step{Status: 500, Body: "internal error"}), false, 0, 500, false},
		{"503 with Retry-After is retried after it", Times(10, Step{Status: 503, RetryAfter: "7", Body: "busy"}), false, 7 * time.Second, 503, false},
		{"429 with Retry-After is retried after it", Times(10, Step{Status: 429, RetryAfter: "7", Body: "rate limited"}), false, 7 * time.Second, 429, false},
		{"400 is permanent", Times(10, Step{Status: 400, Body: `{"status":"invalid event","message":"Event object is invalid"}`}), true, 0, 400, false},
		{"400 quoting the request is permanent", Times(10, Step{Status: 400, Body: "bad request: ", Echo: true}), true, 0, 400, false},
		{"dropped connection is retried", Times(10, Step{Refuse: true}), false, 0, 0, false},
		{"500 after a success is retried", append([]Step{c.OK}, Times(10, Step{Status: 500})...), false, 0, 500, true},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			srv := NewServer(t, c.OK, f.script...)
			r := newReceiver(t, srv.URL+c.Path)
			n := Notification(integration)
			err := r.Send(context.Background(), n)
			if err == nil && f.partial && len(srv.Requests()) == 1 {
				return // one request per message: the success was all it needed
			}
			if err == nil {
				t.Fatalf("send: no error, want one (requests: %d)", len(srv.Requests()))
			}
			permanent, after := notify.Classify(err)
			if permanent != f.permanent || after != f.after {
				t.Errorf("Classify(%v) = %v, %v; want %v, %v", err, permanent, after, f.permanent, f.after)
			}
			var se *notify.SendError
			if f.status != 0 && (!errors.As(err, &se) || se.Status != f.status) {
				t.Errorf("error %v: want a SendError with status %d", err, f.status)
			}
			if !strings.Contains(err.Error(), integration) {
				t.Errorf("error %q does not name the integration %q", err, integration)
			}
			SecretsAbsent(t, err, c.Secrets...)
		})
	}

	t.Run("refused connection is retried", func(t *testing.T) {
		r := newReceiver(t, RefusedURL(t)+c.Path)
		err := r.Send(context.Background(), Notification(integration))
		if err == nil {
			t.Fatal("send to a refused port: no error")
		}
		if permanent, after := notify.Classify(err); permanent || after != 0 {
			t.Errorf("Classify(%v) = %v, %v; want false, 0", err, permanent, after)
		}
		if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), integration) {
			t.Errorf("error %q: want the integration %q and \"connection refused\"", err, integration)
		}
		SecretsAbsent(t, err, c.Secrets...)
	})

	t.Run("cancelled context", func(t *testing.T) {
		srv := NewServer(t, c.OK)
		r := newReceiver(t, srv.URL+c.Path)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := r.Send(ctx, Notification(integration))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("send with a cancelled context: %v, want context.Canceled", err)
		}
		SecretsAbsent(t, err, c.Secrets...)
	})
}

// SecretsAbsent fails t if any of secrets shows in v printed every way a
// log or an error message might print it (%v, %+v, %#v, %s, and for an
// error each error of its chain). Empty secrets are ignored.
func SecretsAbsent(t testing.TB, v any, secrets ...string) {
	t.Helper()
	forms := []string{fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprintf("%s", v)}
	if b, err := json.Marshal(v); err == nil {
		forms = append(forms, string(b))
	}
	if err, ok := v.(error); ok {
		for e := err; e != nil; e = errors.Unwrap(e) {
			forms = append(forms, e.Error(), fmt.Sprintf("%#v", e))
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, f := range forms {
			if strings.Contains(f, s) {
				t.Errorf("secret %q shows in %q", s, f)
				break
			}
		}
	}
}

// Bodies lays out requests for a golden file: for each, its method and
// path, then its body (JSON indented, anything else as it is).
func Bodies(t testing.TB, reqs []Request) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, q := range reqs {
		fmt.Fprintf(&b, "%s %s\n", q.Method, q.Path)
		var out bytes.Buffer
		if err := json.Indent(&out, q.Body, "", "  "); err != nil {
			t.Errorf("%s %s: body is not JSON: %v", q.Method, q.Path, err)
			b.Write(q.Body)
		} else {
			b.Write(out.Bytes())
		}
		b.WriteString("\n\n")
	}
	return b.Bytes()
}

// Golden compares got with the file at path, or writes it when update is
// set (the test's -update flag).
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		line := func(ls []string) string {
			if i < len(ls) {
				return ls[i]
			}
			return "<end>"
		}
		t.Errorf("%s differs from line %d:\n got: %s\nwant: %s\n(run with -update if the change is meant)", path, i+1, line(gl), line(wl))
	}
}

// JSONBodies decodes every request's body into a fresh T, for a Check.
func JSONBodies[T any](t testing.TB, reqs []Request) []T {
	t.Helper()
	out := make([]T, 0, len(reqs))
	for i, q := range reqs {
		var v T
		if err := json.Unmarshal(q.Body, &v); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		out = append(out, v)
	}
	return out
}
