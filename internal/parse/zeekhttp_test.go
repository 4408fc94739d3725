package parse

import (
	"errors"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

// zeekHTTPWant are the requests of testdata/zeek-http/http.log.
var zeekHTTPWant = []event.HTTP{
	{Time: utc(2024, 5, 1, 10, 0, 0), SrcIP: addr("192.168.1.23"), SrcPort: 51514, DstIP: addr("93.184.216.34"),
		DstPort: 80, Method: "GET", URL: "example.com/index.html", Host: "example.com", Status: 200, BytesIn: 1256,
		ContentType: "text/html", UserAgent: "curl/8.5.0", FlowUID: "CAbc12Def34Ghi56J", Format: "zeek-http"},
	{Time: utc(2024, 5, 1, 10, 0, 1), SrcIP: addr("192.168.1.23"), SrcPort: 51514, DstIP: addr("93.184.216.34"),
		DstPort: 80, User: "alice", Method: "POST", URL: "example.com/login", Host: "example.com", Status: 302,
		BytesOut: 42, BytesIn: 17, UserAgent: "Mozilla/5.0", Referrer: "http://example.com/index.html",
		FlowUID: "CAbc12Def34Ghi56J", Format: "zeek-http"},
	{Time: utc(2024, 5, 1, 10, 0, 2), SrcIP: addr("10.0.0.5"), SrcPort: 40000, DstIP: addr("198.51.100.9"),
		DstPort: 8080, FlowUID: "CZz9", Format: "zeek-http"},
	{Time: utc(2024, 5, 1, 10, 0, 3), SrcIP: addr("2001:db8::5"), SrcPort: 50001, DstIP: addr("2001:db8::80"),
		DstPort: 80, Method: "HEAD", URL: "v6.example/", Host: "v6.example", Status: 200, FlowUID: "CQq2", Format: "zeek-http"},
}

func TestZeekHTTPTSV(t *testing.T) {
	got := parseHTTPLines(t, newZeekHTTPParser(), readLines(t, "zeek-http/http.log"))
	if len(got) != len(zeekHTTPWant) {
		t.Fatalf("%d results, want %d: %+v", len(got), len(zeekHTTPWant), got)
	}
	for i, w := range zeekHTTPWant {
		checkHTTP(t, i, w, got[i].http)
	}
}

func TestZeekHTTPJSON(t *testing.T) {
	want := []event.HTTP{zeekHTTPWant[0], {Time: utc(2024, 5, 1, 10, 0, 3), SrcIP: addr("2001:db8::5"), SrcPort: 50000,
		DstIP: addr("2001:db8::80"), DstPort: 80, User: "bob", Method: "GET", URL: "http://v6.example/p",
		Host: "v6.example", Status: 404, FlowUID: "CQq1", Format: "zeek-http"}}
	got := parseHTTPLines(t, newZeekHTTPParser(), readLines(t, "zeek-http/http.json"))
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for i, w := range want {
		checkHTTP(t, i, w, got[i].http)
	}
	// One request in a TSV and a JSON log is one record.
	tsv := parseHTTPLines(t, newZeekHTTPParser(), readLines(t, "zeek-http/http.log"))
	if tsv[0].http.ID != got[0].http.ID {
		t.Error("the TSV and JSON forms of one request have different IDs")
	}
	if tsv[0].http.ID == tsv[1].http.ID {
		t.Error("two pipelined requests share an ID")
	}
}

// TestZeekConnMixedJSON: the zeek-conn parser stores a mixed stream's conn
// records, hands its http records on through Extra and skips the others.
func TestZeekConnMixedJSON(t *testing.T) {
	p := newZeekConnParser()
	lines := readLines(t, "zeek-http/mixed.json")
	var ev event.Network
	if err := p.Parse(lines[0], &ev); err != nil || p.Extra().Len() != 0 {
		t.Fatalf("conn record: err %v, %d extra", err, p.Extra().Len())
	}
	if ev.FlowUID != "CAbc12Def34Ghi56J" || ev.DstPort != 80 || ev.BytesIn != 1400 {
		t.Errorf("conn record: %+v", ev)
	}
	if err := p.Parse(lines[1], &ev); !errors.Is(err, ErrExtraOnly) || len(p.Extra().HTTP) != 1 {
		t.Fatalf("http record: err %v, %d extra", err, p.Extra().Len())
	}
	if ev != (event.Network{}) {
		t.Errorf("http record filled the network event: %+v", ev)
	}
	checkHTTP(t, 0, zeekHTTPWant[0], p.Extra().HTTP[0])
	if p.Extra().HTTP[0].Raw != string(lines[1]) {
		t.Errorf("Raw = %q", p.Extra().HTTP[0].Raw)
	}
	tsv := parseHTTPLines(t, newZeekHTTPParser(), readLines(t, "zeek-http/http.log"))
	if p.Extra().HTTP[0].ID != tsv[0].http.ID {
		t.Error("a mixed stream's http record and the http.log one differ in ID")
	}
	err := p.Parse(lines[2], &ev)
	if !errors.Is(err, ErrSkip) || err.Error() != `zeek record of the "dns" log, not conn: nothing to store` || p.Extra().Len() != 0 {
		t.Fatalf("dns record: err %v, %d extra", err, p.Extra().Len())
	}
	if f, err := Detect(lines); err != nil || f.Name != "zeek-conn" {
		t.Errorf("Detect(mixed) = %q, %v", f.Name, err)
	}
}

// TestZeekHTTPDetect: a Zeek header shared by every log (#separator, #open,
// ...) counts for zeek-conn, so an http.log is detected by its #path,
// #fields and #types and at least four requests; one with fewer ties and
// needs --format zeek-http.
func TestZeekHTTPDetect(t *testing.T) {
	for _, file := range []string{"zeek-http/http.log", "zeek-http/http.json"} {
		if f, err := Detect(readLines(t, file)); err != nil || f.Name != "zeek-http" {
			t.Errorf("Detect(%s) = %q, %v", file, f.Name, err)
		}
	}
	for _, file := range []string{"conn.log", "conn.json"} {
		for i, line := range readLines(t, file) {
			if sniffZeekHTTP(line) {
				t.Errorf("%s:%d: zeek-http sniffs a conn line", file, i+1)
			}
		}
	}
}

func TestZeekHTTPReject(t *testing.T) {
	hdr := []string{"#separator \\x09", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\tstatus_code"}
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"no header", []string{"1714557600.1\tC1\t10.0.0.1\t1\t10.0.0.2\t80\t1\tGET\t200"}, "zeek data line before any #fields header"},
		{"bad status", append(hdr[:2:2], "1714557600.1\tC1\t10.0.0.1\t1\t10.0.0.2\t80\t1\tGET\tOK"), `bad status_code "OK"`},
		{"bad port", append(hdr[:2:2], "1714557600.1\tC1\t10.0.0.1\t70000\t10.0.0.2\t80\t1\tGET\t200"), `bad id.orig_p "70000"`},
		{"bad address", append(hdr[:2:2], "1714557600.1\tC1\t10.0.0.x\t1\t10.0.0.2\t80\t1\tGET\t200"), `bad id.orig_h address "10.0.0.x"`},
		{"field count", append(hdr[:2:2], "1714557600.1\tC1\t10.0.0.1"), "zeek line has 3 fields, #fields has 9"},
		{"header lacks ts", []string{"#fields\tuid\tid.orig_h\tid.resp_h\tmethod"}, "zeek #fields header lacks ts"},
		{"bad JSON", []string{`{"ts":1,`}, "bad zeek JSON: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		p := newZeekHTTPParser()
		var err error
		for _, l := range tt.lines {
			var ev event.Network
			err = p.Parse([]byte(l), &ev)
		}
		if err == nil || errors.Is(err, ErrSkip) || errors.Is(err, ErrExtraOnly) || err.Error() != tt.want {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestZeekHTTPSkip(t *testing.T) {
	p := newZeekHTTPParser()
	var ev event.Network
	for _, l := range []string{"#path\tdns", "#fields\tts\tuid\tquery", "1714557600.1\tC1\texample.com"} {
		err := p.Parse([]byte(l), &ev)
		if l[0] != '#' && (!errors.Is(err, ErrSkip) || err.Error() != `zeek #path is "dns", not http: nothing to store`) {
			t.Errorf("%q: err %v", l, err)
		}
	}
	err := p.Parse([]byte(`{"_path":"conn","ts":1714557600.1,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2"}`), &ev)
	if !errors.Is(err, ErrSkip) {
		t.Errorf("conn JSON record: err %v", err)
	}
}

// TestZeekHTTPRealLogs reads the real samples: no line is rejected.
func TestZeekHTTPRealLogs(t *testing.T) {
	realHTTPLogs(t, "zeek-http", func() Parser { return newZeekHTTPParser() })
}

// BenchmarkZeekConnJSON parses conn records as JSON: the path a mixed
// stream's conn records take.
func BenchmarkZeekConnJSON(b *testing.B) {
	benchLines(b, newZeekConnParser(), readLines(b, "conn.json"))
}

func FuzzZeekHTTP(f *testing.F) {
	fuzzHTTPFormat(f, zeekHTTPName, "zeek-http/http.log", "zeek-http/http.json", "zeek-http/mixed.json", "zeek-http/concat.log")
}

// TestZeekConnConcatTSV: in concatenated TSV logs the zeek-conn parser
// stores conn blocks, hands the http block's requests on and skips others.
func TestZeekConnConcatTSV(t *testing.T) {
	p := newZeekConnParser()
	var conns []string
	var https []event.HTTP
	var skips []string
	for i, line := range readLines(t, "zeek-http/concat.log") {
		var ev event.Network
		err := p.Parse(line, &ev)
		switch {
		case err == nil:
			conns = append(conns, ev.FlowUID)
		case errors.Is(err, ErrExtraOnly):
			https = append(https, p.Extra().HTTP...)
		case errors.Is(err, ErrSkip):
			if err != ErrSkip {
				skips = append(skips, err.Error())
			}
		default:
			t.Fatalf("line %d: %v", i+1, err)
		}
		if err != ErrExtraOnly && p.Extra().Len() != 0 {
			t.Fatalf("line %d: records with %v", i+1, err)
		}
	}
	if len(conns) != 2 || conns[0] != "CAbc12Def34Ghi56J" || conns[1] != "CZz9" {
		t.Errorf("conn records %v", conns)
	}
	if len(https) != 1 {
		t.Fatalf("%d http records, want 1", len(https))
	}
	want := zeekHTTPWant[0]
	checkHTTP(t, 0, want, https[0])
	if want := []string{`zeek #path is "dns", not conn: nothing to store`, `zeek #path is "dns", not conn: nothing to store`}; len(skips) != 2 || skips[0] != want[0] || skips[1] != want[1] {
		t.Errorf("skips %q, want %q", skips, want)
	}
}
