package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParseRule feeds rule files to the metadata parser, the renderer and
// the linter: whatever the input, they must return errors, never panic, and
// every problem must point at a line of the file.
func FuzzParseRule(f *testing.F) {
	for _, pattern := range []string{"../../rules/*.sql", "testdata/*/*.sql"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8192 {
			t.Skip()
		}
		r, err := parseRule("f.sql", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.sql:") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, p := range Lint(r) {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("problem at line %d of a %d-line file: %v", p.Line, lines, p)
			}
		}
		for _, d := range Dialects() {
			_, _ = r.Render(d, time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC))
		}
	})
}

// FuzzParseTestFile feeds rule test files to their parser: errors, never a
// panic.
func FuzzParseTestFile(f *testing.F) {
	files, _ := filepath.Glob("../../rules/*.test.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16384 {
			t.Skip()
		}
		tf, err := parseTestFile("f.test.yaml", data)
		if err == nil && tf == nil {
			t.Fatal("no test file and no error")
		}
	})
}
