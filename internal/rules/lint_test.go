package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	clockMsg = ` reads the wall clock: use {{now}}, {{since "24h"}} or {{window_start}} so a rule's result depends on --now alone`
	onCmp    = ` in a JOIN's ON clause: ClickHouse 18.16 joins on column equalities only; move the condition to WHERE`
	onAnd    = `AND in a JOIN's ON clause: ClickHouse 18.16 returns wrong rows or fails for ON a = b AND c = d; join on one column equality and compare the others in WHERE`
)

// lintCases are the testdata/lint files and the exact problems each must
// produce; a .good.sql file must produce none.
var lintCases = []struct {
	file string
	want []string
}{
	{"portable.good.sql", nil},
	{"cte.bad.sql", []string{
		"6: WITH (a common table expression) is not supported by ClickHouse 18.16: use a subquery in FROM",
	}},
	{"cte-subquery.bad.sql", []string{
		"8: WITH (a common table expression) is not supported by ClickHouse 18.16: use a subquery in FROM",
	}},
	{"two-joins.bad.sql", []string{
		"9: more than one JOIN in one SELECT: ClickHouse 18.16 joins two tables per SELECT; join a subquery that does the other join",
	}},
	{"join-or.bad.sql", []string{
		"9: OR in a JOIN's ON clause: ClickHouse 18.16 joins on one column equality; use IN (subquery) or UNION ALL",
	}},
	{"join-cmp.bad.sql", []string{
		"8: " + onAnd,
		"8: >=" + onCmp,
		"13: " + onAnd,
		"13: constant" + onCmp,
		"17: " + onAnd,
		"17: IN" + onCmp,
		"21: BETWEEN" + onCmp,
	}},
	{"comma-join.bad.sql", []string{
		"7: comma join in FROM: ClickHouse 18.16 has no comma joins; use JOIN ... ON",
	}},
	{"union.bad.sql", []string{
		"7: UNION without ALL: ClickHouse 18.16 has UNION ALL only; use UNION ALL and GROUP BY or DISTINCT around it",
		"9: INTERSECT is not supported by ClickHouse 18.16: use IN / NOT IN (subquery)",
		"11: EXCEPT is not supported by ClickHouse 18.16: use IN / NOT IN (subquery)",
		"13: = ANY (subquery) is not supported by ClickHouse 18.16: use IN (subquery)",
	}},
	{"window.bad.sql", []string{
		"7: window function (OVER): not supported by ClickHouse 18.16; use GROUP BY or a join to a grouped subquery",
		"8: window function (OVER): not supported by ClickHouse 18.16; use GROUP BY or a join to a grouped subquery",
		"10: WINDOW clause: window functions are not supported by ClickHouse 18.16",
	}},
	{"duckdb-only.bad.sql", []string{
		"6: DISTINCT ON is DuckDB-only: use GROUP BY with min()/max()",
		"6: :: cast is DuckDB-only: use CAST(x AS type)",
		"7: date_trunc() is DuckDB-only: use {{hour t}} or {{day t}}",
		"7: strftime() is DuckDB-only",
		"7: string_agg() is DuckDB-only",
		"8: SELECT * EXCLUDE is not portable: list the columns",
		"9: ILIKE is DuckDB-only: use lower(x) LIKE 'pattern'",
		"10: QUALIFY is DuckDB-only: filter in an outer SELECT",
	}},
	{"clickhouse-only.bad.sql", []string{
		"6: backquoted identifier is not portable: use double quotes",
		"6: uniq() is ClickHouse-only: use count(DISTINCT x)",
		"6: toStartOfHour() is ClickHouse-only: use CAST(x AS type), or {{hour t}} / {{day t}} for truncation",
		"7: countIf() is ClickHouse-only: use sum(CASE WHEN ... THEN 1 ELSE 0 END)",
		"7: f(params)(args), a parametric aggregate, is ClickHouse-only",
		"7: any() is ClickHouse-only: use min() or max()",
		"8: FINAL is not portable (ClickHouse table modifier)",
		"9: ANY JOIN is ClickHouse-only: write JOIN (the store makes ALL the default strictness)",
		"10: PREWHERE is ClickHouse-only: use WHERE",
		"10: == is ClickHouse-only: use =",
		"11: LIMIT ... BY is ClickHouse-only: use GROUP BY with a subquery",
		"12: SETTINGS is ClickHouse-only: the store sets engine settings",
		"13: FORMAT is ClickHouse-only: the store chooses the output format",
	}},
	{"statements.bad.sql", []string{
		"7: more than one statement: a rule is a single SELECT",
	}},
	{"not-select.bad.sql", []string{
		"6: a rule is a single SELECT statement, not DELETE",
	}},
	{"clock.bad.sql", []string{
		"8: now()" + clockMsg,
		"9: current_timestamp" + clockMsg,
		"10: toDate() is ClickHouse-only: use CAST(x AS type), or {{hour t}} / {{day t}} for truncation",
		"10: today()" + clockMsg,
	}},
	{"macros.bad.sql", []string{
		`8: {{since "a while"}}: invalid duration "a while" (want a Go duration such as 90m or a number of days such as 7d)`,
		`8: {{since "a while"}} bounds time from below only: add an upper bound, AND time <= {{now}}, or a window evaluated over old data counts everything newer`,
		`9: {{later}}: unknown macro "later" (one of now, since, window_start, hour, day, epoch)`,
		`10: {{hour}}: wrong number of args for hour: want 1 got 0`,
	}},
	{"unterminated.bad.sql", []string{
		"8: unterminated string literal",
		`8: unclosed "("`,
	}},
}

func TestLint(t *testing.T) {
	files, err := filepath.Glob("testdata/lint/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var covered []string
	for _, tt := range lintCases {
		path := filepath.Join("testdata/lint", tt.file)
		covered = append(covered, path)
		t.Run(tt.file, func(t *testing.T) {
			r := mustParse(t, path)
			var got, want []string
			for _, p := range Lint(r) {
				got = append(got, p.String())
			}
			for _, w := range tt.want {
				want = append(want, path+":"+w)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Lint(%s):\n got %s\nwant %s", path, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
		})
	}
	for _, f := range files {
		if !slices.Contains(covered, f) {
			t.Errorf("%s has no case in lintCases", f)
		}
	}
}

// TestLintBuiltin keeps the built-in rules inside the portable subset.
func TestLintBuiltin(t *testing.T) {
	rs, err := LoadAll(Builtin())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		for _, p := range Lint(r) {
			t.Errorf("%s", p)
		}
	}
}

func mustParse(t testing.TB, path string) *Rule {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseRule(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// FuzzLint checks that any SQL lints without panicking and that problems
// point at lines of the file.
func FuzzLint(f *testing.F) {
	files, _ := filepath.Glob("testdata/lint/*.sql")
	for _, file := range files {
		r := mustParse(f, file)
		f.Add(r.SQL)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		if len(sql) > 4096 {
			return
		}
		r := &Rule{ID: "fuzz", Path: "fuzz.sql", SQLLine: 6, Window: 1, SQL: sql}
		lines := 6 + strings.Count(sql, "\n")
		for _, p := range Lint(r) {
			if p.Line < 6 || p.Line > lines {
				t.Errorf("problem at line %d outside the SQL (lines 6-%d): %s", p.Line, lines, p)
			}
		}
		_, _ = r.Render("duckdb", DefaultTestNow)
	})
}
