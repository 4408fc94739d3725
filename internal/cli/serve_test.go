package cli

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startServe runs homesoc serve on data (API on a free loopback port, no
// syslog) until the test ends, and waits for its server file.
func startServe(t *testing.T, data string, args ...string) *serverInfo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs strings.Builder
	done := make(chan int, 1)
	exited := false
	go func() {
		done <- Main(ctx, append([]string{"--data", data, "serve", "--http", "127.0.0.1:0", "--syslog-udp", "", "--syslog-tcp", ""}, args...),
			strings.NewReader(""), &out, &errs)
	}()
	t.Cleanup(func() {
		cancel()
		if exited {
			return
		}
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d:\n%s", code, errs.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30s of its signal")
		}
		if _, err := os.Stat(filepath.Join(data, serverFileName)); !os.IsNotExist(err) {
			t.Errorf("server file left behind: %v", err)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if si := runningServer(data); si != nil && si.answers() {
			return si
		}
		select {
		case code := <-done:
			exited = true
			t.Fatalf("serve exited %d before it served:\n%s", code, errs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no server file within 20s:\n%s", errs.String())
	return nil
}

// TestCommandsRunInsideServe checks that while serve holds the data
// directory, the command line's commands run inside it with the output
// they have without it.
func TestCommandsRunInsideServe(t *testing.T) {
	data := t.TempDir()
	if out, code := runMain(t, "--data", data, "demo"); code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, out)
	}
	logFile := filepath.Join(t.TempDir(), "fw.log")
	line := "2026-11-28T10:00:01 router kernel: DROP IN=ppp0 OUT= MAC= SRC=198.51.100.77 DST=203.0.113.7 LEN=60 TTL=49 ID=1 PROTO=TCP SPT=1 DPT=22\n"
	if err := os.WriteFile(logFile, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	same := [][]string{
		{"alerts", "list"},
		{"--json", "alerts", "list"},
		{"query", "SELECT count(*) AS n FROM network_events"},
		{"--json", "events", "--limit", "3"},
		{"silence", "list"},
		{"rejects"},
		{"query", "SELECT nope"}, // fails the same way
	}
	local := make([]output, len(same))
	codes := make([]int, len(same))
	for i, args := range same {
		local[i], codes[i] = runMain(t, append([]string{"--data", data}, args...)...)
	}

	startServe(t, data)
	for i, args := range same {
		// --wait 100ms: a command that tried to open the held store would fail.
		got, code := runMain(t, append([]string{"--data", data, "--wait", "100ms"}, args...)...)
		if code != codes[i] || got.stdout != local[i].stdout || got.stderr != local[i].stderr {
			t.Errorf("%v inside serve: exit %d\n%s\nwithout serve: exit %d\n%s", args, code, got, codes[i], local[i])
		}
	}

	// A relative path is the client's, and "-" is its standard input.
	t.Chdir(filepath.Dir(logFile))
	got, code := runMain(t, "--data", data, "--wait", "100ms", "ingest", "fw.log")
	if code != 0 || !strings.Contains(got.stdout, "fw.log  netfilter     1       1") {
		t.Errorf("ingest of a relative path inside serve: exit %d\n%s", code, got)
	}
	var stdout, stderr strings.Builder
	code = Main(t.Context(), []string{"--data", data, "--wait", "100ms", "ingest", "--format", "netfilter", "-"},
		strings.NewReader(line), &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "read 1, stored 0, duplicates 1") {
		t.Errorf("ingest - inside serve: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}

	// A wrong token is refused, and nothing runs.
	t.Setenv("HOMESOC_TOKEN", "wrong")
	got, code = runMain(t, "--data", data, "--wait", "100ms", "ingest", "fw.log")
	if code == 0 || !strings.Contains(got.stderr, "401 Unauthorized") {
		t.Errorf("wrong token: exit %d\n%s", code, got)
	}
}

// A server file left by a serve that died (kill -9, power loss) stops
// neither the commands, which run here with a warning, nor the next serve.
func TestStaleServerFile(t *testing.T) {
	data := t.TempDir()
	if out, code := runMain(t, "--data", data, "demo", "--no-exposure"); code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, out)
	}
	// An alive pid (this process) whose API does not answer.
	if err := writeServerFile(data, serverInfo{PID: os.Getpid(), URL: "http://127.0.0.1:1", Store: "duckdb"}); err != nil {
		t.Fatal(err)
	}
	out, code := runMain(t, "--data", data, "alerts", "list")
	if code != 0 || !strings.Contains(out.stderr, "which does not answer: running here") || !strings.Contains(out.stdout, "ioc-contact") {
		t.Errorf("alerts list with a stale server file: exit %d\n%s", code, out)
	}
	si := startServe(t, data)
	if si.URL == "http://127.0.0.1:1" {
		t.Errorf("serve kept the stale server file: %+v", si)
	}
}

// The command endpoint answers this host only: loopback, or the address
// the API listens on (no packet is sent: the requests are built here).
func TestCommandEndpointSameHost(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"127.0.0.1:40000", "127.0.0.1:8478", true},
		{"[::1]:40000", "[::1]:8478", true},
		{"192.0.2.5:40000", "192.0.2.5:8478", true}, // the API on a LAN address, the client on this host
		{"192.0.2.6:40000", "192.0.2.5:8478", false},
		{"[2001:db8::6]:40000", "[2001:db8::5]:8478", false},
	} {
		r := httptest.NewRequest("POST", "/api/v1/command", nil)
		r.RemoteAddr = c.from
		to, err := net.ResolveTCPAddr("tcp", c.to)
		if err != nil {
			t.Fatal(err)
		}
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, net.Addr(to)))
		if got := sameHost(r); got != c.want {
			t.Errorf("from %s to %s: %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
