package cli

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeIoCContactToNotification is issue 12's "done when": serve runs,
// its feed schedule fetches an indicator (and a user loads another), a
// router's syslog line contacts each, and an alert and its notification
// follow within seconds.
func TestServeIoCContactToNotification(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "# a C2 list\n203.0.113.66\n")
	}))
	defer feed.Close()
	data := t.TempDir()
	jsonl := filepath.Join(data, "out.jsonl")
	cfg := fmt.Sprintf(`route:
  receiver: soc
  group_by: ['...']
  group_wait: 0s
receivers:
  - name: soc
    jsonl_configs:
      - path: %s
feeds:
  - name: c2
    url: %s/c2.txt
    format: csv
`, jsonl, feed.URL)
	if err := os.WriteFile(filepath.Join(data, "homesoc.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	si := startServe(t, data, "--syslog-udp", "127.0.0.1:0", "--syslog-tcp", "127.0.0.1:0")
	var tcpAddr string
	for _, a := range si.Syslog {
		if strings.HasPrefix(a, "tcp://") {
			tcpAddr = strings.TrimPrefix(a, "tcp://")
		}
	}
	if tcpAddr == "" {
		t.Fatalf("no TCP syslog listener in the server file: %v", si.Syslog)
	}

	// The feed is fetched at the start; a user loads another indicator
	// (the command runs inside the server).
	file := filepath.Join(t.TempDir(), "c2.txt")
	if err := os.WriteFile(file, []byte("# test feed\n198.51.100.77\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := runMain(t, "--data", data, "--wait", "100ms", "intel", "load", "--feed", "csv", file); code != 0 {
		t.Fatalf("intel load inside serve: exit %d\n%s", code, out)
	}
	contact(t, tcpAddr, jsonl, "198.51.100.77")
	contact(t, tcpAddr, jsonl, "203.0.113.66")

	resp, err := http.Get(si.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^homesoc_events_received_total\{format="netfilter",source="syslog\+tcp"\} [1-9]`),
		regexp.MustCompile(`(?m)^homesoc_records_stored_total\{table="network_events"\} [1-9]`),
		regexp.MustCompile(`(?m)^homesoc_sightings_total [1-9]`),
		regexp.MustCompile(`(?m)^homesoc_syslog_messages_total\{listener="tcp://127\.0\.0\.1:\d+"\} [1-9]`),
		regexp.MustCompile(`(?m)^homesoc_syslog_dropped_total\{listener="udp://127\.0\.0\.1:\d+"\} 0`),
		regexp.MustCompile(`(?m)^homesoc_notifications\{state="delivered"\} [1-9]`),
		regexp.MustCompile(`(?m)^homesoc_notifications\{state="dead"\} 0`),
		regexp.MustCompile(`(?m)^homesoc_rule_duration_seconds_count\{rule="ioc-contact"\} [1-9]`),
		regexp.MustCompile(`(?m)^homesoc_matcher_indicators 2$`),
		regexp.MustCompile(`(?m)^homesoc_feed_indicators\{feed="c2"\} 1$`),
		regexp.MustCompile(`(?m)^homesoc_feed_age_seconds\{feed="c2"\} `),
		regexp.MustCompile(`(?m)^homesoc_job_runs_total\{job="detect-sightings"\} [1-9]`),
	} {
		if !want.Match(metrics) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", metrics)
	}

	out, code := runMain(t, "--data", data, "--wait", "100ms", "alerts", "list")
	if code != 0 || strings.Count(out.stdout, "ioc-contact") != 2 || !strings.Contains(out.stdout, "indicator=198.51.100.77") {
		t.Errorf("alerts list inside serve: exit %d\n%s", code, out)
	}
}

// contact sends a router's line from 192.168.1.23 to ioc, as rsyslog
// forwards it over TCP, until a notification for ioc appears (the matcher
// may be the one before the indicator for a moment).
func contact(t *testing.T, addr, jsonl, ioc string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sent := time.Now()
	for i := 0; time.Since(sent) < 20*time.Second; i++ {
		line := fmt.Sprintf("<4>1 %s router kernel - - - DROP IN=br0 OUT=ppp0 MAC= SRC=192.168.1.23 DST=%s LEN=60 TTL=63 ID=%d PROTO=TCP SPT=40000 DPT=443 SYN URGP=0\n",
			time.Now().UTC().Format(time.RFC3339), ioc, i)
		if _, err := conn.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
		if got := waitForLine(jsonl, ioc, 2*time.Second); got != "" {
			t.Logf("%s: syslog line to notification: %v", ioc, time.Since(sent).Round(time.Millisecond))
			if !strings.Contains(got, "192.168.1.23") {
				t.Errorf("notification lacks the host:\n%s", got)
			}
			return
		}
	}
	t.Fatalf("no notification for %s within 20s", ioc)
}

// waitForLine returns the first line of file that holds s, waiting up to d.
func waitForLine(file, s string, d time.Duration) string {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), s) {
				f.Close()
				return sc.Text()
			}
		}
		f.Close()
	}
	return ""
}
