package rules

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is a reason a rule's SQL is outside the portable subset, at a line
// of the rule file.
type Problem struct {
	Path   string `json:"path"`
	Line   int    `json:"line"` // 0: the whole file
	Reason string `json:"reason"`
}

// String formats the problem as path:line: reason, or path: reason for a
// whole file.
func (p Problem) String() string {
	switch {
	case p.Path == "":
		return p.Reason
	case p.Line == 0:
		return fmt.Sprintf("%s: %s", p.Path, p.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Reason)
}

// Lint reports what in a rule's SQL would not run unchanged on both DuckDB and
// ClickHouse 18.16, or would make its result depend on the wall clock. It
// reads tokens, never raw text, so words inside strings, quoted identifiers
// and comments never count.
func Lint(r *Rule) []Problem {
	l := &linter{rule: r}
	toks, lexProbs := lex(r.SQL)
	for _, p := range lexProbs {
		l.addLine(p.line, p.reason)
	}
	l.toks = toks
	l.statements()
	l.walk()
	l.macros()
	slices.SortStableFunc(l.probs, func(a, b Problem) int { return a.Line - b.Line })
	return slices.Compact(l.probs)
}

type linter struct {
	rule  *Rule
	toks  []token
	probs []Problem
}

func (l *linter) addLine(sqlLine int, reason string) {
	l.probs = append(l.probs, Problem{Path: l.rule.Path, Line: l.rule.SQLLine + sqlLine - 1, Reason: reason})
}

func (l *linter) add(t token, format string, args ...any) {
	l.addLine(t.line, fmt.Sprintf(format, args...))
}

// tok returns the token at i, or a zero token past either end.
func (l *linter) tok(i int) token {
	if i < 0 || i >= len(l.toks) {
		return token{kind: -1}
	}
	return l.toks[i]
}

// statements checks that the SQL is one SELECT: a trailing ";" is allowed.
func (l *linter) statements() {
	if len(l.toks) == 0 {
		return
	}
	first := l.toks[0]
	if !first.kw("SELECT") && !first.kw("WITH") && !first.is("(") {
		l.add(first, "a rule is a single SELECT statement, not %s", first.text)
	}
	for i, t := range l.toks {
		if t.is(";") && t.depth == 0 && i+1 < len(l.toks) {
			l.add(l.toks[i+1], "more than one statement: a rule is a single SELECT")
			return
		}
	}
}

// scope is what the linter knows about one parenthesis depth.
type scope struct {
	selects bool   // a SELECT started at this depth
	clause  string // the clause being read: SELECT, FROM, JOIN, ON, WHERE, ...
	joins   int    // JOINs of the current SELECT
	inOn    bool   // inside a JOIN's ON clause at an outer depth
}

func (s *scope) on() bool { return s.inOn || s.clause == "ON" }

// clauses start a new part of a SELECT at their depth.
var clauses = []string{"SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET",
	"UNION", "INTERSECT", "EXCEPT", "WINDOW", "QUALIFY", "PREWHERE", "SETTINGS", "FORMAT", "USING"}

// joinMods are the words that may come before JOIN.
var joinMods = []string{"LEFT", "RIGHT", "FULL", "INNER", "OUTER", "CROSS",
	"ANY", "ALL", "ASOF", "SEMI", "ANTI", "GLOBAL", "ARRAY", "NATURAL", "POSITIONAL", "LATERAL"}

// wallClock are functions whose value depends on when a rule runs.
var wallClock = []string{"NOW", "NOW64", "TODAY", "YESTERDAY", "GET_CURRENT_TIMESTAMP",
	"GET_CURRENT_TIME", "TRANSACTION_TIMESTAMP", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME",
	"LOCALTIMESTAMP", "LOCALTIME"}

// sqlClock are the wall-clock words SQL lets one write without parentheses.
var sqlClock = []string{"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP", "LOCALTIME"}

// duckOnly are DuckDB words ClickHouse 18.16 does not know.
var duckOnly = map[string]string{
	"QUALIFY":    "QUALIFY is DuckDB-only: filter in an outer SELECT",
	"ILIKE":      "ILIKE is DuckDB-only: use lower(x) LIKE 'pattern'",
	"GLOB":       "GLOB is DuckDB-only: use LIKE",
	"SIMILAR":    "SIMILAR TO is DuckDB-only: use LIKE",
	"PIVOT":      "PIVOT is DuckDB-only: use GROUP BY with conditional aggregates",
	"UNPIVOT":    "UNPIVOT is DuckDB-only: use UNION ALL",
	"LATERAL":    "LATERAL is DuckDB-only: use a plain subquery",
	"POSITIONAL": "POSITIONAL JOIN is DuckDB-only: use JOIN ... ON",
	"NATURAL":    "NATURAL JOIN is not supported by ClickHouse 18.16: use JOIN ... ON",
}

// clickOnly are ClickHouse words DuckDB does not know.
var clickOnly = map[string]string{
	"PREWHERE": "PREWHERE is ClickHouse-only: use WHERE",
	"GLOBAL":   "GLOBAL is ClickHouse-only: write plain IN / JOIN",
	"SETTINGS": "SETTINGS is ClickHouse-only: the store sets engine settings",
	"FORMAT":   "FORMAT is ClickHouse-only: the store chooses the output format",
	"ANY":      "ANY JOIN is ClickHouse-only: write JOIN (the store makes ALL the default strictness)",
	"ALL":      "ALL JOIN is ClickHouse-only: write JOIN (the store makes ALL the default strictness)",
	"ASOF":     "ASOF JOIN is not supported by ClickHouse 18.16: use a subquery with max()",
	"SEMI":     "SEMI JOIN is not portable: use IN (subquery)",
	"ANTI":     "ANTI JOIN is not portable: use NOT IN (subquery)",
	"ARRAY":    "ARRAY JOIN is ClickHouse-only",
}

// clickFuncs are ClickHouse functions DuckDB lacks (besides the camelCase
// families funcProblem knows); duckFuncs the reverse. Neither is complete:
// they catch the ones rule authors reach for.
var clickFuncs = map[string]string{
	"any": "min() or max()", "anyLast": "max()", "anyHeavy": "", "uniq": "count(DISTINCT x)",
	"uniqExact": "count(DISTINCT x)", "uniqCombined": "count(DISTINCT x)", "uniqHLL12": "count(DISTINCT x)",
	"groupArray": "", "groupUniqArray": "", "argMax": "a join to a grouped subquery", "argMin": "a join to a grouped subquery",
	"arrayJoin": "", "dictGet": "", "multiIf": "CASE", "formatDateTime": "",
	"IPv4NumToString": "", "IPv4StringToNum": "", "IPv6NumToString": "", "IPv6StringToNum": "",
	"startsWith": "LIKE 'prefix%'", "endsWith": "LIKE '%suffix'", "replaceAll": "", "replaceRegexpAll": "",
	"match": "", "splitByChar": "",
}

var duckFuncs = map[string]string{
	"date_trunc": "{{hour t}} or {{day t}}", "time_bucket": "{{hour t}} or {{day t}}",
	"strftime": "", "strptime": "", "epoch": "", "epoch_ms": "", "make_timestamp": "", "to_timestamp": "",
	"date_part": "", "datepart": "", "age": "", "any_value": "min() or max()", "arbitrary": "min() or max()",
	"first": "min()", "last": "max()", "string_agg": "", "array_agg": "", "list": "", "list_value": "",
	"struct_pack": "", "regexp_matches": "", "regexp_full_match": "", "regexp_extract": "", "regexp_replace": "",
	"contains": "position(haystack, needle) > 0", "starts_with": "LIKE 'prefix%'", "ends_with": "LIKE '%suffix'",
	"split_part": "", "string_split": "", "str_split": "", "len": "length()", "count_if": "sum(CASE WHEN ... THEN 1 ELSE 0 END)",
	"bool_and": "min()", "bool_or": "max()", "printf": "concat()", "format": "concat()",
}

// funcProblem says why a call of name is not portable, or "".
func funcProblem(name string) string {
	how := func(engine, alt string) string {
		if alt == "" {
			return fmt.Sprintf("%s() is %s-only", name, engine)
		}
		return fmt.Sprintf("%s() is %s-only: use %s", name, engine, alt)
	}
	if alt, ok := clickFuncs[name]; ok {
		return how("ClickHouse", alt)
	}
	if alt, ok := duckFuncs[strings.ToLower(name)]; ok {
		return how("DuckDB", alt)
	}
	// ClickHouse's camelCase families: toDate, toStartOfHour, toUInt32, countIf,
	// sumIf... (DuckDB names are case-insensitive, ClickHouse's are not).
	if len(name) > 2 && strings.HasPrefix(name, "to") && isUpper(name[2]) {
		return how("ClickHouse", "CAST(x AS type), or {{hour t}} / {{day t}} for truncation")
	}
	if n := len(name); n > 2 && strings.HasSuffix(name, "If") && !isUpper(name[n-3]) && name[n-3] != '_' &&
		name != "nullIf" { // DuckDB's nullif, whatever the case
		return how("ClickHouse", "sum(CASE WHEN ... THEN 1 ELSE 0 END)")
	}
	return ""
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

const (
	msgCTE       = "WITH (a common table expression) is not supported by ClickHouse 18.16: use a subquery in FROM"
	msgJoins     = "more than one JOIN in one SELECT: ClickHouse 18.16 joins two tables per SELECT; join a subquery that does the other join"
	msgOnOr      = "OR in a JOIN's ON clause: ClickHouse 18.16 joins on one column equality; use IN (subquery) or UNION ALL"
	msgOnAnd     = "AND in a JOIN's ON clause: ClickHouse 18.16 returns wrong rows or fails for ON a = b AND c = d; join on one column equality and compare the others in WHERE"
	msgOnCmp     = "%s in a JOIN's ON clause: ClickHouse 18.16 joins on column equalities only; move the condition to WHERE"
	msgOnConst   = "constant in a JOIN's ON clause: ClickHouse 18.16 joins on column equalities only; move the condition to WHERE"
	msgUnion     = "UNION without ALL: ClickHouse 18.16 has UNION ALL only; use UNION ALL and GROUP BY or DISTINCT around it"
	msgSetOp     = "%s is not supported by ClickHouse 18.16: use IN / NOT IN (subquery)"
	msgWindow    = "window function (OVER): not supported by ClickHouse 18.16; use GROUP BY or a join to a grouped subquery"
	msgCommaJoin = "comma join in FROM: ClickHouse 18.16 has no comma joins; use JOIN ... ON"
	msgUnbounded = "%s bounds time from below only: add an upper bound, AND time <= {{now}}, or a window evaluated over old data counts everything newer"
	msgClock     = "%s reads the wall clock: use {{now}}, {{since \"24h\"}} or {{window_start}} so a rule's result depends on --now alone"
)

// walk reads the tokens once, keeping per parenthesis depth which clause of
// which SELECT it is in.
func (l *linter) walk() {
	stack := []*scope{{}}
	for i, t := range l.toks {
		for len(stack) > t.depth+1 {
			stack = stack[:len(stack)-1]
		}
		for len(stack) < t.depth+1 { // after an unbalanced ")"
			stack = append(stack, &scope{})
		}
		sc := stack[t.depth]
		prev, next := l.tok(i-1), l.tok(i+1)
		switch t.kind {
		case tOp:
			l.op(i, sc)
			if t.is("(") {
				stack = append(stack, &scope{inOn: sc.on()})
			}
		case tString:
			if strings.Contains(t.text, `\`) {
				l.add(t, `backslash in a string literal: ClickHouse reads it as an escape, DuckDB does not`)
			}
			if sc.on() && (prev.is("=") || next.is("=")) {
				l.add(t, msgOnConst)
			}
		case tNumber, tMacro:
			if sc.on() && (prev.is("=") || next.is("=")) {
				l.add(t, msgOnConst)
			}
		case tQuoted:
			if strings.HasPrefix(t.text, "`") {
				l.add(t, "backquoted identifier is not portable: use double quotes")
			}
		case tWord:
			l.word(i, sc)
		}
	}
}

func (l *linter) op(i int, sc *scope) {
	t, next := l.toks[i], l.tok(i+1)
	switch t.text {
	case "::":
		l.add(t, ":: cast is DuckDB-only: use CAST(x AS type)")
	case "->":
		l.add(t, "-> (a lambda) is not portable")
	case "==":
		l.add(t, "== is ClickHouse-only: use =")
	case "{", "}":
		l.add(t, "%s outside a {{macro}}: struct literals are DuckDB-only", t.text)
	case ",":
		if sc.clause == "FROM" {
			l.add(t, msgCommaJoin)
		}
	case "*":
		for _, w := range []string{"EXCLUDE", "REPLACE", "RENAME", "EXCEPT", "APPLY"} {
			if next.kw(w) {
				l.add(next, "SELECT * %s is not portable: list the columns", w)
			}
		}
	case "<", ">", "<=", ">=", "<>", "!=":
		if sc.on() {
			l.add(t, msgOnCmp, t.text)
		}
	case "(":
		if l.tok(i - 1).is(")") {
			l.add(t, "f(params)(args), a parametric aggregate, is ClickHouse-only")
		}
	}
}

func (l *linter) word(i int, sc *scope) {
	t, prev, next := l.toks[i], l.tok(i-1), l.tok(i+1)
	w := t.up
	if prev.is(".") || next.is(".") || prev.kw("AS") {
		return // a name, not a keyword
	}
	if slices.Contains(wallClock, w) && (next.is("(") || slices.Contains(sqlClock, w)) {
		name := t.text
		if next.is("(") {
			name += "()"
		}
		l.add(t, msgClock, name)
		return
	}
	if next.is("(") && !slices.Contains(clauses, w) {
		if w == "ANY" && (prev.kind == tOp && strings.ContainsAny(prev.text, "=<>")) {
			l.add(t, "= ANY (subquery) is not supported by ClickHouse 18.16: use IN (subquery)")
			return
		}
		if msg := funcProblem(t.text); msg != "" {
			l.add(t, "%s", msg)
			return
		}
	}
	if msg, ok := duckOnly[w]; ok && w != "POSITIONAL" && w != "NATURAL" {
		l.add(t, "%s", msg)
	}
	if sc.on() {
		switch w {
		case "OR":
			l.add(t, msgOnOr)
		case "AND":
			if !l.afterBetween(i) {
				l.add(t, msgOnAnd)
			}
		case "LIKE", "ILIKE", "IN", "BETWEEN", "IS", "NOT", "REGEXP", "GLOB", "SIMILAR":
			if !(w == "NOT" && prev.kw("IS")) {
				l.add(t, msgOnCmp, w)
			}
		}
	}
	switch w {
	case "SELECT":
		sc.selects, sc.joins, sc.clause = true, 0, w
		if next.kw("DISTINCT") && l.tok(i+2).kw("ON") {
			l.add(next, "DISTINCT ON is DuckDB-only: use GROUP BY with min()/max()")
		}
	case "WITH":
		switch {
		case i == 0 || prev.is("("):
			l.add(t, msgCTE)
		case next.kind == tWord:
			l.add(t, "WITH %s is not portable", next.up)
		default:
			l.add(t, "WITH is not portable here")
		}
	case "FROM":
		if sc.selects && sc.clause == "SELECT" {
			sc.clause = w
		}
	case "JOIN":
		mods := 0
		for j := i - 1; j >= 0 && l.toks[j].kind == tWord && slices.Contains(joinMods, l.toks[j].up); j-- {
			m := l.toks[j].up
			if msg, ok := clickOnly[m]; ok {
				l.add(l.toks[j], "%s", msg)
			} else if msg, ok := duckOnly[m]; ok && (m == "POSITIONAL" || m == "NATURAL") {
				l.add(l.toks[j], "%s", msg)
			}
			if m == "ARRAY" {
				mods = -1
				break
			}
			mods++
		}
		sc.clause = "JOIN"
		if mods < 0 { // ARRAY JOIN joins no table
			break
		}
		if sc.joins++; sc.joins == 2 {
			l.add(t, msgJoins)
		}
	case "ON":
		if sc.clause == "JOIN" {
			sc.clause = "ON"
		}
	case "UNION":
		if !next.kw("ALL") {
			l.add(t, msgUnion)
		}
		sc.clause = w
	case "INTERSECT", "EXCEPT":
		if !prev.is("*") {
			l.add(t, msgSetOp, w)
		}
		sc.clause = w
	case "OVER":
		if next.is("(") || next.kind == tWord {
			l.add(t, msgWindow)
		}
	case "WINDOW":
		l.add(t, "WINDOW clause: window functions are not supported by ClickHouse 18.16")
		sc.clause = w
	case "COLUMNS":
		if next.is("(") {
			l.add(t, "COLUMNS(...) is not portable: list the columns")
		}
	case "PREWHERE", "SETTINGS":
		l.add(t, "%s", clickOnly[w])
		sc.clause = w
	case "FORMAT":
		if !next.is("(") {
			l.add(t, "%s", clickOnly[w])
			sc.clause = w
		}
	case "GLOBAL":
		if !next.kw("JOIN") && !slices.Contains(joinMods, next.up) {
			l.add(t, "%s", clickOnly[w])
		}
	case "FINAL", "SAMPLE":
		if prev.kind == tWord || prev.kind == tQuoted || prev.is(")") {
			l.add(t, "%s is not portable (ClickHouse table modifier)", w)
		}
	case "BY":
		if sc.clause == "LIMIT" {
			l.add(t, "LIMIT ... BY is ClickHouse-only: use GROUP BY with a subquery")
		}
	default:
		if slices.Contains(clauses, w) {
			sc.clause = w
		}
	}
}

// macros checks that every {{...}} is one of the macros and renders on every
// dialect.
// afterBetween reports whether the AND at token i is the one of
// x BETWEEN a AND b (reported as BETWEEN already).
func (l *linter) afterBetween(i int) bool {
	depth := 0
	for j := i - 1; j >= 0; j-- {
		t := l.toks[j]
		switch {
		case t.is(")"):
			depth++
		case t.is("("):
			if depth--; depth < 0 {
				return false
			}
		case depth > 0:
		case t.kw("BETWEEN"):
			return true
		case t.kw("AND"), t.kw("OR"), t.kw("ON"):
			return false
		}
	}
	return false
}

func (l *linter) macros() {
	var lower *token // the first macro that bounds time from below
	upper := false
	for i, t := range l.toks {
		if t.kind != tMacro {
			continue
		}
		for _, name := range Dialects() {
			if _, err := renderMacro(t.text, dialects[name], DefaultTestNow, l.rule.Window); err != nil {
				l.add(t, "%s: %v", t.text, err)
				break
			}
		}
		switch f := strings.Fields(strings.Trim(t.text, "{} ")); {
		case len(f) == 0:
		case f[0] == "now":
			upper = true
		case (f[0] == "window_start" || f[0] == "since") && lower == nil:
			lower = &l.toks[i]
		}
	}
	if lower != nil && !upper {
		l.add(*lower, msgUnbounded, lower.text)
	}
}

// LintStrict is Lint and, as the built-in rules must, tests: a test file
// beside the rule with a case that expects rows and one that expects [].
func LintStrict(r *Rule) []Problem {
	probs := Lint(r)
	if test, p := coverage(r); test != "" {
		probs = append(probs, p)
	}
	return probs
}
