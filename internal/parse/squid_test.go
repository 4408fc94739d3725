package parse

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// httpResult is what one line gave: its request, or the text of its skip.
type httpResult struct {
	http event.HTTP
	skip string
}

// parseHTTPLines runs p over lines and returns each line's request or skip;
// any other outcome fails t.
func parseHTTPLines(t *testing.T, p Parser, lines [][]byte) []httpResult {
	t.Helper()
	xp := p.(ExtraParser)
	var out []httpResult
	for i, line := range lines {
		var ev event.Network
		err := p.Parse(line, &ev)
		switch {
		case errors.Is(err, ErrExtraOnly):
			if n := len(xp.Extra().HTTP); n != 1 || xp.Extra().Len() != 1 {
				t.Fatalf("line %d: %d http records, %d in all; want 1", i+1, n, xp.Extra().Len())
			}
			h := xp.Extra().HTTP[0]
			if h.Raw != string(line) {
				t.Errorf("line %d: Raw = %q", i+1, h.Raw)
			}
			if h.ID == (event.ID{}) {
				t.Errorf("line %d: no ID", i+1)
			}
			out = append(out, httpResult{http: h})
		case errors.Is(err, ErrSkip):
			if xp.Extra().Len() != 0 {
				t.Fatalf("line %d: skipped with records", i+1)
			}
			if err == ErrSkip { // a header
				continue
			}
			out = append(out, httpResult{skip: err.Error()})
		default:
			t.Fatalf("line %d %q: err %v", i+1, line, err)
		}
	}
	return out
}

// checkHTTP fails t with every field in which got differs from want; ID and
// Raw are checked by parseHTTPLines.
func checkHTTP(t *testing.T, i int, want, got event.HTTP) {
	t.Helper()
	got.ID, got.Raw = event.ID{}, ""
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for f := range wv.NumField() {
		w, g := wv.Field(f).Interface(), gv.Field(f).Interface()
		name := wv.Type().Field(f).Name
		switch wt := w.(type) {
		case time.Time:
			if gt := g.(time.Time); !wt.Equal(gt) || gt.Location() != time.UTC {
				t.Errorf("record %d %s: want %v, got %v", i, name, wt, gt)
			}
		case float64:
			if math.Abs(wt-g.(float64)) > 1e-9 {
				t.Errorf("record %d %s: want %v, got %v", i, name, wt, g)
			}
		default:
			if !reflect.DeepEqual(w, g) {
				t.Errorf("record %d %s: want %#v, got %#v", i, name, w, g)
			}
		}
	}
}

