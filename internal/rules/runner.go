package rules

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Store is what a rule test needs of a storage engine: a fresh empty
// database to load fixtures into and query. store.Store satisfies it.
type Store interface {
	Querier
	// LoadRows inserts rows given as column -> value, filling omitted
	// columns with their defaults.
	LoadRows(ctx context.Context, table string, rows []map[string]any) error
	Close() error
}

// TestEnv is where rule tests run.
type TestEnv struct {
	// Open returns a FRESH empty store; every test case gets its own.
	Open func(ctx context.Context) (Store, error)
	// Prepare, if set, runs after the fixtures are loaded and before the rule
	// is evaluated at now: homesoc derives sightings there (the retro-hunt
	// of the loaded indicators over the loaded events), as it does in
	// production before rules run.
	Prepare func(ctx context.Context, s Store, now time.Time) error
}

// Test statuses of a TestResult.
const (
	StatusOK       = "ok"
	StatusFail     = "fail"
	StatusUntested = "untested" // the rule has no tests: not a failure (rules lint --strict makes it one)
)

// TestResult is the outcome of one test case of a rule, or of a check of
// the rule as a whole (its tests missing or lacking a positive or negative
// case).
type TestResult struct {
	Rule    string   `json:"rule"`
	Test    string   `json:"test"`    // the case's name, or what the rule lacks
	Status  string   `json:"status"`  // StatusOK, StatusFail or StatusUntested
	Details []string `json:"details"` // what differed or went wrong, line by line; [] when ok
}

// statusWords start a result's line in the text report.
var statusWords = map[string]string{StatusOK: "ok  ", StatusFail: "FAIL", StatusUntested: "untested"}

// WriteText writes the result as "ok   id: name" or "FAIL id: name" (or
// "untested id: no tests") and its details indented below.
func (r TestResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%s %s: %s\n", statusWords[r.Status], r.Rule, r.Test)
	for _, d := range r.Details {
		fmt.Fprintf(w, "    %s\n", d)
	}
}

// TestReport counts the results of RunTests.
type TestReport struct {
	Passed   int          `json:"passed"`
	Failed   int          `json:"failed"`
	Untested int          `json:"untested"` // rules without tests
	Results  []TestResult `json:"results"`
}

// Summary is the report's last line: "N passed, N failed", and ", N
// untested" when some rules have no tests.
func (r TestReport) Summary() string {
	s := fmt.Sprintf("%d passed, %d failed", r.Passed, r.Failed)
	if r.Untested > 0 {
		s += fmt.Sprintf(", %d untested", r.Untested)
	}
	return s
}

// RunTests runs the tests of rules, writing one line per test ("ok   id:
// name" or "FAIL id: name" and what differed) and, last, "N passed, N
// failed". A rule without tests is listed as untested; a rule fails a test
// of its own when its tests lack a case that expects rows or one that
// expects silence ([]); all its cases fail when it does not lint clean.
func RunTests(ctx context.Context, rules []*Rule, env TestEnv, w io.Writer) (passed, failed int) {
	rep := Test(ctx, rules, env, func(r TestResult) { r.WriteText(w) })
	fmt.Fprintln(w, rep.Summary())
	return rep.Passed, rep.Failed
}

