package rules

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// dialect is how one SQL engine spells what the macros stand for.
type dialect struct {
	timestamp func(t time.Time) string // a literal of a UTC time at second resolution
	hour, day func(expr string) string // truncation of a time expression
	// epoch is a time expression as whole seconds since 1970-01-01 UTC, a
	// signed 64-bit integer on every engine, so differences of times are
	// numbers the rule can compare (travel times, hours of the day).
	epoch func(expr string) string
	// batch is how many evaluations of a rule EvalAt runs in one query.
	// Stepping port-scan-burst's 10-minute window across 1M events (336
	// evaluations), measured on two busy cores: DuckDB runs them one query
	// each in 3.5-4.7 s, batched 8 to a query in 4.9-6.9 s and 64 in
	// 15-25 s (one query's branches contend); ClickHouse 18.16 in 2.9-4.4 s
	// one by one, 1.9-2.1 s by 8, 2.1-3.0 s by 64, as each query costs it
	// a round trip and a fixed start.
	batch int
}

// dialects are the engines rules run on, keyed by store.Store.Dialect().
var dialects = map[string]dialect{
	"duckdb": {
		timestamp: func(t time.Time) string { return "TIMESTAMP '" + t.Format(time.DateTime) + "'" },
		hour:      func(e string) string { return "date_trunc('hour', " + e + ")" },
		day:       func(e string) string { return "date_trunc('day', " + e + ")" },
		epoch:     func(e string) string { return "CAST(epoch(" + e + ") AS BIGINT)" },
		batch:     1,
	},
	"clickhouse": {
		timestamp: func(t time.Time) string { return "toDateTime('" + t.Format(time.DateTime) + "', 'UTC')" },
		hour:      func(e string) string { return "toStartOfHour(" + e + ")" },
		day:       func(e string) string { return "toStartOfDay(" + e + ")" },
		epoch:     func(e string) string { return "toInt64(toUnixTimestamp(" + e + "))" },
		batch:     8,
	},
}

// Dialects lists the SQL dialects Render knows.
func Dialects() []string {
	names := make([]string, 0, len(dialects))
	for n := range dialects {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// macroNames are the macros a rule may use; the linter rejects any other
// template action, so rules stay plain SQL plus these few words.
var macroNames = []string{"now", "since", "window_start", "hour", "day", "epoch"}

// exprMacros take one argument, which may be written bare:
// {{hour s.time}} is {{hour "s.time"}}.
var exprMacros = []string{"since", "hour", "day", "epoch"}

// Render returns the rule's SQL for a dialect ("duckdb", "clickhouse"),
// evaluated at now: each macro becomes a literal or an engine function, times
// computed in Go at second resolution, so a rule's result depends on now
// alone. A single trailing ";" is dropped so the SQL nests as a subquery.
func (r *Rule) Render(dialectName string, now time.Time) (string, error) {
	d, ok := dialects[dialectName]
	if !ok {
		return "", fmt.Errorf("rule %q: unknown SQL dialect %q (one of %s)", r.ID, dialectName, strings.Join(Dialects(), ", "))
	}
	toks, probs := lex(r.SQL)
	if len(probs) > 0 {
		return "", fmt.Errorf("%s:%d: rule %q: %s", r.Path, r.SQLLine+probs[0].line-1, r.ID, probs[0].reason)
	}
	end := len(r.SQL)
	if n := len(toks); n > 0 && toks[n-1].is(";") {
		end = toks[n-1].pos
	}
	var b strings.Builder
	at := 0
	for _, t := range toks {
		if t.kind != tMacro || t.pos >= end {
			continue
		}
		out, err := renderMacro(t.text, d, now, r.Window)
		if err != nil {
			return "", fmt.Errorf("%s:%d: rule %q: %s: %w", r.Path, r.SQLLine+t.line-1, r.ID, t.text, err)
		}
		b.WriteString(r.SQL[at:t.pos])
		b.WriteString(out)
		at = t.end
	}
	b.WriteString(r.SQL[at:end])
	return strings.TrimRight(b.String(), " \t\r\n"), nil
}

// renderMacro renders one {{...}} action with text/template.
func renderMacro(action string, d dialect, now time.Time, window time.Duration) (string, error) {
	now = now.UTC().Truncate(time.Second)
	body := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(action, "{{"), "}}"))
	name, arg, _ := strings.Cut(body, " ")
	if !slices.Contains(macroNames, name) {
		return "", fmt.Errorf("unknown macro %q (one of %s)", name, strings.Join(macroNames, ", "))
	}
	if arg = strings.TrimSpace(arg); arg != "" && slices.Contains(exprMacros, name) &&
		arg[0] != '"' && arg[0] != '`' {
		arg = strconv.Quote(arg)
	}
	var failed error // the first macro error; template's own wrapping would hide the line we know
	fail := func(err error) string {
		if failed == nil {
			failed = err
		}
		return ""
	}
	funcs := template.FuncMap{
		"now":          func() string { return d.timestamp(now) },
		"window_start": func() string { return d.timestamp(now.Add(-window)) },
		"since": func(s string) string {
			dur, err := parseDuration(s)
			if err != nil {
				return fail(err)
			}
			if dur <= 0 {
				return fail(fmt.Errorf("since %q: duration must be positive", s))
			}
			return d.timestamp(now.Add(-dur))
		},
		"hour":  func(e string) string { return expr(e, d.hour, fail) },
		"day":   func(e string) string { return expr(e, d.day, fail) },
		"epoch": func(e string) string { return expr(e, d.epoch, fail) },
	}
	tmpl, err := template.New("macro").Funcs(funcs).Parse("{{" + strings.TrimSpace(name+" "+arg) + "}}")
	if err != nil {
		return "", macroErr(err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, nil); err != nil {
		return "", macroErr(err)
	}
	return b.String(), failed
}

func expr(e string, f func(string) string, fail func(error) string) string {
	if strings.TrimSpace(e) == "" {
		return fail(fmt.Errorf("needs a column expression"))
	}
	return f(e)
}

// macroErr strips text/template's position prefixes ("template: macro:1:2:
// executing ... at <since>: "): the caller knows the line in the rule file,
// which the one-action template does not.
func macroErr(err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "template: macro:"); ok {
		if _, after, ok := strings.Cut(rest, ": "); ok {
			msg = after
		}
		if _, after, ok := strings.Cut(msg, ">: "); ok && strings.HasPrefix(msg, "executing ") {
			msg = after
		}
	}
	return errors.New(msg)
}

// parseDuration parses a Go duration ("90m", "1h30m") or a number of days
// ("7d"), the forms a rule window and a relative test time take.
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseUint(n, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (want a Go duration such as 90m or a number of days such as 7d)", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || s == "" || !isLetter(s[len(s)-1]) {
		return 0, fmt.Errorf("invalid duration %q (want a Go duration such as 90m or a number of days such as 7d)", s)
	}
	return d, nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