func TestSquid(t *testing.T) {
	const s = "squid"
	want := []httpResult{
		{http: event.HTTP{Time: utc(2024, 5, 1, 10, 0, 0), DurationS: 0.245, SrcIP: addr("192.168.1.23"),
			DstIP: addr("93.184.216.34"), DstPort: 80, Method: "GET", URL: "http://example.com/index.html",
			Host: "example.com", Status: 200, BytesIn: 5120, ContentType: "text/html", Action: "TCP_MISS", Format: s}},
		{http: event.HTTP{Time: utc(2024, 5, 1, 10, 0, 1), DurationS: 1.034, SrcIP: addr("192.168.1.23"),
			DstIP: addr("203.0.113.7"), DstPort: 443, User: "alice", Method: "CONNECT", URL: "www.example.org:443",
			Host: "www.example.org", Status: 200, BytesIn: 8811, Action: "TCP_TUNNEL", Format: s}},
		{http: event.HTTP{Time: utc(2024, 5, 1, 10, 0, 2), SrcIP: addr("10.0.0.5"),
			DstIP: addr("198.51.100.9"), DstPort: 8443, Method: "CONNECT", URL: "198.51.100.9:8443",
			Host: "198.51.100.9", Status: 403, BytesIn: 3868, ContentType: "text/html", Action: "TCP_DENIED", Format: s}},
		{http: event.HTTP{Time: utc(2024, 5, 1, 10, 0, 3), DurationS: 0.012, SrcIP: addr("2001:db8::5"),
			DstIP: addr("2001:db8::80"), DstPort: 443, User: "bob", Method: "GET", URL: "https://[2001:db8::80]/a?b=c",
			Host: "2001:db8::80", Status: 200, BytesIn: 1024, ContentType: "image/png", UserAgent: "Mozilla/5.0 (X11)",
			Referrer: "https://ref.example/", Action: "TCP_HIT", Format: s}},
		// Through a parent proxy: the peer is not the server.
		{http: event.HTTP{Time: utc(2024, 5, 1, 10, 0, 4), DurationS: 0.031, SrcIP: addr("10.0.0.6"),
			DstPort: 8080, Method: "GET", URL: "http://cdn.example.net:8080/lib.js", Host: "cdn.example.net",
			Status: 304, BytesIn: 210, ContentType: "application/javascript", Action: "TCP_MISS", Format: s}},
		{skip: `squid transaction without a request (error:transaction-end-before-headers): nothing to store`},
		{http: event.HTTP{Time: utc(2024, 5, 1, 10, 0, 6), DurationS: 0.08, SrcIP: addr("192.168.1.24"),
			DstIP: addr("192.0.2.44"), DstPort: 80, User: "carol", Method: "POST", URL: "http://api.example.com/v1/x",
			Host: "api.example.com", Status: 200, BytesIn: 300, ContentType: "application/json", Action: "TCP_MISS",
			Sensor: "proxy1", Format: s}},
		{http: event.HTTP{Time: utc(2024, 5, 1, 10, 0, 7), SrcIP: addr("192.168.1.25"), DstPort: 80, User: "dave",
			Method: "GET", URL: "http://example.com/x.gif", Host: "example.com", Status: 200, BytesIn: 43,
			UserAgent: "curl/8.5.0", Action: "TCP_MISS", Format: s}},
		{http: event.HTTP{Time: utc(2024, 5, 1, 10, 0, 8), SrcIP: addr("192.168.1.26"), DstPort: 443,
			Method: "CONNECT", URL: "example.com:443", Host: "example.com", Status: 200, Format: s}},
		{http: event.HTTP{Time: utc(2024, 5, 1, 10, 0, 9), DurationS: 0.005, SrcIP: addr("192.168.1.27"),
			DstIP: addr("93.184.216.34"), DstPort: 80, Method: "GET", URL: "http://example.com/missing",
			Host: "example.com", Status: 404, BytesIn: 120, ContentType: "text/plain", Action: "TCP_MISS",
			Sensor: "proxy2", Format: s}},
	}
	got := parseHTTPLines(t, newSquidParser(Options{ModTime: utc(2024, 5, 2, 0, 0, 0)}), readLines(t, "squid/access.log"))
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(got), len(want), got)
	}
	ids := map[event.ID]bool{}
	for i := range want {
		if got[i].skip != want[i].skip {
			t.Errorf("record %d: skip %q, want %q", i, got[i].skip, want[i].skip)
			continue
		}
		if want[i].skip == "" {
			checkHTTP(t, i, want[i].http, got[i].http)
			if ids[got[i].http.ID] {
				t.Errorf("record %d: duplicate ID", i)
			}
			ids[got[i].http.ID] = true
		}
	}
}

// TestSquidZone: a stamp without a zone is read in Options.Location.
func TestSquidZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip(err)
	}
	p := newSquidParser(Options{Location: tokyo})
	got := parseHTTPLines(t, p, [][]byte{[]byte(`192.168.1.26 - - [05/01/2024 10:00:08] "CONNECT example.com:443 HTTP/1.1" 200 -`)})
	if want := utc(2024, 5, 1, 1, 0, 8); len(got) != 1 || !got[0].http.Time.Equal(want) {
		t.Fatalf("got %+v, want time %v", got, want)
	}
}

