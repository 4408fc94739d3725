package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/homesoc/homesoc/internal/store"
)

// TestParseRuleBad checks the exact errors of each testdata/meta file.
func TestParseRuleBad(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown-key.bad.sql", []string{`6: rule "unknown-key": unknown key "schedul"`}},
		{"meaning.bad.sql", []string{
			`1: rule "Meaning_Rule": invalid id "Meaning_Rule": use lower-case letters, digits and -`,
			`2: rule "Meaning_Rule": missing title`,
			`3: rule "Meaning_Rule": invalid severity "urgent" (one of info, low, medium, high, critical)`,
			`4: rule "Meaning_Rule": window: invalid duration "soon" (want a Go duration such as 90m or a number of days such as 7d)`,
			`5: rule "Meaning_Rule": missing group_by: the result columns that identify an alert, such as [host]`,
		}},
		{"missing.bad.sql", []string{
			`1: rule "missing": missing severity (one of info, low, medium, high, critical)`,
			`1: rule "missing": missing window (a Go duration such as 10m, or days such as 7d)`,
			`1: rule "missing": missing group_by: the result columns that identify an alert, such as [host]`,
		}},
		{"syntax.bad.sql", []string{`5: did not find expected ',' or ']'`}},
		{"no-meta.bad.sql", []string{`1: no metadata: a rule file starts with YAML metadata in "-- " comment lines (id, title, severity, window, group_by)`}},
		{"no-sql.bad.sql", []string{`7: rule "no-sql": no SQL after the metadata`}},
		{"types.bad.sql", []string{
			"7: rule \"types\": cannot unmarshal !!str `host` into []string",
			`8: rule "types": cannot unmarshal !!map into []string`,
		}},
		{"duplicate-key.bad.sql", []string{`3: rule "duplicate-key": mapping key "title" already defined at line 2`}},
	}
	files, _ := filepath.Glob("testdata/meta/*.sql")
	for _, tt := range tests {
		path := filepath.Join("testdata/meta", tt.file)
		files = slices.DeleteFunc(files, func(f string) bool { return f == path })
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = parseRule(path, data)
			var want []string
			for _, w := range tt.want {
				want = append(want, path+":"+w)
			}
			if err == nil || err.Error() != strings.Join(want, "\n") {
				t.Errorf("parseRule(%s) error:\n got %v\nwant %s", path, err, strings.Join(want, "\n"))
			}
		})
	}
	for _, f := range files {
		t.Errorf("%s has no case", f)
	}
}

func TestParseRule(t *testing.T) {
	r := mustParse(t, "../../rules/ioc-contact.sql")
	if r.ID != "ioc-contact" || r.Severity != "high" || r.Window != 24*time.Hour ||
		!slices.Equal(r.GroupBy, []string{"host", "indicator"}) || !slices.Equal(r.Tags, []string{"intel", "c2"}) {
		t.Errorf("metadata = %+v", r)
	}
	if !strings.HasPrefix(r.Description, "A host of ours") || !strings.HasPrefix(r.Runbook, "1. ") {
		t.Errorf("description %q, runbook %q", r.Description, r.Runbook)
	}
	raw, err := os.ReadFile("../../rules/ioc-contact.sql")
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(raw), "\nSELECT\n")
	want := strings.Count(head, "\n") + 2 // the line after the metadata block
	if !strings.HasPrefix(r.SQL, "SELECT\n") || r.SQLLine != want {
		t.Errorf("SQL starts at line %d with %.20q; want line %d, SELECT", r.SQLLine, r.SQL, want)
	}
}

