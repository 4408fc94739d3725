package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLinesUnique checks that a run's lines differ from each other and
// from another run's in the same second.
func TestLinesUnique(t *testing.T) {
	now := time.Now()
	seen := map[string]bool{}
	for _, g := range []*gen{newGen(0), newGen(0)} {
		var line []byte
		for range 200_000 {
			line = g.appendLine(line[:0], now, true)
			if seen[string(line)] {
				t.Fatalf("line twice: %s", line)
			}
			seen[string(line)] = true
		}
	}
	var line []byte
	line = newGen(70_000).appendLine(line, now, true)
	if !strings.HasPrefix(string(line), "<4>"+now.UTC().Format("2006-01-02T15:04:05Z")+" router kernel: DROP IN=ppp0 OUT= MAC= SRC=45.1.17.112 DST=203.0.113.7 ") ||
		!strings.Contains(string(line), " ID=4464 PROTO=TCP SPT=1024 DPT=22 ") {
		t.Errorf("line 70000: %s", line)
	}
}

// TestTCPRate sends 3,000 lines at 20,000/s over loopback TCP: every line
// arrives, newline framed or octet counted, in about 0.15 s.
func TestTCPRate(t *testing.T) {
	for _, mode := range []string{"tcp", "tcp-octet"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				got <- err.Error()
				return
			}
			b, _ := io.ReadAll(conn)
			got <- string(b)
		}()
		res, err := run(t.Context(), options{mode: mode, addr: ln.Addr().String(), rate: 20_000, n: 3000})
		ln.Close()
		if err != nil {
			t.Fatal(err)
		}
		b := <-got
		if mode == "tcp" && strings.Count(b, "\n") != 3000 || mode == "tcp-octet" && strings.Count(b, " <4>") != 3000 {
			t.Errorf("%s: received %d bytes, not 3000 lines: %.200q", mode, len(b), b)
		}
		if res.Sent != 3000 || res.ElapsedS < 0.12 || res.ElapsedS > 2 {
			t.Errorf("%s: sent %d in %.3f s, want 3000 in about 0.15 s", mode, res.Sent, res.ElapsedS)
		}
	}
}

// TestNotLoopback refuses other addresses before sending anything.
func TestNotLoopback(t *testing.T) {
	for _, o := range []options{
		{mode: "tcp", addr: "192.0.2.1:514", n: 1},
		{mode: "udp", addr: "localhost:514", n: 1},
		{mode: "http", url: "http://198.51.100.1:8478", n: 1},
		{addr: "10.0.0.1:514", ioc: "198.51.100.77", notifications: "x"},
	} {
		if _, err := run(t.Context(), o); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%+v: %v, want a loopback-only error", o, err)
		}
	}
}

// TestHTTPPush posts 25,000 lines in gzip'd batches of 10,000 with the
// token and format, and sums the replies; a 404 is errNoEndpoint.
func TestHTTPPush(t *testing.T) {
	var lines, requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing/api/v1/ingest" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/ingest" || r.URL.Query().Get("format") != "netfilter" ||
			r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Encoding") != "gzip" {
			http.Error(w, "bad request "+r.URL.String(), http.StatusBadRequest)
			return
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := 0
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			if !strings.Contains(sc.Text(), " router kernel: DROP ") || strings.HasPrefix(sc.Text(), "<") {
				http.Error(w, "bad line "+sc.Text(), http.StatusBadRequest)
				return
			}
			n++
		}
		lines.Add(int64(n))
		requests.Add(1)
		fmt.Fprintf(w, `{"read": %d, "stored": %d, "rejected": 0, "format": "netfilter"}`, n, n)
	}))
	defer srv.Close()

	res, err := run(t.Context(), options{mode: "http", url: srv.URL, token: "tok", format: "netfilter", batch: 10_000, workers: 2, n: 25_000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 25_000 || lines.Load() != 25_000 || requests.Load() != 3 || res.Requests != 3 ||
		res.Replies["read"] != 25_000 || res.Replies["stored"] != 25_000 {
		t.Errorf("sent %d, server got %d lines in %d requests; result %+v", res.Sent, lines.Load(), requests.Load(), res)
	}
	if _, err := run(t.Context(), options{mode: "http", url: srv.URL + "/missing", token: "tok", batch: 10, n: 10}); err != errNoEndpoint {
		t.Errorf("a 404: %v, want errNoEndpoint", err)
	}
}

// TestIoCLatency runs IoC samples against a stand-in for serve that
// writes each sample's source to the notifications file 50 ms after its
// line arrived: every sample is seen, at about 50 ms.
func TestIoCLatency(t *testing.T) {
	notes := filepath.Join(t.TempDir(), "notifications.jsonl")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		f, err := os.OpenFile(notes, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(conn)
		for sc.Scan() {
			src := strings.Fields(sc.Text()[strings.Index(sc.Text(), "SRC=")+4:])[0]
			time.Sleep(50 * time.Millisecond)
			// 192.168.1.2 must not be taken for 192.168.1.23.
			fmt.Fprintf(f, `{"alerts":[{"labels":{"host":"%s","indicator":"198.51.100.77"}}]}`+"\n", src)
		}
	})
	res, err := run(t.Context(), options{addr: ln.Addr().String(), ioc: "198.51.100.77", samples: 30, every: 20 * time.Millisecond,
		notifications: notes, wait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Seen != 30 || len(res.Missing) != 0 || res.P50ms < 45 || res.P50ms > 1000 || res.MaxMs < res.P99ms || res.P99ms < res.P50ms {
		t.Errorf("result %+v, want 30 seen at about 50 ms", res)
	}
	if got := internalAddrs([]byte(`"192.168.1.2",".192.168.1.3" 1192.168.1.4 192.168.1.23.`)); fmt.Sprint(got) != "[192.168.1.2 192.168.1.23]" {
		t.Errorf("internalAddrs: %v", got)
	}
}