func TestSquidReject(t *testing.T) {
	tests := []struct{ line, want string }{
		{"1714557600.123 245 192.168.1.23 TCP_MISS/200 5120 GET http://example.com/", "squid native line has fewer than 10 fields"},
		{"1714557600.123 x 192.168.1.23 TCP_MISS/200 5120 GET http://e/ - HIER_DIRECT/1.2.3.4 -", `bad squid elapsed "x"`},
		{"1714557600.123 1 host.lan TCP_MISS/200 5120 GET http://e/ - HIER_DIRECT/1.2.3.4 -", `bad squid client address "host.lan"`},
		{"1714557600.123 1 10.0.0.1 TCP_MISS 5120 GET http://e/ - HIER_DIRECT/1.2.3.4 -", `bad squid result code "TCP_MISS"`},
		{"1714557600.123 1 10.0.0.1 TCP_MISS/2000 5120 GET http://e/ - HIER_DIRECT/1.2.3.4 -", `bad squid status "2000"`},
		{"1714557600.123 1 10.0.0.1 TCP_MISS/200 -1 GET http://e/ - HIER_DIRECT/1.2.3.4 -", `bad squid bytes "-1"`},
		{"1714557600.123 1 10.0.0.1 TCP_MISS/200 1 GET http://e/ - HIER_DIRECT -", `bad squid hierarchy "HIER_DIRECT"`},
		{"May  1 10:00:06 proxy1 sshd[1]: Accepted", "syslog line without a squid tag"},
		{"<14>1 2024-05-01T10:00:09Z proxy2 sshd 1 - - hi", "syslog line without a squid tag"},
		{"<14>1 2024-05-01T10:00:09Z proxy2 squid 1 - [x", "bad RFC 5424 structured data"},
		{"hello world", `not a squid line: "hello" is neither a squid record nor a syslog stamp`},
		{`10.0.0.1 - - [32/May/2024:12:00:07 +0200] "GET / HTTP/1.1" 200 1`, `bad squid date "32/May/2024:12:00:07 +0200"`},
		{`10.0.0.1 - - "GET / HTTP/1.1" 200 1`, "squid common line without a [date]"},
	}
	for _, tt := range tests {
		p := newSquidParser(Options{})
		var ev event.Network
		err := p.Parse([]byte(tt.line), &ev)
		if err == nil || errors.Is(err, ErrSkip) || errors.Is(err, ErrExtraOnly) || err.Error() != tt.want {
			t.Errorf("%q: err %v, want %q", tt.line, err, tt.want)
		}
		if p.Extra().Len() != 0 {
			t.Errorf("%q: records with a reject", tt.line)
		}
	}
}

func TestSquidSniff(t *testing.T) {
	for i, line := range readLines(t, "squid/access.log") {
		want := i < 7 || i == 9 // the common-format lines are claimed by no sniff
		if got := sniffSquid(line); got != want {
			t.Errorf("line %d: sniffSquid = %v, want %v", i+1, got, want)
		}
	}
	f, err := Detect(readLines(t, "squid/access.log"))
	if err != nil || f.Name != "squid" {
		t.Fatalf("Detect = %q, %v", f.Name, err)
	}
}

// TestSquidRealLogs reads the real samples: no line is rejected.
func TestSquidRealLogs(t *testing.T) {
	realHTTPLogs(t, "squid", func() Parser { return newSquidParser(Options{}) })
}