// Test runs the tests of rules as RunTests does, calling each (if not nil)
// with every result as it comes, and returns them all.
func Test(ctx context.Context, rules []*Rule, env TestEnv, each func(TestResult)) TestReport {
	rep := TestReport{Results: []TestResult{}}
	add := func(r TestResult) {
		if r.Details == nil {
			r.Details = []string{}
		}
		switch r.Status {
		case StatusOK:
			rep.Passed++
		case StatusFail:
			rep.Failed++
		case StatusUntested:
			rep.Untested++
		}
		rep.Results = append(rep.Results, r)
		if each != nil {
			each(r)
		}
	}
	for _, r := range rules {
		probs := Lint(r)
		fail := func(name string, body ...string) {
			res := TestResult{Rule: r.ID, Test: name, Status: StatusFail}
			for _, b := range body {
				for _, l := range strings.Split(b, "\n") { // engines' errors span lines
					if strings.TrimSpace(l) != "" {
						res.Details = append(res.Details, l)
					}
				}
			}
			add(res)
		}
		if r.Tests == nil {
			add(TestResult{Rule: r.ID, Test: "no tests", Status: StatusUntested,
				Details: []string{"want " + testFileOf(r) + ", with a case expecting rows and one expecting []"}})
			continue
		}
		if test, p := coverage(r); test != "" {
			fail(test, p.Path+": "+p.Reason)
		}
		for _, tc := range r.Tests.Tests {
			if len(probs) > 0 {
				body := []string{"not run: the rule fails lint"}
				for _, p := range probs {
					body = append(body, "  "+p.String())
				}
				fail(tc.Name, body...)
				continue
			}
			if body := runCase(ctx, r, tc, env); len(body) > 0 {
				fail(tc.Name, body...)
				continue
			}
			add(TestResult{Rule: r.ID, Test: tc.Name, Status: StatusOK})
		}
	}
	return rep
}

// testFileOf is where a rule's tests belong.
func testFileOf(r *Rule) string { return strings.TrimSuffix(r.Path, ".sql") + ".test.yaml" }

// coverage says what a rule's tests lack, as a test name and a reason at
// a file: a case that expects rows (the rule can fire) and one that expects
// [] (it stays silent); "" when they have both.
func coverage(r *Rule) (test string, p Problem) {
	if r.Tests == nil {
		return "no tests", Problem{r.Path, r.idLine, "no tests: want " + testFileOf(r) + ", with a case expecting rows and one expecting []"}
	}
	var pos, neg bool
	for _, tc := range r.Tests.Tests {
		pos = pos || len(tc.Expect) > 0
		neg = neg || len(tc.Expect) == 0
	}
	at := func(test, reason string) (string, Problem) { return test, Problem{r.Tests.Path, 1, reason} }
	switch {
	case !pos && !neg:
		return at("no tests", "want a case expecting rows and one expecting []")
	case !pos:
		return at("no positive test", "want a case that expects rows, to prove the rule can fire")
	case !neg:
		return at("no negative test", "want a case that expects [], to prove the rule stays silent")
	}
	return "", Problem{}
}

// runCase runs one test case in a fresh store and returns what went wrong,
// as lines; none when the rule returned exactly the expected rows.
func runCase(ctx context.Context, r *Rule, tc *TestCase, env TestEnv) []string {
	at := fmt.Sprintf("%s:%d", r.Tests.Path, tc.Line)
	if err := ctx.Err(); err != nil {
		return []string{at + ": " + err.Error()}
	}
	s, err := env.Open(ctx)
	if err != nil {
		return []string{at + ": open store: " + err.Error()}
	}
	defer s.Close()
	for _, in := range tc.Input {
		if err := s.LoadRows(ctx, in.Table, in.Rows); err != nil {
			return []string{fmt.Sprintf("%s:%d: load %s: %v", r.Tests.Path, in.Line, in.Table, err)}
		}
	}
	if env.Prepare != nil {
		if err := env.Prepare(ctx, s, tc.Now); err != nil {
			return []string{at + ": prepare: " + err.Error()}
		}
	}
	res, err := r.Eval(ctx, s, tc.Now)
	if err != nil {
		return []string{at + ": " + err.Error()}
	}
	return diffRows(r.Tests.Path, tc, res.Columns, res.Rows)
}