func TestLoadAll(t *testing.T) {
	rule := func(id string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("-- id: " + id + "\n-- title: T\n-- severity: low\n-- window: 1h\n-- group_by: [host]\nSELECT 1 AS host\n")}
	}
	tests := []struct {
		name    string
		sources []Source
		want    []string // rule ids
		wantErr string
	}{
		{"two dirs", []Source{
			{FS: fstest.MapFS{"a.sql": rule("a"), "a.test.yaml": {Data: []byte("tests:\n  - name: n\n    expect: []\n")}, "notes.txt": {}}, Dir: ".", Name: "builtin"},
			{FS: fstest.MapFS{"site/b.sql": rule("b"), "site/deeper/c.sql": rule("c")}, Dir: "site"},
		}, []string{"a", "b"}, ""},
		{"duplicate id", []Source{
			{FS: fstest.MapFS{"a.sql": rule("same")}, Dir: ".", Name: "builtin"},
			{FS: fstest.MapFS{"b.sql": rule("same")}, Dir: ".", Name: "/etc/homesoc/rules"},
		}, []string{"same"}, `/etc/homesoc/rules/b.sql:1: rule "same": duplicate id, also defined at builtin/a.sql:1`},
		{"test file without rule", []Source{
			{FS: fstest.MapFS{"a.sql": rule("a"), "old.test.yaml": {}}, Dir: "."},
		}, []string{"a"}, `old.test.yaml: test file without a rule (old.sql)`},
		{"bad test file", []Source{
			{FS: fstest.MapFS{"a.sql": rule("a"), "a.test.yaml": {Data: []byte("tests:\n  - nam: x\n")}}, Dir: "."},
		}, nil, `a.test.yaml:2: unknown key "nam"`},
		// One broken file costs its own rule only: the others still load.
		{"broken files among good ones", []Source{
			{FS: fstest.MapFS{"a.sql": rule("a"), "b.sql": rule("b"), "b.test.yaml": {Data: []byte("tests: [\n")},
				"c.sql": {Data: []byte("-- id: c\n-- severity: loud\nSELECT 1\n")}}, Dir: ".", Name: "builtin"},
			{FS: fstest.MapFS{"d.sql": rule("d")}, Dir: ".", Name: "site"},
		}, []string{"a", "d"}, "builtin/b.test.yaml:2: did not find expected node content\n" +
			"builtin/c.sql:1: rule \"c\": missing title\n" +
			"builtin/c.sql:2: rule \"c\": invalid severity \"loud\" (one of info, low, medium, high, critical)\n" +
			"builtin/c.sql:1: rule \"c\": missing window (a Go duration such as 10m, or days such as 7d)\n" +
			"builtin/c.sql:1: rule \"c\": missing group_by: the result columns that identify an alert, such as [host]"},
		{"missing dir", []Source{{FS: fstest.MapFS{}, Dir: "nope"}}, nil, `read rules dir nope: file does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := LoadAll(tt.sources...)
			var probs []string
			for _, p := range Problems(err) {
				probs = append(probs, p.String())
			}
			if got := strings.Join(probs, "\n"); got != tt.wantErr || (err == nil) != (tt.wantErr == "") {
				t.Errorf("LoadAll problems:\n%s\nwant:\n%s", got, tt.wantErr)
			}
			var ids []string
			for _, r := range rs {
				ids = append(ids, r.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("LoadAll ids = %v; want %v", ids, tt.want)
			}
			if tt.wantErr != "" {
				return
			}
			if rs[0].Path != "builtin/a.sql" || rs[0].Tests == nil || rs[1].Path != "site/b.sql" || rs[1].Tests != nil {
				t.Errorf("paths %s %s, tests %v %v", rs[0].Path, rs[1].Path, rs[0].Tests, rs[1].Tests)
			}
		})
	}
}

func TestParseTestFileBad(t *testing.T) {
	tables := strings.Join(store.Tables, ", ")
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "t.test.yaml:1: empty test file: want tests:"},
		{"syntax", "tests: [\n", "t.test.yaml:2: did not find expected node content"},
		{"unknown top key", "now: 2026-01-10T12:00:00Z\ntest: []\n", `t.test.yaml:2: unknown key "test"`},
		{"unknown case key", "tests:\n  - name: a\n    expected: []\n", `t.test.yaml:3: unknown key "expected"`},
		{"no tests", "now: 2026-01-10T12:00:00Z\n", "t.test.yaml:1: no tests: want tests: with at least one case expecting rows and one expecting []"},
		{"bad now", "now: yesterday\ntests:\n  - name: a\n    expect: []\n", `t.test.yaml:1: now "yesterday": want an RFC 3339 time such as 2026-01-10T12:00:00Z`},
		{"bad case now", "tests:\n  - name: a\n    now: later\n    expect: []\n", `t.test.yaml:3: test "a": now "later": want an RFC 3339 time, or one relative to the file's now such as +1h`},
		{"missing expect", "tests:\n  - name: a\n    input: {}\n", `t.test.yaml:2: test "a": missing expect: the exact rows the rule returns, [] for none`},
		{"null expect", "tests:\n  - name: a\n    expect:\n", `t.test.yaml:2: test "a": missing expect: the exact rows the rule returns, [] for none`},
		{"missing name", "tests:\n  - expect: []\n", `t.test.yaml:2: test 1: missing name`},
		{"duplicate name", "tests:\n  - name: a\n    expect: []\n  - name: a\n    expect: []\n", `t.test.yaml:4: test "a": duplicate name, also at line 2`},
		{"unknown table", "tests:\n  - name: a\n    input:\n      events: []\n    expect: []\n",
			`t.test.yaml:4: test "a": input: unknown table "events" (one of ` + tables + `)`},
		{"table twice", "tests:\n  - name: a\n    input:\n      rejects: []\n      rejects: []\n    expect: []\n",
			`t.test.yaml:5: test "a": input: table "rejects" twice, also at line 4`},
		{"rows not a list", "tests:\n  - name: a\n    input:\n      rejects: {a: 1}\n    expect: []\n",
			`t.test.yaml:4: test "a": input: want a list of rows ([] for none)`},
		{"row not a mapping", "tests:\n  - name: a\n    expect: [1]\n", `t.test.yaml:3: test "a": expect: want a row as {column: value, ...}`},
		{"nested value", "tests:\n  - name: a\n    expect:\n      - {host: [1, 2]}\n", `t.test.yaml:4: test "a": expect: column "host": want a single value`},
		{"column twice", "tests:\n  - name: a\n    expect:\n      - {host: a, host: b}\n", `t.test.yaml:4: test "a": expect: column "host" twice in one row`},
		// Every problem, not only the first.
		{"every problem", "tests:\n  - name: a\n    input:\n      events: []\n      rejects: [1, {a: [2]}]\n    expect: [1, {b: [3]}]\n",
			`t.test.yaml:4: test "a": input: unknown table "events" (one of ` + tables + `)` + "\n" +
				`t.test.yaml:5: test "a": input: want a row as {column: value, ...}` + "\n" +
				`t.test.yaml:5: test "a": input: column "a": want a single value` + "\n" +
				`t.test.yaml:6: test "a": expect: want a row as {column: value, ...}` + "\n" +
				`t.test.yaml:6: test "a": expect: column "b": want a single value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTestFile("t.test.yaml", []byte(tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("parseTestFile error:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseTestFileValues(t *testing.T) {
	const y = `now: 2026-01-10T12:00:00Z
tests:
  - name: values
    now: +1h
    input:
      network_events:
        - {time: -2h, end_time: "+5m", raw: now, src_port: 443, duration_s: 1.5, kind: null}
        - {time: 2026-01-09T00:00:00+01:00, raw: -1d, status: "0s", format: "2026-01-10T00:00:00Z"}
        - {time: -90m, raw: !!str -2h, src_ip: 192.168.1.10, dst_ip: "::1", action: allow, nat_ip: "", ttl: "64"}
    expect: []
`
	tf, err := parseTestFile("t.test.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	tc := tf.Tests[0]
	if !tc.Now.Equal(time.Date(2026, 1, 10, 13, 0, 0, 0, time.UTC)) || tc.Line != 3 {
		t.Errorf("now %v, line %d", tc.Now, tc.Line)
	}
	if tc.Expect == nil || len(tc.Expect) != 0 {
		t.Errorf("expect = %#v; want an empty, non-nil list", tc.Expect)
	}
	got := map[string]string{}
	for i, row := range tc.Input[0].Rows {
		for k, v := range row {
			got[k+string(rune('0'+i))] = FormatValue(v) + " " + typeName(v)
		}
	}
	want := map[string]string{
		"time0": "2026-01-10T11:00:00Z time", "end_time0": "2026-01-10T13:05:00Z time", "raw0": "2026-01-10T13:00:00Z time",
		"src_port0": "443 int", "duration_s0": "1.5 float64", "kind0": "null nil",
		"time1": "2026-01-08T23:00:00Z time", "raw1": "2026-01-09T13:00:00Z time", "status1": "2026-01-10T13:00:00Z time",
		"format1": "2026-01-10T00:00:00Z time",
		"time2":   "2026-01-10T11:30:00Z time", "raw2": "-2h string", "src_ip2": "192.168.1.10 string", "dst_ip2": "::1 string",
		"action2": "allow string", "nat_ip2": " string", "ttl2": "64 string",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q; want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d values; want %d: %v", len(got), len(want), got)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case time.Time:
		return "time"
	case int:
		return "int"
	case float64:
		return "float64"
	case string:
		return "string"
	}
	return "other"
}

func TestRender(t *testing.T) {
	now := time.Date(2026, 1, 10, 12, 0, 0, 500, time.FixedZone("CET", 3600))
	r := &Rule{ID: "r", Path: "r.sql", SQLLine: 6, Window: 24 * time.Hour, SQL: `SELECT {{hour s.time}} AS h, {{ day "time" }} AS d,
  '{{now}} stays in a string' AS s -- and {{now}} in a comment
FROM t WHERE time >= {{window_start}} AND time >= {{since "7d"}} AND time >= {{since 90m}} AND time <= {{now}};`}
	tests := []struct {
		dialect, want, wantErr string
	}{
		{"duckdb", `SELECT date_trunc('hour', s.time) AS h, date_trunc('day', time) AS d,
  '{{now}} stays in a string' AS s -- and {{now}} in a comment
FROM t WHERE time >= TIMESTAMP '2026-01-09 11:00:00' AND time >= TIMESTAMP '2026-01-03 11:00:00' AND time >= TIMESTAMP '2026-01-10 09:30:00' AND time <= TIMESTAMP '2026-01-10 11:00:00'`, ""},
		{"clickhouse", `SELECT toStartOfHour(s.time) AS h, toStartOfDay(time) AS d,
  '{{now}} stays in a string' AS s -- and {{now}} in a comment
FROM t WHERE time >= toDateTime('2026-01-09 11:00:00', 'UTC') AND time >= toDateTime('2026-01-03 11:00:00', 'UTC') AND time >= toDateTime('2026-01-10 09:30:00', 'UTC') AND time <= toDateTime('2026-01-10 11:00:00', 'UTC')`, ""},
		{"sqlite", "", `rule "r": unknown SQL dialect "sqlite" (one of clickhouse, duckdb)`},
	}
	for _, tt := range tests {
		got, err := r.Render(tt.dialect, now)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Render(%s) error = %v; want %s", tt.dialect, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Render(%s) = %v\n%s\nwant\n%s", tt.dialect, err, got, tt.want)
		}
	}
	bad := []struct{ sql, want string }{
		{`SELECT {{since "-1h"}}`, `r.sql:6: rule "r": {{since "-1h"}}: since "-1h": duration must be positive`},
		{"SELECT 1\nWHERE {{since \"24h\" \"1h\"}}", `r.sql:7: rule "r": {{since "24h" "1h"}}: wrong number of args for since: want 1 got 2`},
		{`SELECT {{now 1}}`, `r.sql:6: rule "r": {{now 1}}: wrong number of args for now: want 0 got 1`},
		{`SELECT {{if}}`, `r.sql:6: rule "r": {{if}}: unknown macro "if" (one of now, since, window_start, hour, day, epoch)`},
		{`SELECT {{since "24h}}`, `r.sql:6: rule "r": {{since "24h}}: unterminated quoted string`},
		{"SELECT 'x", `r.sql:6: rule "r": unterminated string literal`},
	}
	for _, b := range bad {
		r := &Rule{ID: "r", Path: "r.sql", SQLLine: 6, Window: time.Hour, SQL: b.sql}
		if _, err := r.Render("duckdb", now); err == nil || err.Error() != b.want {
			t.Errorf("Render(%q) error:\n got %v\nwant %s", b.sql, err, b.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"24h", 24 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"0s", 0, true},
		{"0", 0, false},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"-1d", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
