package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind says what a token of rule SQL is.
type tokKind int

const (
	tWord   tokKind = iota // identifier or keyword, unquoted
	tQuoted                // "identifier" or `identifier`
	tString                // 'string literal'
	tNumber                // 42, 1.5, 1e3, 0x1f
	tOp                    // punctuation and operators: ( ) , ; . = <> :: ...
	tMacro                 // {{ ... }}: opaque to the linter, rendered per dialect
)

// token is one lexical token of rule SQL. Comments and white space are not
// tokens. line is 1-based within the SQL text; depth is the parenthesis depth
// the token sits at: "(" and its matching ")" share the depth outside them.
type token struct {
	kind     tokKind
	text     string // as written
	up       string // upper-cased text of a tWord, for keyword tests
	line     int
	pos, end int // byte offsets into the SQL text
	depth    int
}

// lexProblem is a problem the tokenizer found, at a line of the SQL text.
type lexProblem struct {
	line   int
	reason string
}

// twoCharOps are the operators of two characters the linter cares to see
// whole; any other punctuation is a token of one character.
var twoCharOps = []string{"::", "<=", ">=", "<>", "!=", "==", "||", "->"}

// lex splits rule SQL into tokens. It never uses regular expressions on the
// raw text: strings, quoted identifiers and comments are consumed whole, so a
// keyword inside them is never mistaken for SQL.
func lex(sql string) ([]token, []lexProblem) {
	var (
		toks  []token
		probs []lexProblem
		line  = 1
		depth = 0
		opens []int // lines of unclosed "("
	)
	add := func(kind tokKind, start, end, startLine int) {
		t := token{kind: kind, text: sql[start:end], line: startLine, pos: start, end: end, depth: depth}
		if kind == tWord {
			t.up = strings.ToUpper(t.text)
		}
		toks = append(toks, t)
	}
	// until consumes up to and including the closing delimiter, counting
	// lines; a doubled quote character stands for itself when escapable.
	until := func(i int, closing string, doubled bool) (int, bool) {
		for i < len(sql) {
			if strings.HasPrefix(sql[i:], closing) {
				if doubled && strings.HasPrefix(sql[i+len(closing):], closing) {
					i += 2 * len(closing)
					continue
				}
				return i + len(closing), true
			}
			if sql[i] == '\n' {
				line++
			}
			i++
		}
		return i, false
	}
	for i := 0; i < len(sql); {
		c := sql[i]
		start, startLine := i, line
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case strings.HasPrefix(sql[i:], "--"):
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case strings.HasPrefix(sql[i:], "/*"):
			var ok bool
			if i, ok = until(i+2, "*/", false); !ok {
				probs = append(probs, lexProblem{startLine, "unterminated /* comment"})
			}
		case strings.HasPrefix(sql[i:], "{{"):
			var ok bool
			if i, ok = until(i+2, "}}", false); !ok {
				probs = append(probs, lexProblem{startLine, "unterminated {{ macro"})
			}
			add(tMacro, start, i, startLine)
		case c == '\'':
			var ok bool
			if i, ok = until(i+1, "'", true); !ok {
				probs = append(probs, lexProblem{startLine, "unterminated string literal"})
			}
			add(tString, start, i, startLine)
		case c == '"' || c == '`':
			var ok bool
			if i, ok = until(i+1, string(c), true); !ok {
				probs = append(probs, lexProblem{startLine, "unterminated quoted identifier"})
			}
			add(tQuoted, start, i, startLine)
		case isDigit(c) || c == '.' && i+1 < len(sql) && isDigit(sql[i+1]):
			i = scanNumber(sql, i)
			add(tNumber, start, i, startLine)
		case c == '_' || c >= utf8.RuneSelf || unicode.IsLetter(rune(c)):
			for i < len(sql) {
				r, n := utf8.DecodeRuneInString(sql[i:])
				if r != '_' && r != '$' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				i += n
			}
			if i == start { // a non-letter rune outside ASCII: one token of it
				_, n := utf8.DecodeRuneInString(sql[i:])
				i += n
				add(tOp, start, i, startLine)
				break
			}
			add(tWord, start, i, startLine)
		case c == '(':
			i++
			add(tOp, start, i, startLine)
			depth++
			opens = append(opens, startLine)
		case c == ')':
			i++
			if depth == 0 {
				probs = append(probs, lexProblem{startLine, `unbalanced ")"`})
			} else {
				depth--
				opens = opens[:len(opens)-1]
			}
			add(tOp, start, i, startLine)
		default:
			i++
			for _, op := range twoCharOps {
				if strings.HasPrefix(sql[start:], op) {
					i = start + len(op)
					break
				}
			}
			add(tOp, start, i, startLine)
		}
	}
	for _, l := range opens {
		probs = append(probs, lexProblem{l, `unclosed "("`})
	}
	return toks, probs
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// scanNumber returns the end of the numeric literal starting at i.
func scanNumber(s string, i int) int {
	if strings.HasPrefix(s[i:], "0x") || strings.HasPrefix(s[i:], "0X") {
		i += 2
		for i < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[i]) >= 0 {
			i++
		}
		return i
	}
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for i = j; i < len(s) && isDigit(s[i]); i++ {
			}
		}
	}
	return i
}

// is reports whether t is the punctuation or operator op.
func (t token) is(op string) bool { return t.kind == tOp && t.text == op }

// kw reports whether t is the unquoted word w (upper case).
func (t token) kw(w string) bool { return t.kind == tWord && t.up == w }