// diffRows compares returned rows with the expected ones as multisets of
// canonical rows, and says what differs.
func diffRows(file string, tc *TestCase, cols []string, rows [][]any) []string {
	var out []string
	for i, e := range tc.Expect {
		var lacks, unknown []string
		for _, c := range cols {
			if _, ok := e.Values[c]; !ok {
				lacks = append(lacks, c)
			}
		}
		for _, c := range e.Columns {
			if !slices.Contains(cols, c) {
				unknown = append(unknown, c)
			}
		}
		if len(lacks)+len(unknown) == 0 {
			continue
		}
		if len(out) == 0 {
			out = append(out, fmt.Sprintf("columns: the rule returns {%s}; expected rows must list exactly these", strings.Join(cols, ", ")))
		}
		var what []string
		if len(lacks) > 0 {
			what = append(what, "lacks "+strings.Join(lacks, ", "))
		}
		if len(unknown) > 0 {
			what = append(what, "has unknown "+strings.Join(unknown, ", "))
		}
		out = append(out, fmt.Sprintf("%s:%d: expected row %d %s", file, e.Line, i+1, strings.Join(what, "; ")))
	}

	want := map[string]int{}
	for _, e := range tc.Expect {
		vals := make([]string, 0, len(e.Columns))
		names := make([]string, 0, len(e.Columns))
		for _, c := range cols { // the rule's column order, then any unknown ones
			if v, ok := e.Values[c]; ok {
				names, vals = append(names, c), append(vals, FormatValue(v))
			}
		}
		for _, c := range e.Columns {
			if !slices.Contains(cols, c) {
				names, vals = append(names, c), append(vals, FormatValue(e.Values[c]))
			}
		}
		want[formatRow(names, vals)]++
	}
	var unexpected []string
	for _, row := range rows {
		vals := make([]string, len(row))
		for i, v := range row {
			vals[i] = FormatValue(v)
		}
		k := formatRow(cols, vals)
		if want[k] > 0 {
			want[k]--
			continue
		}
		unexpected = append(unexpected, k)
	}
	var missing []string
	for k, n := range want {
		for range n {
			missing = append(missing, k)
		}
	}
	if len(missing)+len(unexpected) == 0 && len(out) == 0 {
		return nil
	}
	slices.Sort(missing)
	slices.Sort(unexpected)
	out = append([]string{fmt.Sprintf("%s:%d: rows differ, rule evaluated at %s", file, tc.Line, tc.Now.Format(time.RFC3339))}, out...)
	if len(missing) > 0 {
		out = append(out, "missing:")
		for _, k := range missing {
			out = append(out, "  "+k)
		}
	}
	if len(unexpected) > 0 {
		out = append(out, "unexpected:")
		for _, k := range unexpected {
			out = append(out, "  "+k)
		}
	}
	return out
}

// formatRow renders a row as {col: value, ...}.
func formatRow(names, vals []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
		b.WriteString(": ")
		if vals[i] == "" {
			b.WriteString(`""`)
		} else {
			b.WriteString(vals[i])
		}
	}
	b.WriteByte('}')
	return b.String()
}

// FormatValue is the canonical text of a value a rule returned (or a test
// expects), whatever the engine's driver or YAML typed it: times RFC 3339 in
// UTC, integers in decimal, floats in strconv's shortest 'g' form, nil as
// null, bytes and UUIDs as text. Rule tests compare rows in it; alerts
// should keep group_by values in it, so their identity matches the tests'.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case []byte:
		if len(x) == 16 && !utf8.Valid(x) {
			return uuidText(x)
		}
		if utf8.Valid(x) {
			return string(x)
		}
		return hex.EncodeToString(x)
	case [16]byte:
		return uuidText(x[:])
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.FormatInt(int64(x), 10)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint:
		return strconv.FormatUint(uint64(x), 10)
	case uint8:
		return strconv.FormatUint(uint64(x), 10)
	case uint16:
		return strconv.FormatUint(uint64(x), 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case *big.Int:
		return x.String()
	case fmt.Stringer:
		return x.String()
	case error:
		return x.Error()
	}
	return fmt.Sprint(v)
}

func uuidText(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
