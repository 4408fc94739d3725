package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// mixed is a firewall log with the garbage real files hold.
const mixed = `2020-04-06T16:05:29 router kernel: DROP IN=ppp0 OUT= MAC= SRC=180.188.12.34 DST=203.0.113.7 LEN=118 TOS=0x00 PREC=0x00 TTL=242 ID=33872 PROTO=UDP SPT=22852 DPT=1900 LEN=98
2020-04-06T16:05:30 router kernel: DROP IN=ppp0 OUT= MAC= SRC=180.188.12.34 DST=203.0.113.7 LEN=118 TOS=0x00 PREC=0x00 TTL=242 ID=14460 PROTO=UDP SPT=15657 DPT=1900 LEN=98

{"level":"info","msg":"not a firewall line"}
2020-04-06T16:05:31 router kernel: DROP IN=ppp0 OUT= MAC= DST=203.0.113.7 LEN=40 PROTO=TCP SPT=1 DPT=23
2020-04-06T16:05:32 router kernel: [UFW BLOCK] IN=ppp0 OUT= MAC= SRC=198.51.100.77 DST=203.0.113.7 LEN=60 TTL=49 ID=0 DF PROTO=TCP SPT=51234 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0
` + "\x00\x01\xfe\xffjunk\n" + `2020-04-06T16:05:29 router kernel: DROP IN=ppp0 OUT= MAC= SRC=180.188.12.34 DST=203.0.113.7 LEN=118 TOS=0x00 PREC=0x00 TTL=242 ID=33872 PROTO=UDP SPT=22852 DPT=1900 LEN=98
2020-04-06T16:05:33 router kernel: DROP IN=ppp0 OUT= MAC= SRC=1.2.3.999 DST=203.0.113.7 PROTO=TCP SPT=1 DPT=23`

