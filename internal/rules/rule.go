// Package rules loads detection rules (SQL files with YAML metadata), renders
// their macros for a SQL engine, lints them against the SQL subset every
// engine runs, evaluates them, and runs their fixture tests.
package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	builtin "github.com/homesoc/homesoc/rules"
)

// Rule is one detection rule: a SELECT whose rows are findings, grouped into
// alerts by the GroupBy columns.
type Rule struct {
	ID       string        // unique across all loaded rules: [a-z0-9-]+
	Title    string        // one line for an alert
	Severity string        // info, low, medium, high or critical
	Window   time.Duration // how far back the rule looks: {{window_start}} is now minus Window
	Schedule time.Duration // how often to run it; 0 leaves it to the engine
	// ResolveAfter resolves the rule's open and acknowledged alerts once
	// they have had no new evidence for this long before an evaluation;
	// 0 (the default) never resolves them.
	ResolveAfter time.Duration
	GroupBy      []string // result columns whose values identify an alert
	Tags         []string
	Description  string
	Runbook      string
	// Requires names what the rule needs beyond the store (see
	// Requirement), e.g. "geoip": detect skips it, saying why, without.
	Requires []string

	SQL     string    // the SQL template, macros unrendered
	Path    string    // the .sql file, as shown in messages
	SQLLine int       // line of Path where SQL starts
	Tests   *TestFile // the tests beside the rule; nil when there are none

	idLine int // line of the id key, for duplicate-id messages
}

// Severities are the severities a rule may have, least severe first.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// Source is a directory of rule files.
type Source struct {
	FS   fs.FS  // e.g. the built-in rules or os.DirFS(dir)
	Dir  string // the directory within FS; "." for its root
	Name string // shown instead of Dir in paths of messages; "" shows Dir
}

// DirSource is a directory of the local file system.
func DirSource(dir string) Source {
	name := dir
	if name == "" {
		name = `""` // say which: an empty --rules, not the current directory
	}
	return Source{FS: os.DirFS(dir), Dir: ".", Name: name}
}

// Builtin is the rules compiled into homesoc (the repository's rules/).
func Builtin() Source { return Source{FS: builtin.FS, Dir: ".", Name: "builtin"} }

// Load loads every rule (*.sql) of a directory, not recursively, with the
// test file beside each (NAME.test.yaml), if any. The error lists every
// problem found, one per line, as path:line: rule "id": reason.
func Load(fsys fs.FS, dir string) ([]*Rule, error) {
	return LoadAll(Source{FS: fsys, Dir: dir})
}

// LoadAll loads the rules of several sources, such as Builtin() and the
// operator's directories; a rule id must be unique across all of them. It
// returns every rule that loaded, and an error that lists every problem,
// one per line as path:line: reason (Problems splits it): a rule whose own
// file or test file is broken is left out, the others still load, so that
// one broken file does not stop the rest from running.
func LoadAll(sources ...Source) ([]*Rule, error) {
	var (
		all  []*Rule
		errs []error
		byID = map[string]*Rule{}
	)
	for _, src := range sources {
		rs, err := loadSource(src)
		errs = append(errs, err)
		for _, r := range rs {
			if prev, dup := byID[r.ID]; dup {
				errs = append(errs, fmt.Errorf("%s:%d: rule %q: duplicate id, also defined at %s:%d",
					r.Path, r.idLine, r.ID, prev.Path, prev.idLine))
				continue
			}
			byID[r.ID] = r
			all = append(all, r)
		}
	}
	return all, errors.Join(errs...)
}

// Problems splits an error of LoadAll into its problems, each at its file
// and line (line 0 when a problem concerns a whole file or directory).
func Problems(err error) []Problem {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []Problem
		for _, e := range j.Unwrap() {
			out = append(out, Problems(e)...)
		}
		return out
	}
	msg := err.Error()
	at, reason, ok := strings.Cut(msg, ": ")
	if !ok || strings.ContainsAny(at, " ") {
		return []Problem{{Reason: msg}}
	}
	p := Problem{Path: at, Reason: reason}
	if i := strings.LastIndexByte(at, ':'); i > 0 {
		if n, err := strconv.Atoi(at[i+1:]); err == nil {
			p.Path, p.Line = at[:i], n
		}
	}
	return []Problem{p}
}

