package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/detect"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/engine"
	"github.com/homesoc/homesoc/internal/view"
)

func rulesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Test, lint and list detection rules",
		Long: `Detection rules are SQL files with YAML metadata in a leading comment, each with
a NAME.test.yaml beside it that declares input rows per table (times relative to
a fixed now) and the exact rows the rule must return. See rules/README.md.

Without DIR arguments the commands work on the built-in rules.`,
	}
	cmd.AddCommand(rulesTestCmd(e), rulesLintCmd(e), rulesListCmd(e))
	return cmd
}

// loadRules loads the built-in rules and those in dirs: every rule that
// loads, and the problems of those that did not (see rules.LoadAll).
func loadRules(dirs []string) ([]*rules.Rule, []rules.Problem) {
	return load(append([]rules.Source{rules.Builtin()}, dirSources(dirs)...))
}

// rulesIn loads the rules of dirs, or the built-in ones when there are none.
func rulesIn(dirs []string) ([]*rules.Rule, []rules.Problem) {
	if len(dirs) == 0 {
		return load([]rules.Source{rules.Builtin()})
	}
	return load(dirSources(dirs))
}

func dirSources(dirs []string) []rules.Source {
	srcs := make([]rules.Source, 0, len(dirs))
	for _, d := range dirs {
		srcs = append(srcs, rules.DirSource(d))
	}
	return srcs
}

func load(srcs []rules.Source) ([]*rules.Rule, []rules.Problem) {
	rs, err := rules.LoadAll(srcs...)
	return rs, rules.Problems(err)
}

// loadRulesToRun loads the rules detect runs: it reports on stderr the
// files that did not load (whose rules are left out; the caller fails at
// the end with the error it returns) and, once, the rules that have no
// tests, which run unverified.
func (e *env) loadRulesToRun(dirs []string) ([]*rules.Rule, error) {
	rs, probs := loadRules(dirs)
	for _, p := range probs {
		fmt.Fprintf(e.stderr, "homesoc: %s\n", p)
	}
	var untested []string
	for _, r := range rs {
		if r.Tests == nil {
			untested = append(untested, fmt.Sprintf("%s (%s)", r.ID, r.Path))
		}
	}
	if len(untested) > 0 {
		fmt.Fprintf(e.stderr, "homesoc: warning: %d %s without tests, %s unverified: %s\n", len(untested),
			plural(len(untested), "rule", "rules"), plural(len(untested), "runs", "run"), strings.Join(untested, ", "))
	}
	if len(probs) > 0 {
		return rs, exitError{code: 1, msg: fmt.Sprintf("%d %s in rule files: the rules concerned did not run", len(probs), plural(len(probs), "problem", "problems"))}
	}
	return rs, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// rulesTestReport is what rules test prints: every test's result, and the
// rule files that did not load (each counted as a failure).
type rulesTestReport struct {
	rules.TestReport
	LoadProblems []rules.Problem `json:"load_problems"`
}

func rulesTestCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "test [DIR...]",
		Short: "Run every rule's tests against a real engine; exit non-zero on any failure",
		Long: `Run every test case of every rule: each case loads its input rows into a fresh
store on the engine --store names (an in-memory DuckDB, or a new database on
the ClickHouse server, dropped afterwards), runs the retro-hunt (as detect
does), evaluates the rule at the case's now, and compares the rows it returns
with the expected rows exactly (order ignored; an empty list asserts that the
rule stays silent). A failure prints the missing and unexpected rows. A rule
without tests is listed as untested, which is no failure (rules lint --strict
makes it one); a rule file or test file that does not load is a failure. The
last line is "N passed, N failed" (and ", N untested").`,
		Args:    cobra.ArbitraryArgs,
		Example: "  homesoc rules test\n  homesoc rules test ./my-rules\n  homesoc --json rules test\n  homesoc --store clickhouse://default@127.0.0.1:9000/default rules test",
		RunE: func(cmd *cobra.Command, dirs []string) error {
			rs, probs := rulesIn(dirs)
			rep := rulesTestReport{LoadProblems: view.NonNil(probs)}
			if !e.json {
				for _, p := range probs {
					fmt.Fprintf(e.stdout, "FAIL %s\n", p)
				}
			}
			env := detect.TestEnv(func(ctx context.Context) (store.Store, error) { return engine.OpenTemp(ctx, e.store) })
			rep.TestReport = rules.Test(cmd.Context(), rs, env, func(r rules.TestResult) {
				if !e.json {
					r.WriteText(e.stdout)
				}
			})
			rep.Failed += len(probs)
			if e.json {
				if err := e.printJSON(rep); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(e.stdout, rep.Summary())
			}
			if rep.Failed > 0 {
				return exitError{code: 1, msg: fmt.Sprintf("%d rule tests failed", rep.Failed)}
			}
			return nil
		},
	}
}

