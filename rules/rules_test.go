package rules_test

import (
	"io/fs"
	"strings"
	"testing"

	engine "github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/rules"
)

// TestBuiltin checks that every embedded rule loads, lints clean and has a
// positive and a negative test. internal/rules runs those tests on DuckDB
// (TestBuiltinRules); homesoc rules test runs them with the real retro-hunt.
func TestBuiltin(t *testing.T) {
	rs, err := engine.LoadAll(engine.Source{FS: rules.FS, Dir: "."})
	if err != nil {
		t.Fatal(err)
	}
	sqls, _ := fs.Glob(rules.FS, "*.sql")
	if len(rs) == 0 || len(rs) != len(sqls) {
		t.Fatalf("loaded %d rules from %d .sql files", len(rs), len(sqls))
	}
	for _, r := range rs {
		if strings.TrimSuffix(r.Path, ".sql") != r.ID {
			t.Errorf("%s: rule id %q: name the file after the id", r.Path, r.ID)
		}
		for _, p := range engine.Lint(r) {
			t.Errorf("%s", p)
		}
		if r.Tests == nil {
			t.Errorf("%s: no tests", r.Path)
			continue
		}
		var pos, neg bool
		for _, tc := range r.Tests.Tests {
			pos, neg = pos || len(tc.Expect) > 0, neg || len(tc.Expect) == 0
		}
		if !pos || !neg {
			t.Errorf("%s: want a positive and a negative test (have positive %v, negative %v)", r.Tests.Path, pos, neg)
		}
	}
}
