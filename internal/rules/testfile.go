package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/homesoc/homesoc/internal/store"
)

// DefaultTestNow is when tests evaluate rules unless their file says
// otherwise.
var DefaultTestNow = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

// TestFile holds the tests of one rule (NAME.test.yaml beside NAME.sql).
type TestFile struct {
	Path  string
	Now   time.Time // the file's evaluation time
	Tests []*TestCase
}

// TestCase loads fixture rows into an empty store, evaluates the rule at Now
// and compares what it returns with Expect, ignoring order.
type TestCase struct {
	Name   string
	Line   int       // where the case starts in the test file
	Now    time.Time // the case's own now, else the file's
	Input  []TableRows
	Expect []Row // the exact rows; none asserts silence
}

// TableRows are fixture rows for one table. Values are as YAML typed them,
// except that relative times ("-2h", "now") and RFC 3339 strings are
// time.Time.
type TableRows struct {
	Table string
	Line  int
	Rows  []map[string]any
}

// Row is one expected row: its columns as written and their values, typed as
// in TableRows.
type Row struct {
	Line    int
	Columns []string
	Values  map[string]any
}

type testFileYAML struct {
	Now   yaml.Node      `yaml:"now"`
	Tests []testCaseYAML `yaml:"tests"`
}

type testCaseYAML struct {
	Name   yaml.Node `yaml:"name"`
	Now    yaml.Node `yaml:"now"`
	Input  yaml.Node `yaml:"input"`
	Expect yaml.Node `yaml:"expect"`
}

// parseTestFile parses a rule's test file strictly: unknown keys, unknown
// tables and a missing expect are errors at their line.
func parseTestFile(file string, data []byte) (*TestFile, error) {
	var raw testFileYAML
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s:1: empty test file: want tests:", file)
		}
		return nil, yamlErr(file, 0, "", err)
	}
	tf := &TestFile{Path: file, Now: DefaultTestNow}
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...)))
	}
	if raw.Now.Kind != 0 {
		t, err := time.Parse(time.RFC3339, raw.Now.Value)
		if err != nil {
			bad(raw.Now.Line, "now %q: want an RFC 3339 time such as 2026-01-10T12:00:00Z", raw.Now.Value)
		}
		tf.Now = t.UTC()
	}
	if len(raw.Tests) == 0 {
		bad(1, "no tests: want tests: with at least one case expecting rows and one expecting []")
	}
	names := map[string]int{}
	for i, c := range raw.Tests {
		tc := &TestCase{Name: strings.TrimSpace(c.Name.Value), Line: caseLine(c), Now: tf.Now}
		label := fmt.Sprintf("test %d", i+1)
		if tc.Name != "" {
			label = fmt.Sprintf("test %q", tc.Name)
		}
		fail := func(line int, format string, args ...any) {
			bad(line, "%s: %s", label, fmt.Sprintf(format, args...))
		}
		switch prev, dup := names[tc.Name]; {
		case tc.Name == "":
			fail(tc.Line, "missing name")
		case dup:
			fail(tc.Line, "duplicate name, also at line %d", prev)
		}
		names[tc.Name] = tc.Line
		if c.Now.Kind != 0 {
			if t, ok := parseTime(c.Now.Value, tf.Now); ok {
				tc.Now = t
			} else {
				fail(c.Now.Line, "now %q: want an RFC 3339 time, or one relative to the file's now such as +1h", c.Now.Value)
			}
		}
		var perrs []error
		tc.Input, perrs = parseInput(&c.Input, tc.Now)
		for _, err := range perrs {
			fail(lineOf(err, c.Input.Line), "input: %v", err)
		}
		if c.Expect.Kind == 0 || c.Expect.ShortTag() == "!!null" {
			fail(tc.Line, "missing expect: the exact rows the rule returns, [] for none")
		} else {
			tc.Expect, perrs = parseRows(&c.Expect, tc.Now)
			for _, err := range perrs {
				fail(lineOf(err, c.Expect.Line), "expect: %v", err)
			}
		}
		tf.Tests = append(tf.Tests, tc)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return tf, nil
}

