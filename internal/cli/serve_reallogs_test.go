package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// TestServeRealLogsOverSyslog sends every line of the real firewall logs
// as a syslog relay would (one sender, many devices, "<PRI>" before lines
// that lack one) to serve's TCP listener: each file's lines are stored,
// skipped and rejected as "homesoc ingest" of the file does, so none is
// rejected but the truncated ones the folders' READMEs name.
func TestServeRealLogsOverSyslog(t *testing.T) {
	const real = "../../../shared/real-logs"
	if _, err := os.Stat(real); errors.Is(err, os.ErrNotExist) {
		t.Skip("no " + real)
	}
	var files []string
	for _, dir := range []string{"cisco-asa", "fortigate", "pfsense-filterlog", "netfilter"} {
		fs, _ := filepath.Glob(filepath.Join(real, dir, "*.log"))
		files = append(files, fs...)
	}
	if len(files) < 8 {
		t.Fatalf("found only %d real logs: %v", len(files), files)
	}
	files = append(files, "../parse/testdata/yamaha-rtx.log") // no real Yamaha RTX log is published: ours
	data := t.TempDir()
	si := startServe(t, data, "--syslog-tcp", "127.0.0.1:0")
	conn, err := net.Dial("tcp", strings.TrimPrefix(si.Syslog[0], "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var read, rejected, skipped float64
	for _, f := range files {
		want := fileIngest(t, f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var msgs bytes.Buffer
		n := 0
		for _, l := range bytes.Split(b, []byte("\n")) {
			if len(bytes.TrimSpace(l)) == 0 || l[0] >= '0' && l[0] <= '9' && strings.Contains(f, "yamaha") {
				continue // blank, or a Yamaha "show log" console line, which no router sends
			}
			if l[0] != '<' {
				msgs.WriteString("<134>")
			}
			msgs.Write(bytes.TrimRight(l, "\r"))
			msgs.WriteByte('\n')
			n++
		}
		if _, err := conn.Write(msgs.Bytes()); err != nil {
			t.Fatal(err)
		}
		read += float64(n)
		got := waitMetrics(t, si.URL, read)
		gotRejected, gotSkipped := got["homesoc_events_rejected_total"]-rejected, got["homesoc_events_skipped_total"]-skipped
		rejected, skipped = got["homesoc_events_rejected_total"], got["homesoc_events_skipped_total"]
		t.Logf("%s: %d lines; file ingest skipped %d and rejected %d, over syslog %v and %v",
			filepath.Base(f), n, want.Skipped, want.Rejected, gotSkipped, gotRejected)
		if gotRejected != float64(want.Rejected) || gotSkipped != float64(want.Skipped) {
			t.Errorf("%s over syslog: %v skipped, %v rejected; ingest of the file: %d and %d",
				filepath.Base(f), gotSkipped, gotRejected, want.Skipped, want.Rejected)
		}
	}
}

// fileIngest is what "homesoc ingest FILE" makes of f.
func fileIngest(t *testing.T, f string) pipeline.Stats {
	t.Helper()
	st, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fi, _ := r.Stat()
	s, err := pipeline.Run(context.Background(), st, pipeline.Source{Name: f, R: r, ModTime: fi.ModTime()}, pipeline.Config{Format: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var sample = regexp.MustCompile(`^(homesoc_events_(?:received|rejected|skipped)_total)\{[^}]*\} (\S+)$`)

// waitMetrics waits until serve has read n records, and returns the sums
// of its events_* counters.
func waitMetrics(t *testing.T, url string, n float64) map[string]float64 {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sums := map[string]float64{}
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			if m := sample.FindStringSubmatch(sc.Text()); m != nil {
				v, _ := strconv.ParseFloat(m[2], 64)
				sums[m[1]] += v
			}
		}
		if sums["homesoc_events_received_total"] >= n {
			return sums
		}
		if time.Now().After(end) {
			t.Fatal(fmt.Sprintf("serve read %v of %v records within 20s", sums["homesoc_events_received_total"], n))
		}
	}
}
