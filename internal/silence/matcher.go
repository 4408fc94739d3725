// Package silence holds silences: matchers on an alert's labels, an author,
// a reason and a time span during which the alerts they match are still
// stored and listed but not delivered. Matchers are written and matched as
// Prometheus Alertmanager's (and amtool's) are, so its users know them.
package silence

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Op is how a matcher compares a label's value.
type Op string

// The four operators, as Alertmanager writes them.
const (
	OpEqual     Op = "="
	OpNotEqual  Op = "!="
	OpRegexp    Op = "=~"
	OpNotRegexp Op = "!~"
)

// Matcher compares one label of an alert with a value or a regular
// expression. A label the alert lacks has the empty value, as in
// Alertmanager: `user=""` matches an alert without a user, and `user!~".+"`
// too. A regular expression must match the whole value: it is anchored as
// ^(?:re)$.
type Matcher struct {
	Name  string `json:"name"`
	Op    Op     `json:"op"`
	Value string `json:"value"`
	re    *regexp.Regexp
}

// NewMatcher returns a matcher, compiling its regular expression for =~ and
// !~; the error names the matcher.
func NewMatcher(name string, op Op, value string) (Matcher, error) {
	m, err := newMatcher(name, op, value)
	if err != nil {
		return Matcher{}, fmt.Errorf("matcher %s: %w", Matcher{Name: name, Op: op, Value: value}, err)
	}
	return m, nil
}

// newMatcher is NewMatcher with errors that do not name the matcher.
func newMatcher(name string, op Op, value string) (Matcher, error) {
	m := Matcher{Name: name, Op: op, Value: value}
	if !validName(name) {
		return m, fmt.Errorf("bad label name %q: want letters, digits and _, not starting with a digit", name)
	}
	switch op {
	case OpEqual, OpNotEqual:
	case OpRegexp, OpNotRegexp:
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return m, fmt.Errorf("bad regular expression: %w", err)
		}
		m.re = re
	default:
		return m, fmt.Errorf("unknown operator %q: want =, !=, =~ or !~", string(op))
	}
	return m, nil
}

// validName reports whether s is a label name: [a-zA-Z_][a-zA-Z0-9_]*, as
// Alertmanager's classic matchers take them.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// ParseMatcher reads a matcher as amtool takes one: name, operator (=, !=,
// =~, !~) and value, e.g. `host=192.168.10.41`, `rule=~"port-.*"` or
// `severity!="low"`. A value in double quotes may hold Go escapes (\" \\
// \n); one without quotes is taken as it stands, spaces around it trimmed.
// Errors name the matcher.
func ParseMatcher(s string) (Matcher, error) {
	text := strings.TrimSpace(s)
	i := strings.IndexAny(text, "=!")
	if i < 0 {
		return Matcher{}, fmt.Errorf("matcher %q: no operator: want name=value, name!=value, name=~regex or name!~regex", s)
	}
	name, rest := strings.TrimSpace(text[:i]), text[i:]
	var op Op
	switch {
	case strings.HasPrefix(rest, "=~"):
		op = OpRegexp
	case strings.HasPrefix(rest, "!~"):
		op = OpNotRegexp
	case strings.HasPrefix(rest, "!="):
		op = OpNotEqual
	case strings.HasPrefix(rest, "="):
		op = OpEqual
	default:
		return Matcher{}, fmt.Errorf("matcher %q: no operator: want name=value, name!=value, name=~regex or name!~regex", s)
	}
	if name == "" {
		return Matcher{}, fmt.Errorf("matcher %q: no label name before %s", s, op)
	}
	value := strings.TrimSpace(rest[len(op):])
	if strings.HasPrefix(value, `"`) {
		v, err := strconv.Unquote(value)
		if err != nil {
			return Matcher{}, fmt.Errorf("matcher %q: bad quoted value %s: want one double-quoted string with Go escapes", s, value)
		}
		value = v
	}
	m, err := newMatcher(name, op, value)
	if err != nil {
		return Matcher{}, fmt.Errorf("matcher %q: %w", s, err)
	}
	return m, nil
}

// ParseMatchers parses each of args with ParseMatcher.
func ParseMatchers(args []string) ([]Matcher, error) {
	out := make([]Matcher, 0, len(args))
	for _, a := range args {
		m, err := ParseMatcher(a)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Matches reports whether the label value v (the empty string for a label
// the alert lacks) satisfies the matcher.
func (m Matcher) Matches(v string) bool {
	switch m.Op {
	case OpEqual:
		return v == m.Value
	case OpNotEqual:
		return v != m.Value
	case OpRegexp:
		return m.re != nil && m.re.MatchString(v)
	case OpNotRegexp:
		return m.re != nil && !m.re.MatchString(v)
	}
	return false
}

// String renders the matcher as amtool prints one, its value quoted:
// `rule=~"port-.*"`. ParseMatcher reads it back.
func (m Matcher) String() string {
	return m.Name + string(m.Op) + strconv.Quote(m.Value)
}

// UnmarshalJSON reads a matcher as MarshalJSON (the default) writes it, and
// compiles its regular expression.
func (m *Matcher) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name  string `json:"name"`
		Op    Op     `json:"op"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	nm, err := NewMatcher(raw.Name, raw.Op, raw.Value)
	if err != nil {
		return err
	}
	*m = nm
	return nil
}

// Matchers is the conjunction of matchers a silence holds.
type Matchers []Matcher

// Matches reports whether labels satisfy every matcher; a missing label
// counts as the empty string.
func (ms Matchers) Matches(labels map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(labels[m.Name]) {
			return false
		}
	}
	return true
}

// String renders the matchers as amtool does: space-separated, each quoted.
func (ms Matchers) String() string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, " ")
}
