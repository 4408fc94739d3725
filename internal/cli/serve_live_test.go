package cli

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeIoCContactToNotification is issue 12's "done when": serve runs,
// a feed brings an indicator, a router's syslog line contacts it, and an
// alert and its notification follow within seconds.
func TestServeIoCContactToNotification(t *testing.T) {
	data := t.TempDir()
	jsonl := filepath.Join(data, "out.jsonl")
	cfg := fmt.Sprintf(`route:
  receiver: soc
  group_by: [rule]
  group_wait: 0s
receivers:
  - name: soc
    jsonl_configs:
      - path: %s
`, jsonl)
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

	// A feed arrives (through the server, as the command line does).
	feed := filepath.Join(t.TempDir(), "c2.txt")
	if err := os.WriteFile(feed, []byte("# test feed\n198.51.100.77\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := runMain(t, "--data", data, "--wait", "100ms", "intel", "load", "--feed", "csv", feed); code != 0 {
		t.Fatalf("intel load inside serve: exit %d\n%s", code, out)
	}

	// The router's line, as rsyslog forwards it over TCP.
	conn, err := net.Dial("tcp", tcpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stamp := time.Now().UTC().Format(time.RFC3339)
	line := fmt.Sprintf("<4>1 %s router kernel - - - DROP IN=br0 OUT=ppp0 MAC= SRC=192.168.1.23 DST=198.51.100.77 LEN=60 TTL=63 ID=7 PROTO=TCP SPT=40000 DPT=443 SYN URGP=0\n", stamp)
	sent := time.Now()
	// The matcher may still be the old one for a moment after intel load:
	// send until the contact is seen (each line is another event).
	deadline := sent.Add(20 * time.Second)
	var got string
	for time.Now().Before(deadline) && got == "" {
		if _, err := conn.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
		got = waitForLine(jsonl, "ioc-contact", 2*time.Second)
	}
	if got == "" {
		t.Fatalf("no ioc-contact notification within 20s of the line")
	}
	t.Logf("syslog line to notification: %v", time.Since(sent).Round(time.Millisecond))
	if !strings.Contains(got, "198.51.100.77") || !strings.Contains(got, "192.168.1.23") {
		t.Errorf("notification lacks the indicator or the host:\n%s", got)
	}
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
		regexp.MustCompile(`(?m)^homesoc_matcher_indicators 1$`),
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
	if code != 0 || !strings.Contains(out.stdout, "ioc-contact") || !strings.Contains(out.stdout, "indicator=198.51.100.77") {
		t.Errorf("alerts list inside serve: exit %d\n%s", code, out)
	}
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
