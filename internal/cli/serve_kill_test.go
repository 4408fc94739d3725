//go:build unix

package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestServeKillTail kills homesoc serve with SIGKILL twice while it tails a
// file another goroutine keeps appending to, and restarts it each time:
// at the end the store holds every line written exactly once (checkpoints
// may lag the store, so lines are read again after a kill, and their event
// ids make the re-reads duplicates, not new rows).
func TestServeKillTail(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	logFile := filepath.Join(dir, "fw.log")
	cfg := filepath.Join(dir, "homesoc.yaml")
	if err := os.WriteFile(cfg, []byte("serve:\n  files:\n    - paths: ["+logFile+"]\n      format: netfilter\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	// The writer: 100 lines every 10 ms (~10,000/s), until stopped.
	var written atomic.Int64
	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() {
		var buf []byte
		for seq := 0; ; {
			select {
			case <-stop:
				writerDone <- nil
				return
			case <-time.After(10 * time.Millisecond):
			}
			buf = buf[:0]
			for range 100 {
				buf = append(buf, killLine(seq, 22)...)
				seq++
			}
			if _, err := f.Write(buf); err != nil {
				writerDone <- err
				return
			}
			written.Add(100)
		}
	}()
	stopWriter := func() {
		select {
		case <-stop:
			return
		default:
		}
		close(stop)
		if err := <-writerDone; err != nil {
			t.Fatalf("append to %s: %v", logFile, err)
		}
	}
	defer stopWriter()

	for kill := 1; kill <= 2; kill++ {
		c := startServeChild(t, data, "--config", cfg, "--syslog-tcp", "")
		// Let it store a few batches (its own, since it started), then kill
		// it while the writer is still appending.
		c.waitMetric(t, `homesoc_records_stored_total{table="network_events"}`, 3000)
		before := written.Load()
		c.kill9(t)
		t.Logf("kill %d: %d lines written at the kill", kill, before)
	}

	c := startServeChild(t, data, "--config", cfg, "--syslog-tcp", "")
	c.waitMetric(t, `homesoc_records_stored_total{table="network_events"}`, 1000)
	stopWriter()
	total := written.Load()
	// The commands run inside serve: count until every line is in.
	var n, distinct int64
	c.waitFor(t, fmt.Sprintf("%d events stored", total), func() bool {
		n, distinct = countEvents(t, data, "")
		return n >= total
	})
	time.Sleep(300 * time.Millisecond) // more than a flush interval: a late duplicate would show
	n, distinct = countEvents(t, data, "")
	dups := c.metric(t, `homesoc_records_duplicate_total{table="network_events"}`)
	t.Logf("%d lines written; %d stored, %d distinct event ids; the last run read %d again (duplicates)", total, n, distinct, dups)
	if n != total || distinct != n {
		t.Errorf("after two kills: %d events stored, %d distinct, want each of the %d lines once", n, distinct, total)
	}
}

// TestServeKillTCP sends netfilter lines over syslog TCP, kills serve with
// SIGKILL right after a write (lines still in flight), restarts it and
// sends the rest. Syslog has no acknowledgement, so what was in flight is
// lost; the bound: serve loses nothing it had reported stored in /metrics
// just before the kill, so lost <= sent before the kill - stored at that
// scrape. Nothing is stored twice, and every line sent after the restart
// is stored.
func TestServeKillTCP(t *testing.T) {
	const (
		before = 30_000 // lines before the kill, dst port 22
		after  = 10_000 // lines after the restart, dst port 443
		chunk  = 200    // lines a write, every 10 ms: ~20,000/s
	)
	data := filepath.Join(t.TempDir(), "data")

	c := startServeChild(t, data, "--syslog-tcp", "127.0.0.1:0")
	conn := c.dialTCP(t)
	var storedAtKill int64
	for seq := 0; seq < before; seq += chunk {
		if _, err := io.WriteString(conn, killLines(seq, chunk, 22)); err != nil {
			t.Fatalf("syslog tcp: write: %v", err)
		}
		if seq+chunk >= before {
			storedAtKill = c.metric(t, `homesoc_records_stored_total{table="network_events"}`)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The last write's lines have barely left: kill now.
	c.kill9(t)
	conn.Close()

	c = startServeChild(t, data, "--syslog-tcp", "127.0.0.1:0")
	conn = c.dialTCP(t)
	for seq := before; seq < before+after; seq += chunk {
		if _, err := io.WriteString(conn, killLines(seq, chunk, 443)); err != nil {
			t.Fatalf("syslog tcp after the restart: write: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	conn.Close()
	c.waitMetric(t, `homesoc_records_stored_total{table="network_events"}`, after)
	// The commands run inside serve.
	n, distinct := countEvents(t, data, "")
	kept, _ := countEvents(t, data, "dst_port = 22")
	late, _ := countEvents(t, data, "dst_port = 443")
	lost := before - kept
	t.Logf("sent %d before the kill (serve had reported %d stored just before it), %d after; stored %d + %d: lost %d (%.2f%%), all in flight at the kill",
		before, storedAtKill, after, kept, late, lost, 100*float64(lost)/float64(before))
	if distinct != n {
		t.Errorf("%d events stored, %d distinct event ids: duplicates", n, distinct)
	}
	if late != after {
		t.Errorf("lines sent after the restart: %d stored, want %d", late, after)
	}
	if kept < storedAtKill || kept > before {
		t.Errorf("lines sent before the kill: %d stored, want between %d (reported stored before the kill) and %d (sent)", kept, storedAtKill, before)
	}
}

// killLine is netfilter line seq, unique by its source address and IP id,
// to dport, newline-ended.
func killLine(seq, dport int) string {
	return fmt.Sprintf("2026-11-28T10:00:%02d router kernel: DROP IN=ppp0 OUT= MAC= SRC=45.%d.%d.%d DST=203.0.113.7 LEN=60 TTL=50 ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=1024 SYN URGP=0\n",
		seq/1000%60, seq>>16&255, seq>>8&255, seq&255, seq&0xffff, 1024+seq%60000, dport)
}

// killLines is n lines from seq as syslog messages over TCP: a PRI first
// (a message that starts with a digit is taken for an octet count).
func killLines(seq, n, dport int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("<4>")
		b.WriteString(killLine(seq+i, dport))
	}
	return b.String()
}

// serveChild is homesoc serve run as its own process (testscript put this
// test binary on PATH as homesoc).
type serveChild struct {
	cmd    *exec.Cmd
	si     *serverInfo
	stderr string // its log's file
	exited chan error
}

// startServeChild starts serve on data, the API on a free loopback port and
// UDP syslog off, and waits for its server file.
func startServeChild(t *testing.T, data string, args ...string) *serveChild {
	t.Helper()
	logFile, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command("homesoc", append([]string{"--data", data, "serve", "--http", "127.0.0.1:0", "--syslog-udp", ""}, args...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &serveChild{cmd: cmd, stderr: logFile.Name(), exited: make(chan error, 1)}
	go func() { c.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.exited
		c.exited <- errors.New("already waited")
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if si := runningServer(data); si != nil && si.PID == cmd.Process.Pid {
			c.si = si
			return c
		}
		select {
		case err := <-c.exited:
			c.exited <- err
			t.Fatalf("serve exited before it served: %v\n%s", err, c.log())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no server file within 30s:\n%s", c.log())
	return nil
}

func (c *serveChild) log() string {
	b, _ := os.ReadFile(c.stderr)
	return string(b)
}

// dialTCP connects to its TCP syslog listener.
func (c *serveChild) dialTCP(t *testing.T) net.Conn {
	t.Helper()
	for _, a := range c.si.Syslog {
		if addr, ok := strings.CutPrefix(a, "tcp://"); ok {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			return conn
		}
	}
	t.Fatalf("no TCP syslog listener in the server file: %v", c.si.Syslog)
	return nil
}

// kill9 kills it with SIGKILL and checks it died of it.
func (c *serveChild) kill9(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(c.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-c.exited
	c.exited <- err
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("homesoc serve: %v, want killed by SIGKILL\n%s", err, c.log())
	}
}

// metric is the value of one sample of /metrics, named with its labels
// as the exposition prints it (0 when absent).
func (c *serveChild) metric(t *testing.T, sample string) int64 {
	t.Helper()
	resp, err := http.Get(c.si.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if ok && (name == sample || !strings.Contains(sample, "{") && strings.HasPrefix(name, sample+"{")) {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("/metrics: %s: %v", sc.Text(), err)
			}
			return int64(f)
		}
	}
	return 0
}

// waitMetric waits up to 60 s until sample reaches at least least.
func (c *serveChild) waitMetric(t *testing.T, sample string, least int64) {
	t.Helper()
	c.waitFor(t, fmt.Sprintf("%s >= %d", sample, least), func() bool { return c.metric(t, sample) >= least })
}

// waitMetricAtMost waits up to 60 s until sample is at most most.
func (c *serveChild) waitMetricAtMost(t *testing.T, sample string, most int64) {
	t.Helper()
	c.waitFor(t, fmt.Sprintf("%s <= %d", sample, most), func() bool { return c.metric(t, sample) <= most })
}

func (c *serveChild) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 60 s for %s\n%s", what, c.log())
		}
	}
}

// countEvents counts data's network events (where cond, when given) and
// their distinct event ids (inside serve when it runs).
func countEvents(t *testing.T, data, cond string) (n, distinct int64) {
	t.Helper()
	q := "SELECT count(*), count(DISTINCT event_id) FROM network_events"
	if cond != "" {
		q += " WHERE " + cond
	}
	out, code := runMain(t, "--data", data, "--json", "query", q)
	var res struct {
		Rows [][]int64 `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out.stdout), &res); code != 0 || err != nil || len(res.Rows) != 1 || len(res.Rows[0]) != 2 {
		t.Fatalf("query: exit %d, %v\n%s", code, err, out)
	}
	return res.Rows[0][0], res.Rows[0][1]
}