func rulesLintCmd(e *env) *cobra.Command {
	var strict bool
	cmd := &cobra.Command{
		Use:   "lint [--strict] [DIR...]",
		Short: "Check that rule SQL stays in the subset every engine runs",
		Long: `Check every rule's SQL against the portable subset that runs unchanged on
DuckDB and on ClickHouse (down to 18.16): no CTEs, at most one JOIN per SELECT,
equality-only ON, UNION ALL only, no window functions, no engine-only syntax,
times only through macros. Rule and test files that do not load are problems
too; every problem prints as file:line: reason.

--strict also requires tests beside every rule, with a case that expects rows
and one that expects []: the built-in rules are held to it.`,
		Args:    cobra.ArbitraryArgs,
		Example: "  homesoc rules lint\n  homesoc rules lint --strict\n  homesoc rules lint ./my-rules",
		RunE: func(cmd *cobra.Command, dirs []string) error {
			rs, problems := rulesIn(dirs)
			lint := rules.Lint
			if strict {
				lint = rules.LintStrict
			}
			for _, r := range rs {
				problems = append(problems, lint(r)...)
			}
			if e.json {
				if err := e.printJSON(map[string]any{"rules": len(rs), "problems": view.NonNil(problems)}); err != nil {
					return err
				}
			} else {
				for _, p := range problems {
					fmt.Fprintln(e.stdout, p)
				}
				fmt.Fprintf(e.stdout, "%d rules, %d problems\n", len(rs), len(problems))
			}
			if len(problems) > 0 {
				return exitError{code: 1, msg: fmt.Sprintf("%d lint problems", len(problems))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "also fail on a rule without a positive and a negative test")
	return cmd
}

// ruleJSON is a rule as rules list --json prints it.
type ruleJSON struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Window      string   `json:"window"`   // a Go duration such as "10m"
	Schedule    string   `json:"schedule"` // "" leaves it to the engine
	GroupBy     []string `json:"group_by"`
	Tags        []string `json:"tags"`
	Requires    []string `json:"requires"` // e.g. ["geoip"]: detect skips the rule without it
	Description string   `json:"description"`
	Runbook     string   `json:"runbook"`
	Path        string   `json:"path"`
	Tests       int      `json:"tests"` // test cases; 0: untested
	SQL         string   `json:"sql"`
}

func newRuleJSON(r *rules.Rule) ruleJSON {
	j := ruleJSON{ID: r.ID, Title: r.Title, Severity: r.Severity, Window: duration(r.Window),
		GroupBy: view.NonNil(r.GroupBy), Tags: view.NonNil(r.Tags), Requires: view.NonNil(r.Requires), Description: r.Description, Runbook: r.Runbook,
		Path: r.Path, SQL: r.SQL}
	if r.Schedule > 0 {
		j.Schedule = duration(r.Schedule)
	}
	if r.Tests != nil {
		j.Tests = len(r.Tests.Tests)
	}
	return j
}

func rulesListCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "list [DIR...]",
		Short: "List the built-in rules and those in DIRs, with severity, window and group_by",
		Long: `List the built-in rules and those in the DIR arguments (as detect --rules DIR
runs them): id, severity, window, group_by, how many test cases and the title.
Files that do not load are reported on stderr, and the command fails after
listing the others.`,
		Args:    cobra.ArbitraryArgs,
		Example: "  homesoc rules list\n  homesoc rules list ./my-rules\n  homesoc --json rules list",
		RunE: func(cmd *cobra.Command, dirs []string) error {
			rs, probs := loadRules(dirs)
			for _, p := range probs {
				fmt.Fprintf(e.stderr, "homesoc: %s\n", p)
			}
			if e.json {
				out := make([]ruleJSON, 0, len(rs))
				for _, r := range rs {
					out = append(out, newRuleJSON(r))
				}
				if err := e.printJSON(out); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEVERITY\tWINDOW\tGROUP BY\tTESTS\tTITLE")
				for _, r := range rs {
					j := newRuleJSON(r)
					tests := fmt.Sprint(j.Tests)
					if j.Tests == 0 {
						tests = "untested"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, j.Window, strings.Join(r.GroupBy, ","), tests, r.Title)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			if len(probs) > 0 {
				return exitError{code: 1, msg: fmt.Sprintf("%d %s in rule files", len(probs), plural(len(probs), "problem", "problems"))}
			}
			return nil
		},
	}
}
