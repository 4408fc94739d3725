package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

const zeekConn = `{"_path":"conn","ts":1775491529.0,"uid":"C%d","id.orig_h":"192.168.1.23","id.orig_p":%d,"id.resp_h":"198.51.100.77","id.resp_p":443,"proto":"tcp","conn_state":"SF"}` + "\n"

// TestIngest: raw lines and gzip NDJSON are stored and counted, a
// repeat counts as duplicates, a bad line is rejected and kept with the
// sender's name.
func TestIngest(t *testing.T) {
	e := newEnv(t, nil)
	body := netfilterLines(20, 0, func(i int) int { return i }) + "garbage line\n\n"
	var st ingestReply
	r := e.do("POST", "/api/v1/ingest?format=netfilter", strings.NewReader(body), "Content-Type", "text/plain")
	r.json(t, &st)
	if r.status != 200 || st.Format != "netfilter" || st.Read != 22 || st.Stored != 20 || st.Rejected != 1 || st.Skipped != 1 ||
		st.Tables["network_events"].Stored != 20 || len(st.FirstRejects) != 1 || st.FirstRejects[0].Source != "http://127.0.0.1" || st.Error != "" {
		t.Fatalf("ingest: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/ingest?format=netfilter&source=router-1", strings.NewReader(body))
	r.json(t, &st)
	if r.status != 200 || st.Stored != 0 || st.Duplicates != 20 || st.FirstRejects[0].Source != "router-1" {
		t.Errorf("again: %d %s", r.status, r.body)
	}
	var nd bytes.Buffer
	for i := range 50 {
		fmt.Fprintf(&nd, zeekConn, i, 50000+i)
	}
	r = e.do("POST", "/api/v1/ingest", bytes.NewReader(gz(t, nd.Bytes())), "Content-Encoding", "gzip", "Content-Type", "application/x-ndjson")
	r.json(t, &st)
	if r.status != 200 || st.Format != "zeek-conn" || st.Stored != 50 || st.Read != 50 {
		t.Errorf("gzip ndjson: %d %s", r.status, r.body)
	}
	// An empty body, plain or gzip, reads nothing.
	for _, enc := range []string{"", "gzip"} {
		r = e.do("POST", "/api/v1/ingest?format=netfilter", bytes.NewReader(nil), "Content-Encoding", enc)
		r.json(t, &st)
		if r.status != 200 || st.Read != 0 {
			t.Errorf("empty %q: %d %s", enc, r.status, r.body)
		}
	}
	c, _ := e.st.Counts(context.Background())
	if c["network_events"] != 70 || c["rejects"] != 2 {
		t.Errorf("counts: %v", c)
	}
}

// TestIngestRefused: a bad format names the known ones, an undetectable
// input names the parameter, and other encodings are 415; nothing is
// stored.
func TestIngestRefused(t *testing.T) {
	e := newEnv(t, nil)
	body := netfilterLines(3, 0, func(i int) int { return i })
	before := e.counts()
	r := e.do("POST", "/api/v1/ingest?format=syslogish", strings.NewReader(body))
	if r.status != 400 || !strings.HasPrefix(r.errText(t), `format: unknown format "syslogish" (one of: `) || !strings.Contains(r.errText(t), "netfilter") {
		t.Errorf("bad format: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/ingest?format=auto", strings.NewReader("hello\nworld\n"))
	if r.status != 400 || !strings.Contains(r.errText(t), "cannot detect format") || !strings.Contains(r.errText(t), "pass format=") {
		t.Errorf("undetectable: %d %s", r.status, r.body)
	}
	for _, enc := range []string{"br", "deflate"} {
		r = e.do("POST", "/api/v1/ingest?format=netfilter", strings.NewReader(body), "Content-Encoding", enc)
		if r.status != 415 || r.errText(t) != fmt.Sprintf("Content-Encoding %q: only gzip is accepted", enc) {
			t.Errorf("%s: %d %s", enc, r.status, r.body)
		}
	}
	r = e.do("POST", "/api/v1/ingest?format=netfilter", strings.NewReader(body), "Content-Encoding", "gzip")
	if r.status != 400 || !strings.HasPrefix(r.errText(t), "gzip: ") {
		t.Errorf("not gzip: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/ingest?source=a%00b", strings.NewReader(body)); r.status != 400 {
		t.Errorf("control source: %d %s", r.status, r.body)
	}
	if after := e.counts(); after != before {
		t.Errorf("store changed:\n%s\n%s", before, after)
	}
}

// TestIngestTooLarge: a body past MaxBody, plain or gzip, is 413; the
// whole lines within the limit are stored and reported, the line the
// limit cut is neither stored nor rejected.
func TestIngestTooLarge(t *testing.T) {
	lines := netfilterLines(100, 0, func(i int) int { return i % 60 })
	lineLen := strings.IndexByte(lines, '\n') + 1
	for _, zip := range []bool{false, true} {
		limit := int64(10*lineLen + lineLen/2) // 10 lines and a half
		e := newEnv(t, func(o *Options) { o.MaxBody = limit })
		b, hdr := []byte(lines), []string{}
		if zip {
			b, hdr = gz(t, b), []string{"Content-Encoding", "gzip"}
		}
		var st ingestReply
		r := e.do("POST", "/api/v1/ingest?format=netfilter", bytes.NewReader(b), hdr...)
		r.json(t, &st)
		if r.status != 413 || st.Stored != 10 || st.Read != 10 || st.Rejected != 0 ||
			st.Error != fmt.Sprintf("request body larger than %d bytes (after gzip decoding): send it in smaller parts", limit) {
			t.Errorf("gzip %v: %d %s", zip, r.status, r.body)
		}
		c, _ := e.st.Counts(context.Background())
		if c["network_events"] != 10 || c["rejects"] != 0 {
			t.Errorf("gzip %v: counts %v", zip, c)
		}
	}
}

// TestGzipBomb: 64 MiB of lines in a small gzip stop at a 1 MiB limit,
// at once, with what was stored.
func TestGzipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	line := []byte(netfilterLines(1, 7, func(int) int { return 0 }))
	chunk := bytes.Repeat(line, (1<<20)/len(line))
	for range 64 {
		zw.Write(chunk)
	}
	zw.Close()
	e := newEnv(t, func(o *Options) { o.MaxBody = 1 << 20 })
	start := time.Now()
	var st ingestReply
	r := e.do("POST", "/api/v1/ingest?format=netfilter", bytes.NewReader(buf.Bytes()), "Content-Encoding", "gzip")
	r.json(t, &st)
	if r.status != 413 || st.Stored != 1 || st.Duplicates != int64(1<<20/len(line))-1 || !strings.Contains(st.Error, "larger than 1048576 bytes") {
		t.Errorf("bomb (%d bytes gzip): %d %.300s", buf.Len(), r.status, r.body)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("bomb took %s", d)
	}
}

// TestLineLimitLongLine: a line longer than lineLimit's buffer passes
// through whole within the limit.
func TestLineLimitLongLine(t *testing.T) {
	long := strings.Repeat("x", 3<<20) + "\nshort\n"
	l := &lineLimit{r: strings.NewReader(long), left: 8 << 20, limit: 8 << 20, buf: make([]byte, 0, lineBuf)}
	var out bytes.Buffer
	if _, err := out.ReadFrom(l); err != nil || out.String() != long {
		t.Fatalf("%d bytes, %v", out.Len(), err)
	}
}
