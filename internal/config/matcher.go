package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MatchOp is a matcher's operator.
type MatchOp string

// The operators of Alertmanager's matchers.
const (
	MatchEqual     MatchOp = "="
	MatchNotEqual  MatchOp = "!="
	MatchRegexp    MatchOp = "=~"
	MatchNotRegexp MatchOp = "!~"
)

// Matcher is one condition on an alert's label, in Alertmanager's syntax:
// name=value, name!=value, name=~regexp, name!~regexp, the value bare or
// double-quoted (with Go's escapes). A regexp must match the whole value.
type Matcher struct {
	Name  string
	Op    MatchOp
	Value string
	re    *regexp.Regexp
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ParseMatcher reads one matcher, e.g. `severity="critical"` or
// `rule=~"port-.*"`.
func ParseMatcher(s string) (Matcher, error) {
	in := strings.TrimSpace(s)
	i := strings.IndexAny(in, "=!")
	if i < 0 {
		return Matcher{}, fmt.Errorf("bad matcher %q: want name=value, name!=value, name=~regexp or name!~regexp", s)
	}
	m := Matcher{Name: strings.TrimSpace(in[:i])}
	rest := in[i:]
	for _, op := range []MatchOp{MatchRegexp, MatchNotRegexp, MatchNotEqual, MatchEqual} {
		if strings.HasPrefix(rest, string(op)) {
			m.Op, rest = op, strings.TrimSpace(rest[len(op):])
			break
		}
	}
	if m.Op == "" {
		return Matcher{}, fmt.Errorf("bad matcher %q: want name=value, name!=value, name=~regexp or name!~regexp", s)
	}
	if !labelName.MatchString(m.Name) {
		return Matcher{}, fmt.Errorf("bad matcher %q: label name %q must be letters, digits and _, not starting with a digit", s, m.Name)
	}
	if strings.HasPrefix(rest, `"`) {
		v, err := strconv.Unquote(rest)
		if err != nil {
			return Matcher{}, fmt.Errorf("bad matcher %q: unterminated or badly escaped quoted value", s)
		}
		rest = v
	} else if strings.ContainsAny(rest, `"`) {
		return Matcher{}, fmt.Errorf("bad matcher %q: a value with \" must be quoted", s)
	}
	m.Value = rest
	if m.Op == MatchRegexp || m.Op == MatchNotRegexp {
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return Matcher{}, fmt.Errorf("bad matcher %q: %v", s, err)
		}
		m.re = re
	}
	return m, nil
}

// Matches reports whether value meets the matcher.
func (m Matcher) Matches(value string) bool {
	switch m.Op {
	case MatchEqual:
		return value == m.Value
	case MatchNotEqual:
		return value != m.Value
	case MatchRegexp:
		return m.re.MatchString(value)
	case MatchNotRegexp:
		return !m.re.MatchString(value)
	}
	return false
}

// String writes the matcher with its value quoted.
func (m Matcher) String() string { return m.Name + string(m.Op) + strconv.Quote(m.Value) }
