//go:build unix

package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWaitForLockedDataDir runs a second homesoc on a data directory that an
// ingest holds: it waits --wait for it, then says which process holds it and
// what to do; when the holder finishes within --wait, it goes ahead.
func TestWaitForLockedDataDir(t *testing.T) {
	dir := t.TempDir()
	data, fifo := filepath.Join(dir, "data"), filepath.Join(dir, "fw.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// The holder is this test binary as the homesoc command (testscript puts
	// it on PATH). It opens the store, then blocks opening the FIFO until
	// the test opens it for writing: from then on it holds the store.
	holder := exec.Command("homesoc", "--data", data, "ingest", "--format", "netfilter", fifo)
	var holderOut bytes.Buffer
	holder.Stdout, holder.Stderr = &holderOut, &holderOut
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- holder.Wait() }()
	t.Cleanup(func() { holder.Process.Kill() })
	opened := make(chan *os.File, 1)
	go func() {
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			opened <- w
		}
	}()
	var w *os.File
	select {
	case w = <-opened:
	case err := <-exited:
		t.Fatalf("holder exited before reading its input: %v\n%s", err, &holderOut)
	case <-time.After(time.Minute):
		t.Fatal("holder never opened its input")
	}

	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Main(context.Background(), []string{"--data", data, "--wait", "300ms", "alerts", "list"}, nil, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d with the store held, want 1; stderr:\n%s", code, &stderr)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("gave up after %s, before --wait 300ms", waited)
	}
	msg := stderr.String()
	for _, want := range []string{
		"data directory " + data + " is in use by process " + fmt.Sprint(holder.Process.Pid),
		"ingest --format netfilter " + fifo, // its command line
		"gave up after waiting 300ms (--wait)",
		"let that one finish, or stop it",
		"ClickHouse",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}

	// Interrupted while it waits, a command stops at once with exit 130.
	stderr.Reset()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	start = time.Now()
	code = Main(ctx, []string{"--data", data, "--wait", "1m", "alerts", "list"}, nil, &stdout, &stderr)
	cancel()
	if code != 130 || time.Since(start) > 30*time.Second || !strings.Contains(stderr.String(), "context deadline exceeded") {
		t.Errorf("interrupted while waiting: exit %d after %s, want 130 at once; stderr:\n%s", code, time.Since(start), &stderr)
	}

	// A second command waiting long enough gets the store once the holder is done.
	done := make(chan int, 1)
	stdout.Reset()
	stderr.Reset()
	go func() {
		done <- Main(context.Background(), []string{"--data", data, "--wait", "1m", "rejects"}, nil, &stdout, &stderr)
	}()
	time.Sleep(200 * time.Millisecond)
	fmt.Fprintln(w, "2020-04-06T16:05:29 router kernel: DROP IN=ppp0 OUT= MAC= SRC=180.188.12.34 DST=203.0.113.7 LEN=40 PROTO=TCP SPT=1 DPT=23")
	fmt.Fprintln(w, "junk")
	w.Close()
	if err := <-exited; err != nil {
		t.Fatalf("holder: %v\n%s", err, &holderOut)
	}
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(stdout.String(), "fw.fifo:2: netfilter:") {
			t.Fatalf("exit %d after the holder finished; stdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
		}
	case <-time.After(time.Minute):
		t.Fatal("still waiting a minute after the holder finished")
	}
}