// realHTTPLogs runs a parser over every sample of a real-logs folder and
// logs the read/stored/skipped/rejected table; a rejected line fails t.
func realHTTPLogs(t *testing.T, folder string, newParser func() Parser) {
	files, _ := filepathGlob(realLogs + "/" + folder + "/*.log")
	if len(files) == 0 {
		t.Skip("no real logs at " + realLogs)
	}
	for _, file := range files {
		p := newParser()
		var read, stored, skipped, rejected int
		reasons := map[string]int{}
		for _, line := range readFileLines(t, file) {
			read++
			var ev event.Network
			err := p.Parse(line, &ev)
			switch {
			case errors.Is(err, ErrExtraOnly):
				stored += len(p.(ExtraParser).Extra().HTTP)
			case errors.Is(err, ErrSkip):
				skipped++
				reasons[quoted.ReplaceAllString(err.Error(), `"…"`)]++
			default:
				rejected++
				t.Errorf("%s: rejected %q: %v", file, line, err)
			}
		}
		t.Logf("%-45s read %3d stored %3d skipped %3d rejected %d %v", file[strings.LastIndexByte(file, '/')+1:], read, stored, skipped, rejected, fmt.Sprint(reasons))
	}
}

func filepathGlob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

// readFileLines returns the lines of a file outside testdata.
func readFileLines(t *testing.T, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.Split(b, []byte("\n"))
}

// BenchmarkSquid parses native access.log lines, the shape Squid writes by
// default: a CONNECT, a GET with a server address, a denial, a parent hit.
func BenchmarkSquid(b *testing.B) {
	lines := readLines(b, "squid/access.log")[:5]
	p := newSquidParser(Options{})
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	var ev event.Network
	for _, l := range lines {
		if err := p.Parse(l, &ev); err != ErrExtraOnly {
			b.Fatalf("%q: %v", l, err)
		}
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.Parse(lines[i%len(lines)], &ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// fuzzHTTPFormat feeds each line of an input to the parsers and checks
// every request they hand on in Extra.
func fuzzHTTPFormat(f *testing.F, format string, seeds ...string) {
	fm := seedFuzz(f, format, seeds...)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		parsers := []Parser{fm.New(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})}
		if format == zeekHTTPName {
			parsers = append(parsers, newZeekConnParser()) // a mixed stream's http records
		}
		for _, p := range parsers {
			xp := p.(ExtraParser)
			for _, line := range bytes.Split(in, []byte("\n")) {
				var ev event.Network
				err := p.Parse(line, &ev)
				n := xp.Extra().Len()
				switch {
				case errors.Is(err, ErrExtraOnly):
					if n == 0 || len(xp.Extra().HTTP) != n {
						t.Fatalf("ErrExtraOnly with %d records for %q", n, line)
					}
					for _, h := range xp.Extra().HTTP {
						checkHTTPInvariants(t, line, &h)
					}
				case n != 0:
					t.Fatalf("%d records with error %v for %q", n, err, line)
				case err != nil && err.Error() == "":
					t.Fatalf("empty error for %q", line)
				}
			}
		}
	})
}

// checkHTTPInvariants fails t if a request breaks what stores rely on.
func checkHTTPInvariants(t *testing.T, line []byte, h *event.HTTP) {
	t.Helper()
	switch {
	case h.Time.IsZero() || h.Time.Location() != time.UTC || h.Time.Nanosecond() != 0 || h.Time.Year() > 9999:
		t.Fatalf("bad time %v for %q", h.Time, line)
	case !h.SrcIP.IsValid() || h.SrcIP.Is4In6():
		t.Fatalf("bad client %v for %q", h.SrcIP, line)
	case h.DstIP.Is4In6():
		t.Fatalf("mapped server %v for %q", h.DstIP, line)
	case h.ID == (event.ID{}) || h.Raw != string(line) || (h.Format != squidName && h.Format != zeekHTTPName):
		t.Fatalf("bad ID, Raw or Format in %+v for %q", h, line)
	case h.Status < 0 || h.Status > 999 || h.DurationS < 0 || math.IsNaN(h.DurationS):
		t.Fatalf("bad status or duration in %+v for %q", h, line)
	}
}

func FuzzSquid(f *testing.F) {
	fuzzHTTPFormat(f, squidName, "squid/access.log")
}
