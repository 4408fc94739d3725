package config

import (
	"strings"
	"testing"
)

// TestFileSource checks the files section: a source needs a path, globs
// must be valid, and the format is auto or a registered parser.
func TestFileSource(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       string // the error's text; "" means it parses
		prefix     bool   // want is only the error's start
	}{
		{"one glob", "serve:\n  files:\n    - paths: [/var/log/ulogd/*.log]\n      format: netfilter\n", "", false},
		{"auto", "serve:\n  files:\n    - paths: [/a.log, /b/*.log]\n      format: auto\n", "", false},
		{"format left out", "serve:\n  files:\n    - paths: [/a.log]\n", "", false},
		{"no paths", "serve:\n  files:\n    - format: squid\n",
			"t.yaml: serve: files 1: no paths: list the files (or globs) to tail", false},
		{"empty path", "serve:\n  files:\n    - paths: [/a.log]\n    - paths: [\"\"]\n",
			"t.yaml: serve: files 2: an empty path", false},
		{"bad glob", "serve:\n  files:\n    - paths: [\"/var/log/[a-\"]\n",
			`t.yaml: serve: files 1: path "/var/log/[a-": syntax error in pattern`, false},
		{"unknown format", "serve:\n  files:\n    - paths: [/a.log]\n      format: nosuch\n",
			`t.yaml: serve: files 1: unknown format "nosuch" (one of: `, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(tc.yaml), nil)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if len(c.Serve.Files) == 0 {
					t.Fatal("no file sources parsed")
				}
				return
			}
			if err == nil {
				t.Fatalf("parsed, want %q", tc.want)
			}
			got := err.Error()
			if ok := got == tc.want || tc.prefix && strings.HasPrefix(got, tc.want); !ok {
				t.Errorf("error:\n  %s\nwant:\n  %s", got, tc.want)
			}
		})
	}
}
