package main

import (
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/chtest"
)

// TestRun starts a server as scripts/test does, reads the URL file, and
// stops the server by cancelling run's context, as SIGTERM does.
func TestRun(t *testing.T) {
	if _, err := exec.LookPath(chtest.Binary()); err != nil {
		if os.Getenv("HOMESOC_CLICKHOUSE_SERVER") != "" {
			t.Fatal(err)
		}
		t.Skipf("clickhouse-server not installed (%v): apt-get install clickhouse-server, as ./scripts/test does", err)
	}
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, options{dir: filepath.Join(dir, "server"), urlFile: urlFile}) }()

	var data []byte
	deadline := time.Now().Add(time.Minute)
	for len(data) == 0 {
		select {
		case err := <-done:
			t.Fatalf("run returned before it wrote the URL file: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no URL file after a minute")
		}
		data, _ = os.ReadFile(urlFile)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("URL file holds %q, want one line", data)
	}
	u, err := url.Parse(lines[0])
	if err != nil || u.Scheme != "clickhouse" || u.User.String() != "default" || u.Path != "/default" {
		t.Fatalf("URL %q, want clickhouse://default@127.0.0.1:PORT/default", lines[0])
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		t.Fatalf("the server's native port: %v", err)
	}
	c.Close()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("run did not return a minute after its context was cancelled")
	}
	if c, err := d.DialContext(context.Background(), "tcp", u.Host); err == nil {
		c.Close()
		t.Error("the server still listens after run returned")
	}
}
