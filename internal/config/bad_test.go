package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadFiles parses every testdata/*.bad.yaml and expects exactly the
// errors of the .errors file beside it, one per line.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("bad files: %v %v", files, err)
	}
	env := func(name string) (string, bool) {
		if name == "SLACK_TOKEN" {
			return "T0/B0/XXXXSECRET", true
		}
		return "", false
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".errors")
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(filepath.Base(f), data, env)
			if c != nil || err == nil {
				t.Fatalf("parsed, want errors")
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T, want Errors", err)
			}
			if got := err.Error() + "\n"; got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if strings.Contains(err.Error(), "XXXXSECRET") {
				t.Error("a secret shows in an error")
			}
		})
	}
}

func TestExpand(t *testing.T) {
	env := func(name string) (string, bool) {
		v, ok := map[string]string{"A": "alpha", "EMPTY": "", "N": "42"}[name]
		return v, ok
	}
	for _, tc := range []struct{ in, want, err string }{
		{"x: ${A}", "alpha", ""},
		{"x: pre-${A}-${EMPTY}-post", "pre-alpha--post", ""},
		{"x: $${A}", "${A}", ""},
		{"x: a$b$${c}${A}", "a$b${c}alpha", ""},
		{"x: ${NOPE}", "", "t.yaml:1: environment variable NOPE is not set"},
		{"x: ${A", "", "t.yaml:1: unterminated ${ (write $${ for a literal ${)"},
		{"x: ${A B}", "", `t.yaml:1: bad environment variable name "A B" in ${...}`},
	} {
		p := &parser{file: "t.yaml"}
		got, _ := p.expandString(1, strings.TrimPrefix(tc.in, "x: "), env)
		if tc.err != "" {
			if p.errs.Error() != tc.err {
				t.Errorf("%s: error %q, want %q", tc.in, p.errs.Error(), tc.err)
			}
			continue
		}
		if len(p.errs) > 0 || got != tc.want {
			t.Errorf("%s: got %q (%v), want %q", tc.in, got, p.errs, tc.want)
		}
	}
	// An expanded plain scalar is typed again: a number from the
	// environment fills an int.
	c, err := Parse("t.yaml", []byte("scan:\n  concurrency: ${N}\n"), env)
	if err != nil || c.Scan.Concurrency != 42 {
		t.Errorf("concurrency %v, %v", c, err)
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{"30s", "30s", false}, {"5m", "5m", false}, {"1d12h", "1d12h", false}, {"36h", "1d12h", false},
		{"1w", "1w", false}, {"1500ms", "1s500ms", false}, {"0", "0s", false},
		{"", "", true}, {"-1s", "", true}, {"1h30", "", true}, {"5 m", "", true}, {"99999999999y", "", true},
	} {
		d, err := ParseDuration(tc.in)
		if (err != nil) != tc.err || (err == nil && d.String() != tc.want) {
			t.Errorf("ParseDuration(%q) = %v, %v", tc.in, d, err)
		}
	}
}

func TestEmptyFile(t *testing.T) {
	c, err := Parse("empty.yaml", []byte("# nothing\n"), nil)
	if err != nil || c.Route != nil || c.Store.URL != "" || c.Receivers == nil || len(c.Receivers) != 0 {
		t.Errorf("empty file: %+v, %v", c, err)
	}
}