func loadSource(src Source) ([]*Rule, error) {
	shown := src.Name
	if shown == "" {
		shown = src.Dir
	}
	ents, err := fs.ReadDir(src.FS, src.Dir)
	if err != nil {
		// The path in fs's error is relative to the source ("open ."):
		// say which directory it is instead.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read rules dir %s: %w", shown, err)
	}
	names := map[string]bool{}
	for _, e := range ents {
		if !e.IsDir() {
			names[e.Name()] = true
		}
	}
	var (
		out  []*Rule
		errs []error
	)
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		if base, ok := strings.CutSuffix(name, ".test.yaml"); ok && !names[base+".sql"] {
			errs = append(errs, fmt.Errorf("%s: test file without a rule (%s)", path.Join(shown, name), base+".sql"))
			continue
		}
		base, ok := strings.CutSuffix(name, ".sql")
		if !ok {
			continue
		}
		data, err := fs.ReadFile(src.FS, path.Join(src.Dir, name))
		if err != nil {
			errs = append(errs, fmt.Errorf("read rule: %w", err))
			continue
		}
		r, err := parseRule(path.Join(shown, name), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if names[base+".test.yaml"] {
			data, err := fs.ReadFile(src.FS, path.Join(src.Dir, base+".test.yaml"))
			if err != nil {
				errs = append(errs, fmt.Errorf("read rule tests: %w", err))
				continue
			}
			if r.Tests, err = parseTestFile(path.Join(shown, base+".test.yaml"), data); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// meta is the YAML header of a rule file.
type meta struct {
	ID           string   `yaml:"id"`
	Title        string   `yaml:"title"`
	Severity     string   `yaml:"severity"`
	Window       string   `yaml:"window"`
	Schedule     string   `yaml:"schedule"`
	ResolveAfter string   `yaml:"resolve_after"`
	GroupBy      []string `yaml:"group_by"`
	Tags         []string `yaml:"tags"`
	Description  string   `yaml:"description"`
	Runbook      string   `yaml:"runbook"`
	Requires     []string `yaml:"requires"`
}

// parseRule parses a rule file: a leading block of "-- " comment lines holding
// YAML metadata, then the SQL.
func parseRule(file string, data []byte) (*Rule, error) {
	lines := strings.SplitAfter(string(data), "\n")
	first := 0 // blank lines before the header are allowed
	for first < len(lines) && strings.TrimSpace(lines[first]) == "" {
		first++
	}
	var y strings.Builder
	n := first
	for ; n < len(lines); n++ {
		l := strings.TrimLeft(lines[n], " \t")
		if !strings.HasPrefix(l, "--") {
			break
		}
		l = strings.TrimPrefix(l[2:], " ")
		if strings.TrimSpace(l) == "" {
			l = "\n"
		}
		y.WriteString(l)
	}
	if n == first {
		return nil, fmt.Errorf("%s:1: no metadata: a rule file starts with YAML metadata in \"-- \" comment lines (id, title, severity, window, group_by)", file)
	}
	r := &Rule{Path: file, SQLLine: n + 1}
	for r.SQLLine <= len(lines) && strings.TrimSpace(lines[r.SQLLine-1]) == "" {
		r.SQLLine++
	}
	if r.SQLLine <= len(lines) {
		r.SQL = strings.TrimRight(strings.Join(lines[r.SQLLine-1:], ""), " \t\r\n")
	}
	if err := r.parseMeta(y.String(), first); err != nil {
		return nil, err
	}
	if r.SQL == "" {
		return nil, fmt.Errorf("%s:%d: rule %q: no SQL after the metadata", file, r.SQLLine, r.ID)
	}
	return r, nil
}

// parseMeta decodes the metadata strictly and checks what it means. offset is
// the number of file lines before the YAML's first line.
func (r *Rule) parseMeta(text string, offset int) error {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil {
		return yamlErr(r.Path, offset, "", err)
	}
	keys := map[string]int{} // key -> file line
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			keys[m.Content[i].Value] = m.Content[i].Line + offset
			if m.Content[i].Value == "id" && m.Content[i+1].Kind == yaml.ScalarNode {
				r.ID = m.Content[i+1].Value
			}
		}
	}
	var m meta
	dec := yaml.NewDecoder(bytes.NewReader([]byte(text)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return yamlErr(r.Path, offset, r.ID, err)
	}
	r.idLine = offset + 1
	if l, ok := keys["id"]; ok {
		r.idLine = l
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		line, ok := keys[key]
		if !ok {
			line = offset + 1
		}
		errs = append(errs, ruleErr(r.Path, line, r.ID, fmt.Sprintf(format, args...)))
	}
	r.Title, r.Severity, r.GroupBy, r.Tags = m.Title, m.Severity, m.GroupBy, m.Tags
	r.Description, r.Runbook = m.Description, m.Runbook
	switch {
	case m.ID == "":
		bad("id", "missing id")
	case !validID(m.ID):
		bad("id", "invalid id %q: use lower-case letters, digits and -", m.ID)
	}
	if strings.TrimSpace(m.Title) == "" {
		bad("title", "missing title")
	}
	if !slices.Contains(Severities, m.Severity) {
		if m.Severity == "" {
			bad("severity", "missing severity (one of %s)", strings.Join(Severities, ", "))
		} else {
			bad("severity", "invalid severity %q (one of %s)", m.Severity, strings.Join(Severities, ", "))
		}
	}
	if m.Window == "" {
		bad("window", "missing window (a Go duration such as 10m, or days such as 7d)")
	} else if d, err := parseDuration(m.Window); err != nil {
		bad("window", "window: %v", err)
	} else if d <= 0 {
		bad("window", "window %q must be positive", m.Window)
	} else {
		r.Window = d
	}
	if m.Schedule != "" {
		if d, err := parseDuration(m.Schedule); err != nil {
			bad("schedule", "schedule: %v", err)
		} else if d <= 0 {
			bad("schedule", "schedule %q must be positive", m.Schedule)
		} else {
			r.Schedule = d
		}
	}
	if m.ResolveAfter != "" {
		if d, err := parseDuration(m.ResolveAfter); err != nil {
			bad("resolve_after", "resolve_after: %v", err)
		} else if d <= 0 {
			bad("resolve_after", "resolve_after %q must be positive", m.ResolveAfter)
		} else {
			r.ResolveAfter = d
		}
	}
	if len(m.GroupBy) == 0 {
		bad("group_by", "missing group_by: the result columns that identify an alert, such as [host]")
	}
	seen := map[string]bool{}
	for _, c := range m.GroupBy {
		switch {
		case strings.TrimSpace(c) == "":
			bad("group_by", "empty column name in group_by")
		case seen[c]:
			bad("group_by", "column %q twice in group_by", c)
		}
		seen[c] = true
	}
	r.parseRequires(m.Requires, bad)
	return errors.Join(errs...)
}

func validID(id string) bool {
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return id != ""
}

// ruleErr formats a problem as path:line: rule "id": reason, leaving out the
// rule part when the id is not known.
func ruleErr(file string, line int, id, reason string) error {
	if id == "" {
		return fmt.Errorf("%s:%d: %s", file, line, reason)
	}
	return fmt.Errorf("%s:%d: rule %q: %s", file, line, id, reason)
}

// yamlParserErrs are the yaml.v3 parser (not scanner) errors, whose line it
// reports 0-based.
var yamlParserErrs = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"did not find expected node content", "did not find expected '-' indicator", "did not find expected key",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "found undefined tag handle",
	"found duplicate %YAML directive", "found duplicate %TAG directive", "found incompatible YAML document",
}

// yamlErr turns yaml.v3's errors ("yaml: line 3: ...", "line 3: field x not
// found in type ...") into one error per problem at the file's line.
func yamlErr(file string, offset int, id string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	errs := make([]error, 0, len(msgs))
	for _, msg := range msgs {
		line := offset + 1
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if num, after, ok := strings.Cut(rest, ": "); ok {
				if n, err := strconv.Atoi(num); err == nil {
					line, msg = n+offset, after
					if slices.Contains(yamlParserErrs, msg) {
						line++ // yaml.v3 reports a parser error's line 0-based
					}
				}
			}
		}
		if before, num, ok := strings.Cut(msg, " already defined at line "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				msg = fmt.Sprintf("%s already defined at line %d", before, n+offset)
			}
		}
		if name, ok := strings.CutPrefix(msg, "field "); ok {
			if name, _, ok := strings.Cut(name, " not found in type "); ok {
				msg = fmt.Sprintf("unknown key %q", name)
			}
		}
		errs = append(errs, ruleErr(file, line, id, msg))
	}
	return errors.Join(errs...)
}
