package chtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestStartSelect(t *testing.T) {
	began := time.Now()
	s := StartServer(t)
	t.Logf("server ready in %v", time.Since(began))
	if !regexp.MustCompile(`^clickhouse://default@127\.0\.0\.1:\d+/default$`).MatchString(s.URL()) {
		t.Errorf("URL() = %q", s.URL())
	}
	got, err := s.Query(t.Context(), "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	if got != "1\n" {
		t.Errorf("SELECT 1 = %q, want %q", got, "1\n")
	}
	if _, err := s.Query(t.Context(), "SELECT nosuchfunction()"); err == nil || !strings.Contains(err.Error(), "Unknown function nosuchfunction") {
		t.Errorf("a bad query's error = %v, want the server's message", err)
	}
	began = time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("server stopped in %v", time.Since(began))
	if _, err := s.Query(t.Context(), "SELECT 1"); err == nil {
		t.Error("server answers after Stop")
	}
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "fake-server")
	// A "server" that complains in its error log and exits, as
	// clickhouse-server does on a bad config.
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'Code: 36. DB::Exception: bad config' >> ch.err.log\nexit 70\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
		err  string // a regexp
	}{
		{"no dir", Options{}, `^start clickhouse-server: no directory$`},
		{"some ports", Options{Dir: dir, TCPPort: 9000}, `give all three ports or none`},
		{"cluster name", Options{Dir: dir, Binary: script, Clusters: map[string][]string{"a-b": {"127.0.0.1:1"}}}, `cluster name "a-b"`},
		{"no shards", Options{Dir: dir, Binary: script, Clusters: map[string][]string{"c": nil}}, `cluster "c" has no shards`},
		{"shard address", Options{Dir: dir, Binary: script, Clusters: map[string][]string{"c": {"localhost"}}}, `cluster "c": address "localhost"`},
		{"macro name", Options{Dir: dir, Binary: script, Macros: map[string]string{"1x": "y"}}, `macro name "1x"`},
		{"missing binary", Options{Dir: dir, Binary: filepath.Join(dir, "nope")}, `nope: no such file`},
		{"server exits", Options{Dir: dir, Binary: script}, `(?s)server exited before /ping answered: exit status 70.*tail of .*ch\.err\.log:\nCode: 36\. DB::Exception: bad config`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(t.Context(), tt.o)
			if err == nil {
				s.Stop()
				t.Fatal("Start succeeded")
			}
			if !regexp.MustCompile(tt.err).MatchString(err.Error()) {
				t.Errorf("error:\n%v\nwant it to match %s", err, tt.err)
			}
		})
	}
}

func TestStartTimeout(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "mute-server")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, err := Start(t.Context(), Options{Dir: dir, Binary: script, StartTimeout: 300 * time.Millisecond, StopTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "/ping: context deadline exceeded") {
		t.Errorf("error = %v, want no answer from /ping", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("Start took %v to give up", d)
	}
}

func TestClusterDistributed(t *testing.T) {
	began := time.Now()
	servers := StartCluster(t, "hs", 2)
	t.Logf("cluster of %d ready in %v", len(servers), time.Since(began))
	ctx := t.Context()
	s1, s2 := servers[0], servers[1]

	began = time.Now()
	for _, q := range []string{
		"CREATE DATABASE chtest ON CLUSTER hs",
		"CREATE TABLE chtest.ev_local ON CLUSTER hs (time DateTime, id String, ver UInt64) ENGINE = ReplacingMergeTree(ver) PARTITION BY toYYYYMM(time) ORDER BY (time, id)",
		"CREATE TABLE chtest.ev ON CLUSTER hs AS chtest.ev_local ENGINE = Distributed(hs, chtest, ev_local, cityHash64(id))",
	} {
		if _, err := s2.Query(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("3 ON CLUSTER queries in %v", time.Since(began))

	const rows = 20
	var values []string
	for i := range rows {
		values = append(values, fmt.Sprintf("('2026-01-01 00:00:00', 'e%d', 1)", i))
	}
	// Synchronously, so that the shards hold the rows when INSERT returns.
	if _, err := query(ctx, s1, "INSERT INTO chtest.ev VALUES "+strings.Join(values, ", "), url.Values{"insert_distributed_sync": {"1"}}); err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, s := range servers {
		n := count(t, s, "SELECT count() FROM chtest.ev_local")
		if n == 0 || n == rows {
			t.Errorf("shard %d holds %d of %d rows; want some, not all", i+1, n, rows)
		}
		total += n
	}
	if total != rows {
		t.Errorf("shards hold %d rows, want %d", total, rows)
	}
	for i, s := range servers {
		if n := count(t, s, "SELECT count(DISTINCT id) FROM chtest.ev FINAL"); n != rows {
			t.Errorf("the Distributed table on shard %d reads %d rows, want %d", i+1, n, rows)
		}
	}
	if _, err := s1.Query(ctx, "DROP DATABASE chtest ON CLUSTER hs"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s2, "SELECT count() FROM system.databases WHERE name = 'chtest'"); n != 0 {
		t.Error("database chtest is still on shard 2 after DROP DATABASE ON CLUSTER")
	}
}

// query runs a statement over HTTP with settings.
func query(ctx context.Context, s *Server, q string, settings url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.HTTPURL()+"/?"+settings.Encode(), strings.NewReader(q))
	if err != nil {
		return "", err
	}
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, body)
	}
	return string(body), nil
}

func count(t *testing.T, s *Server, q string) int {
	t.Helper()
	got, err := s.Query(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if _, err := fmt.Sscan(got, &n); err != nil {
		t.Fatalf("%s: %q: %v", q, got, err)
	}
	return n
}