func caseLine(c testCaseYAML) int {
	for _, n := range []yaml.Node{c.Name, c.Now, c.Input, c.Expect} {
		if n.Line > 0 {
			return n.Line
		}
	}
	return 1
}

// nodeErr is a problem at a line of the test file.
type nodeErr struct {
	line int
	msg  string
}

func (e *nodeErr) Error() string { return e.msg }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &nodeErr{n.Line, fmt.Sprintf(format, args...)}
}

func lineOf(err error, def int) int {
	var ne *nodeErr
	if errors.As(err, &ne) {
		return ne.line
	}
	return def
}

// parseInput reads table: [rows...] in file order, and every problem.
func parseInput(n *yaml.Node, now time.Time) ([]TableRows, []error) {
	if n.Kind == 0 || n.ShortTag() == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, []error{errAt(n, "want a mapping of table to rows")}
	}
	var (
		out  []TableRows
		errs []error
	)
tables:
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(store.Tables, k.Value) {
			errs = append(errs, errAt(k, "unknown table %q (one of %s)", k.Value, strings.Join(store.Tables, ", ")))
			continue
		}
		for _, prev := range out {
			if prev.Table == k.Value {
				errs = append(errs, errAt(k, "table %q twice, also at line %d", k.Value, prev.Line))
				continue tables
			}
		}
		rows, rerrs := parseRows(v, now)
		errs = append(errs, rerrs...)
		tr := TableRows{Table: k.Value, Line: k.Line}
		for _, r := range rows {
			tr.Rows = append(tr.Rows, r.Values)
		}
		out = append(out, tr)
	}
	return out, errs
}

// parseRows reads a sequence of {column: value} mappings, and every
// problem.
func parseRows(n *yaml.Node, now time.Time) ([]Row, []error) {
	if n.ShortTag() == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, []error{errAt(n, "want a list of rows ([] for none)")}
	}
	rows := make([]Row, 0, len(n.Content))
	var errs []error
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			errs = append(errs, errAt(item, "want a row as {column: value, ...}"))
			continue
		}
		r := Row{Line: item.Line, Values: make(map[string]any, len(item.Content)/2)}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Value == "" {
				errs = append(errs, errAt(k, "want a column name"))
				continue
			}
			if _, dup := r.Values[k.Value]; dup {
				errs = append(errs, errAt(k, "column %q twice in one row", k.Value))
				continue
			}
			val, err := scalar(v, now)
			if err != nil {
				errs = append(errs, errAt(v, "column %q: %v", k.Value, err))
				continue
			}
			r.Columns = append(r.Columns, k.Value)
			r.Values[k.Value] = val
		}
		rows = append(rows, r)
	}
	return rows, errs
}

// scalar converts a YAML value: a string holding a relative time ("-2h",
// "+5m", "-1d", "0s", "now") or an RFC 3339 time becomes a time.Time, so
// tests read in offsets from now; everything else keeps its YAML type. An
// explicit !!str tag keeps such a string a string.
func scalar(n *yaml.Node, now time.Time) (any, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("want a single value")
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!str":
		if n.Style&yaml.TaggedStyle == 0 {
			if t, ok := parseTime(n.Value, now); ok {
				return t, nil
			}
		}
		return n.Value, nil
	case "!!timestamp":
		var t time.Time
		if err := n.Decode(&t); err != nil {
			return nil, err
		}
		return t.UTC(), nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// parseTime reads "now", an offset from now ("-2h", "+90m", "-1d", "0s") or
// an RFC 3339 time.
func parseTime(s string, now time.Time) (time.Time, bool) {
	if s == "now" {
		return now, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	sign, rest := time.Duration(1), s
	if r, ok := strings.CutPrefix(s, "-"); ok {
		sign, rest = -1, r
	} else if r, ok := strings.CutPrefix(s, "+"); ok {
		rest = r
	}
	if rest == "" || !isDigit(rest[0]) {
		return time.Time{}, false
	}
	d, err := parseDuration(rest)
	if err != nil {
		return time.Time{}, false
	}
	return now.Add(sign * d), true
}