func TestRunMixedLog(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c2 := event.Indicator{ID: event.IndicatorID("feodo", "ip", "198.51.100.77"), Type: "ip", Value: "198.51.100.77", Feed: "feodo", Active: true}
	cfg := pipeline.Config{Format: "auto", BatchSize: 2, Matcher: intel.NewMatcher([]event.Indicator{c2}),
		Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}

	got, err := pipeline.Run(ctx, st, pipeline.Source{Name: "fw.log", R: strings.NewReader(mixed)}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.FirstRejects) != 4 || got.FirstRejects[1].Reason != "missing SRC=" || got.FirstRejects[1].Line != 5 {
		t.Errorf("first rejects: %+v", got.FirstRejects)
	}
	got.Seconds, got.FirstRejects = 0, nil
	want := pipeline.Stats{Format: "netfilter", Read: 9, Stored: 3, Duplicates: 1, Skipped: 1, Rejected: 4, Sightings: 1,
		Tables:      map[string]pipeline.TableStats{"network_events": {Stored: 3, Duplicates: 1}},
		SkipReasons: []pipeline.SkipReason{{Reason: "blank line, header or comment", Lines: 1}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("first run:\n got %+v\nwant %+v", got, want)
	}

	rs, total, err := st.Rejects(ctx, time.Time{}, 10)
	if err != nil || total != 4 {
		t.Fatalf("rejects: %d, %v", total, err)
	}
	var lines []string
	for _, r := range rs {
		lines = append(lines, fmt.Sprintf("%s:%d: %s", r.Source, r.Line, r.Reason))
	}
	wantLines := []string{
		"fw.log:4: not a netfilter line: a JSON object",
		"fw.log:5: missing SRC=",
		"fw.log:7: not a netfilter line: binary data at byte 0",
		`fw.log:9: bad SRC address "1.2.3.999"`,
	}
	if strings.Join(lines, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("rejects:\n got %q\nwant %q", lines, wantLines)
	}

	again, err := pipeline.Run(ctx, st, pipeline.Source{Name: "fw.log", R: strings.NewReader(mixed)}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if again.Stored != 0 || again.Duplicates != 4 || again.Sightings != 0 {
		t.Errorf("re-ingest stored %d, duplicates %d, sightings %d; want 0, 4, 0", again.Stored, again.Duplicates, again.Sightings)
	}
	res, err := st.Query(ctx, `SELECT src_ip, dst_port, action, protocol, raw FROM network_events ORDER BY time`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 || res.Rows[2][0] != "198.51.100.77" || res.Rows[2][2] != "block" ||
		!strings.HasSuffix(res.Rows[2][4].(string), "SYN URGP=0") {
		t.Errorf("stored rows: %v", res.Rows)
	}
}

// failingWriter is a real store whose network writes fail after the first.
type failingWriter struct {
	pipeline.Writer
	writes int
}

func (w *failingWriter) WriteNetwork(ctx context.Context, evs []event.Network) (int, error) {
	if w.writes++; w.writes > 1 {
		return 0, errors.New("disk full")
	}
	return w.Writer.WriteNetwork(ctx, evs)
}

// TestRunWriteFails: when a write fails, the run stops, and the lines it held
// and those after it are not reported as duplicates: only what was written
// is counted.
func TestRunWriteFails(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var log strings.Builder
	const lines = 10_000
	for i := range lines {
		fmt.Fprintf(&log, "2020-04-06T16:05:%02d router kernel: DROP IN=ppp0 OUT= MAC= SRC=180.188.%d.%d DST=203.0.113.7 PROTO=TCP SPT=1 DPT=23\n", i%60, i/256, i%256)
	}
	got, err := pipeline.Run(ctx, &failingWriter{Writer: st}, pipeline.Source{Name: "fw.log", R: strings.NewReader(log.String())},
		pipeline.Config{Format: "netfilter", BatchSize: 4})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err %v, want the write's", err)
	}
	// The reader stops soon after the failed write: a few batches in flight.
	if got.Read >= lines/2 || got.Stored != 4 || got.Duplicates != 0 {
		t.Errorf("read %d, stored %d, duplicates %d; want the reader stopped early, 4, 0", got.Read, got.Stored, got.Duplicates)
	}
}

// TestRunSkipReasons: skipped lines are counted by the reason their parser
// gave, such as the records of Zeek's other logs in a mixed stream; its
// http records go to http_events.
func TestRunSkipReasons(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const zeek = `{"_path":"conn","ts":1586189129.0,"uid":"C1","id.orig_h":"192.168.1.23","id.orig_p":51234,"id.resp_h":"198.51.100.77","id.resp_p":443,"proto":"tcp","conn_state":"SF"}
{"_path":"http","ts":1586189130.0,"uid":"C1","id.orig_h":"192.168.1.23","id.orig_p":51234,"id.resp_h":"198.51.100.77","id.resp_p":443,"method":"GET"}

{"_path":"files","ts":1586189131.0,"fuid":"F1"}
{"_path":"http","ts":1586189132.0,"uid":"C2","id.orig_h":"192.168.1.23","id.orig_p":51235,"id.resp_h":"198.51.100.77","id.resp_p":80,"method":"GET"}
`
	got, err := pipeline.Run(ctx, st, pipeline.Source{Name: "zeek.json", R: strings.NewReader(zeek)}, pipeline.Config{Format: "zeek-conn"})
	if err != nil {
		t.Fatal(err)
	}
	want := []pipeline.SkipReason{
		{Reason: "blank line, header or comment", Lines: 1},
		{Reason: `zeek record of the "files" log, not conn`, Lines: 1},
	}
	if got.Stored != 3 || got.Skipped != 2 || !reflect.DeepEqual(got.SkipReasons, want) {
		t.Errorf("stored %d, skipped %d by %v; want 3 (a conn event, two http requests), 2 by %v", got.Stored, got.Skipped, got.SkipReasons, want)
	}
	if n, err := st.Counts(ctx); err != nil || n["network_events"] != 1 || n["http_events"] != 2 {
		t.Errorf("counts %v, %v: want 1 network event and 2 http events", n, err)
	}
}

func TestRunEmptyAndUnknownFormat(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := pipeline.Run(ctx, st, pipeline.Source{Name: "x", R: strings.NewReader("a\n")}, pipeline.Config{Format: "nope"}); err == nil ||
		!strings.Contains(err.Error(), `x: unknown format "nope"`) {
		t.Errorf("unknown format: %v", err)
	}
	if _, err := pipeline.Run(ctx, st, pipeline.Source{Name: "x", R: strings.NewReader("hello world\n")}, pipeline.Config{Format: "auto"}); err == nil ||
		!strings.Contains(err.Error(), "cannot detect format") {
		t.Errorf("undetectable: %v", err)
	}
	got, err := pipeline.Run(ctx, st, pipeline.Source{Name: "empty", R: strings.NewReader("")}, pipeline.Config{Format: "auto"})
	if err != nil || got.Read != 0 {
		t.Errorf("empty input: %+v, %v", got, err)
	}
}
