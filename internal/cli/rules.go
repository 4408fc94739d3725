package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/detect"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/engine"
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

// loadRules loads the built-in rules and those in dirs.
func loadRules(dirs []string) ([]*rules.Rule, error) {
	srcs := []rules.Source{rules.Builtin()}
	for _, d := range dirs {
		srcs = append(srcs, rules.DirSource(d))
	}
	return rules.LoadAll(srcs...)
}

// rulesIn loads the rules of dirs, or the built-in ones when there are none.
func rulesIn(dirs []string) ([]*rules.Rule, error) {
	if len(dirs) == 0 {
		return rules.LoadAll(rules.Builtin())
	}
	srcs := make([]rules.Source, 0, len(dirs))
	for _, d := range dirs {
		srcs = append(srcs, rules.DirSource(d))
	}
	return rules.LoadAll(srcs...)
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
rule stays silent). A failure prints the missing and unexpected rows. The last
line is "N passed, N failed".`,
		Args:    cobra.ArbitraryArgs,
		Example: "  homesoc rules test\n  homesoc rules test ./my-rules\n  homesoc --store clickhouse://default@127.0.0.1:9000/default rules test",
		RunE: func(cmd *cobra.Command, dirs []string) error {
			rs, err := rulesIn(dirs)
			if err != nil {
				return err
			}
			env := detect.TestEnv(func(ctx context.Context) (store.Store, error) { return engine.OpenTemp(ctx, e.store) })
			_, failed := rules.RunTests(cmd.Context(), rs, env, e.stdout)
			if failed > 0 {
				return exitError{code: 1, msg: fmt.Sprintf("%d rule tests failed", failed)}
			}
			return nil
		},
	}
}

func rulesLintCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "lint [DIR...]",
		Short: "Check that rule SQL stays in the subset every engine runs",
		Long: `Check every rule's SQL against the portable subset that runs unchanged on
DuckDB and on ClickHouse (down to 18.16): no CTEs, at most one JOIN per SELECT,
equality-only ON, UNION ALL only, no window functions, no engine-only syntax,
times only through macros. Problems print as file:line: reason.`,
		Args:    cobra.ArbitraryArgs,
		Example: "  homesoc rules lint\n  homesoc rules lint ./my-rules",
		RunE: func(cmd *cobra.Command, dirs []string) error {
			rs, err := rulesIn(dirs)
			if err != nil {
				return err
			}
			var problems []rules.Problem
			for _, r := range rs {
				problems = append(problems, rules.Lint(r)...)
			}
			if e.json {
				if err := e.printJSON(map[string]any{"rules": len(rs), "problems": problems}); err != nil {
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
}

func rulesListCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "list [DIR...]",
		Short:   "List rules with their severity, window and group_by",
		Args:    cobra.ArbitraryArgs,
		Example: "  homesoc rules list\n  homesoc --json rules list",
		RunE: func(cmd *cobra.Command, dirs []string) error {
			rs, err := loadRules(dirs)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(rs)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSEVERITY\tWINDOW\tGROUP BY\tTITLE")
			for _, r := range rs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", r.ID, r.Severity, r.Window, r.GroupBy, r.Title)
			}
			return tw.Flush()
		},
	}
}
