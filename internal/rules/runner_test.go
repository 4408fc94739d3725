package rules

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRunTestsGolden runs rules whose tests are deliberately wrong, untested
// or fail lint, and checks the exact report, diffs included.
func TestRunTestsGolden(t *testing.T) {
	rs, err := LoadAll(DirSource("testdata/runner"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	passed, failed := RunTests(context.Background(), rs, duckEnv, &out)
	if passed != 2 || failed != 5 {
		t.Errorf("RunTests = %d passed, %d failed; want 2, 5", passed, failed)
	}
	const golden = "testdata/runner/report.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("report differs from %s (go test -update rewrites it)\n got:\n%s\nwant:\n%s", golden, out.String(), want)
	}
}

// TestRunTestsErrors checks that a failing step fails the test, named.
func TestRunTestsErrors(t *testing.T) {
	const sql = "-- id: r\n-- title: R\n-- severity: low\n-- window: 1h\n-- group_by: [source]\n" +
		"SELECT src_ip AS source FROM network_events WHERE time >= {{window_start}} AND time <= {{now}}\n"
	const yaml = "tests:\n  - name: pos\n    input:\n      network_events:\n        - {time: -5m, source_ip: 10.0.0.1}\n" +
		"    expect: [{source: 10.0.0.1}]\n  - name: neg\n    expect: []\n"
	fsys := fstest.MapFS{"r.sql": {Data: []byte(sql)}, "r.test.yaml": {Data: []byte(yaml)}}
	rs, err := Load(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	failing := func(ctx context.Context, s Store, now time.Time) error { return errors.New("no retro-hunt") }
	tests := []struct {
		name string
		env  TestEnv
		want []string // in the report, in order
	}{
		{"fixture load", duckEnv, []string{
			"FAIL r: pos\n    r.test.yaml:4: load network_events: network_events row 1: ",
			"ok   r: neg\n1 passed, 1 failed\n"}},
		{"open", TestEnv{Open: func(context.Context) (Store, error) { return nil, errors.New("disk full") }}, []string{
			"FAIL r: pos\n    r.test.yaml:2: open store: disk full\n" +
				"FAIL r: neg\n    r.test.yaml:7: open store: disk full\n0 passed, 2 failed\n"}},
		{"prepare", TestEnv{Open: duckEnv.Open, Prepare: failing}, []string{
			"FAIL r: neg\n    r.test.yaml:7: prepare: no retro-hunt\n0 passed, 2 failed\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			RunTests(context.Background(), rs, tt.env, &out)
			rest := out.String()
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("report:\n%s\nwant it to contain, in order:\n%s", out.String(), w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestBuiltinRules(t *testing.T) {
	rs, err := LoadAll(Builtin())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	passed, failed := RunTests(context.Background(), rs, duckEnv, &out)
	if failed > 0 || passed == 0 {
		t.Errorf("built-in rules: %d passed, %d failed:\n%s", passed, failed, out.String())
	}
	if !strings.HasSuffix(out.String(), fmt.Sprintf("\n%d passed, 0 failed\n", passed)) {
		t.Errorf("last line of the report is not the count:\n%s", out.String())
	}
}

func TestEval(t *testing.T) {
	ctx := context.Background()
	s, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := DefaultTestNow
	if err := s.LoadRows(ctx, "network_events", []map[string]any{
		{"time": now.Add(-time.Minute), "src_ip": "10.0.0.1"},
		{"time": now.Add(-2 * time.Hour), "src_ip": "10.0.0.2"},
	}); err != nil {
		t.Fatal(err)
	}
	rule := func(sql string, groupBy ...string) *Rule {
		return &Rule{ID: "t", Path: "t.sql", SQLLine: 6, Window: time.Hour, GroupBy: groupBy, SQL: sql}
	}
	tests := []struct {
		name    string
		rule    *Rule
		want    string // canonical rows
		wantErr string
	}{
		{"window", rule(`SELECT src_ip AS host FROM network_events WHERE time >= {{window_start}};`, "host"),
			"[10.0.0.1]", ""},
		{"since", rule(`SELECT src_ip AS host FROM network_events WHERE time >= {{since "3h"}} ORDER BY 1`, "host"),
			"[10.0.0.1][10.0.0.2]", ""},
		{"hour", rule(`SELECT src_ip AS host, {{hour time}} AS h FROM network_events WHERE time >= {{window_start}}`, "host"),
			"[10.0.0.1 2026-01-10T11:00:00Z]", ""},
		{"day", rule(`SELECT src_ip AS host, {{day "time"}} AS d FROM network_events WHERE time >= {{window_start}}`, "host"),
			"[10.0.0.1 2026-01-10T00:00:00Z]", ""},
		{"missing group_by column", rule(`SELECT src_ip AS source, 1 AS n FROM network_events`, "host", "n"),
			"", `rule "t": result lacks group_by column host (it returns source, n)`},
		{"engine error names the rule", rule(`SELECT nope AS host FROM network_events`, "host"),
			"", `rule "t": Binder Error`},
		{"first_seen not a time", rule(`SELECT src_ip AS host, 'yesterday' AS first_seen FROM network_events`, "host"),
			"", `rule "t": column first_seen must be a time, got string yesterday`},
		{"events not an integer", rule(`SELECT src_ip AS host, 1.5 AS events FROM network_events`, "host"),
			"", `rule "t": column events must be an integer, got`},
		{"bad macro", rule("SELECT 1 AS host\nWHERE {{since \"soon\"}} < {{now}}", "host"),
			"", `t.sql:7: rule "t": {{since "soon"}}: invalid duration "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.rule.Eval(ctx, s, now)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Eval error = %v; want it to start with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := rowsText(res); got != tt.want {
				t.Errorf("Eval rows = %s; want %s", got, tt.want)
			}
		})
	}
}

func rowsText(res *store.Result) string {
	var b strings.Builder
	for _, row := range res.Rows {
		vals := make([]string, len(row))
		for i, v := range row {
			vals[i] = FormatValue(v)
		}
		b.WriteString("[" + strings.Join(vals, " ") + "]")
	}
	return b.String()
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{"x", "x"},
		{int64(-3), "-3"},
		{uint8(1), "1"},
		{2.0, "2"},
		{0.25, "0.25"},
		{float32(1.5), "1.5"},
		{true, "true"},
		{time.Date(2026, 1, 10, 13, 0, 0, 0, time.FixedZone("CET", 3600)), "2026-01-10T12:00:00Z"},
		{[]byte("text"), "text"},
		{[]byte{0x6b, 0x4a, 0xe3, 0x9c, 0x94, 0x3a, 0x4c, 0x4a, 0x81, 0x2b, 0x9f, 0x8e, 0x1d, 0x2c, 0x7d, 0xff}, "6b4ae39c-943a-4c4a-812b-9f8e1d2c7dff"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v); got != tt.want {
			t.Errorf("FormatValue(%#v) = %q; want %q", tt.v, got, tt.want)
		}
	}
}
