//go:build unix

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// What a killServer does with a request.
const (
	killRefuse = iota // reset the connection: the sender cannot know whether it arrived
	killAccept        // record it and answer 2xx
	killBlock         // record it as received, then never answer (until released)
)

// killRequest is one request a killServer received.
type killRequest struct {
	path     string // "/pd" or "/hook"
	delivery string // the webhook's X-Homesoc-Delivery
	event    string // PagerDuty's "DEDUP_KEY ACTION"
	mode     int    // what the server did with it
}

// killServer is the PagerDuty (/pd) and webhook (/hook) far end of the
// kill -9 tests, on 127.0.0.1.
type killServer struct {
	*httptest.Server
	mu      sync.Mutex
	mode    int
	reqs    []killRequest
	release chan struct{} // closed: blocked handlers return
	changed chan struct{} // a request came (buffered, one pending signal)
}

func newKillServer(t *testing.T, mode int) *killServer {
	s := &killServer{mode: mode, release: make(chan struct{}), changed: make(chan struct{}, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() { s.unblock(); s.Close() })
	return s
}

func (s *killServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := killRequest{path: r.URL.Path, delivery: r.Header.Get("X-Homesoc-Delivery")}
	if r.URL.Path == "/pd" {
		var ev struct {
			DedupKey    string `json:"dedup_key"`
			EventAction string `json:"event_action"`
		}
		_ = json.Unmarshal(body, &ev)
		req.event = ev.DedupKey + " " + ev.EventAction
	}
	s.mu.Lock()
	req.mode = s.mode
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	switch req.mode {
	case killRefuse:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	case killBlock:
		select {
		case <-s.release:
		case <-r.Context().Done():
		}
	default:
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"success","message":"Event processed"}`)
	}
}

func (s *killServer) setMode(m int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
}

// unblock releases the blocked handlers (once).
func (s *killServer) unblock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

func (s *killServer) requests() []killRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// waitFor waits until the requests satisfy ok, or fails after 30 s.
func (s *killServer) waitFor(t *testing.T, what string, ok func([]killRequest) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !ok(s.requests()) {
		select {
		case <-s.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waited 30 s for %s; requests: %+v", what, s.requests())
		}
	}
}

// count counts the requests to path in mode.
func count(reqs []killRequest, path string, mode int) int {
	n := 0
	for _, r := range reqs {
		if r.path == path && r.mode == mode {
			n++
		}
	}
	return n
}

// killData is a data directory with the demo's alerts (its notifications
// went to the default JSONL file) and a config routing every alert,
// grouped by rule, to PagerDuty and a webhook on srv. The demo runs once per
// test binary; each test gets a copy.
func killData(t *testing.T, srv *killServer) (data, cfg string) {
	t.Helper()
	killDemoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "homesoc-kill-demo")
		if err != nil {
			killDemoErr = err
			return
		}
		killDemoDir = filepath.Join(dir, "data")
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), []string{"--store", "duckdb", "--data", killDemoDir, "demo", "--no-exposure"}, nil, &stdout, &stderr); code != 0 {
			killDemoErr = errors.New("demo: exit " + stderr.String())
		}
	})
	if killDemoErr != nil {
		t.Fatal(killDemoErr)
	}
	data = filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(data, os.DirFS(killDemoDir)); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(t.TempDir(), "homesoc.yaml")
	yaml := `route:
  receiver: oncall
  group_by: [rule]
  group_wait: 0s
receivers:
  - name: oncall
    pagerduty_configs:
      - routing_key: kill-test-key
        url: ` + srv.URL + `/pd
    webhook_configs:
      - url: ` + srv.URL + `/hook
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return data, cfg
}

var (
	killDemoOnce sync.Once
	killDemoDir  string
	killDemoErr  error
)

// startNotify starts "homesoc alerts notify --wait 60s" as its own process
// (testscript put this test binary on PATH as homesoc).
func startNotify(t *testing.T, data, cfg string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("homesoc", "--store", "duckdb", "--data", data, "--config", cfg, "alerts", "notify", "--wait", "60s")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// kill9 kills cmd with SIGKILL and checks it died of it.
func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("homesoc alerts notify: %v, want killed by SIGKILL", err)
	}
}

// outboxOf is the outbox of data, by Seq.
func outboxOf(t *testing.T, data, cfg string) []struct {
	ID          string   `json:"id"`
	Integration string   `json:"integration"`
	State       string   `json:"state"`
	Attempts    int      `json:"attempts"`
	AlertIDs    []string `json:"alert_ids"`
} {
	t.Helper()
	out, code := runMain(t, "--store", "duckdb", "--data", data, "--config", cfg, "--json", "notify", "list", "--receiver", "oncall")
	var ns []struct {
		ID          string   `json:"id"`
		Integration string   `json:"integration"`
		State       string   `json:"state"`
		Attempts    int      `json:"attempts"`
		AlertIDs    []string `json:"alert_ids"`
	}
	if err := json.Unmarshal([]byte(out.stdout), &ns); code != 0 || err != nil {
		t.Fatalf("notify list: exit %d, %v\n%s", code, err, out)
	}
	return ns
}

// alertIDs are the ids of data's alerts, sorted.
func alertIDs(t *testing.T, data string) []string {
	t.Helper()
	out, code := runMain(t, "--store", "duckdb", "--data", data, "--json", "alerts", "list")
	var as []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out.stdout), &as); code != 0 || err != nil {
		t.Fatalf("alerts list: exit %d, %v\n%s", code, err, out)
	}
	ids := []string{}
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// notifyAgain runs "alerts notify --wait 10s" in this process and checks it
// delivered everything.
func notifyAgain(t *testing.T, data, cfg string) {
	t.Helper()
	out, code := runMain(t, "--store", "duckdb", "--data", data, "--config", cfg, "--json", "alerts", "notify", "--wait", "10s")
	var run notifyRun
	if err := json.Unmarshal([]byte(out.stdout), &run); code != 0 || err != nil || run.Delivery.Pending != 0 || run.Delivery.Dead != 0 {
		t.Fatalf("alerts notify after the kill: exit %d, %v\n%s", code, err, out)
	}
}
