// Package cli is homesoc's command line: each command parses its flags and
// calls the packages that do the work.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/engine"
)

// env is what every command shares: global flags and the streams.
type env struct {
	dataDir string
	store   string // --store URL
	json    bool
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	log     *slog.Logger
}

// Main runs the homesoc command line with args and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	root := newRoot(e)
	defer pprof.StopCPUProfile()
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "homesoc: %v\n", err)
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}

// newRoot builds the command tree on e.
func newRoot(e *env) *cobra.Command {
	var showVersion bool
	root := &cobra.Command{
		Use:   "homesoc",
		Short: "Security monitoring for home networks, remote workers and the VPN between",
		Long: `homesoc collects firewall, flow and other logs, stores them (embedded DuckDB by
default), matches them against threat-intel feeds, runs detection rules written
as SQL with exact-row tests, and raises deduplicated alerts.

Start with "homesoc demo" to see the whole chain on sample data.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if showVersion {
				return e.printVersion(cmd.Context())
			}
			return cmd.Help()
		},
	}
	flags := root.PersistentFlags()
	flags.StringVar(&e.dataDir, "data", envOr("HOMESOC_DATA", "homesoc-data"), "data directory (default $HOMESOC_DATA, else ./homesoc-data)")
	flags.StringVar(&e.store, "store", envOr("HOMESOC_STORE", "duckdb"), "where events are kept: "+engine.Usage+" (default $HOMESOC_STORE, else duckdb)")
	for _, name := range []string{"data", "store"} {
		// Their help says where the default comes from; cobra would add the
		// value a second time.
		flags.Lookup(name).DefValue = ""
	}
	flags.BoolVar(&e.json, "json", false, "print the result as one JSON document: snake_case keys, RFC 3339 times, [] for none")
	var cpuProfile string
	flags.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file")
	_ = flags.MarkHidden("cpuprofile")
	root.Flags().BoolVar(&showVersion, "version", false, "print homesoc's version (as homesoc version does)")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		return pprof.StartCPUProfile(f)
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.AddCommand(ingestCmd(e), intelCmd(e), rulesCmd(e), detectCmd(e), alertsCmd(e), rejectsCmd(e), demoCmd(e))
	root.AddCommand(versionCmd(e))
	// cobra adds help and completion at Execute; add them now, so that
	// rejectUnknown covers them too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	rejectUnknown(root)
	return root
}

// envOr is the environment variable name, or def when it is empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// rejectUnknown makes every command of the tree fail on words it does not
// know, with a hint: a command with subcommands prints its help when called
// alone and fails on anything else (cobra would print the help and exit 0),
// and a command that does not declare Args takes none. It runs on the whole
// tree once it is built, so commands added later are covered too.
func rejectUnknown(cmd *cobra.Command) {
	if cmd.HasSubCommands() && cmd.RunE == nil && cmd.Run == nil {
		cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
	check := cmd.Args
	switch {
	case cmd.Name() == "help" && cmd.Parent() == cmd.Root(): // cobra's help command
		check = helpTopic
	case check == nil:
		check = noArgs
	}
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return fmt.Errorf("%w; run '%s --help' for usage", err, cmd.CommandPath())
		}
		return nil
	}
	for _, c := range cmd.Commands() {
		rejectUnknown(c)
	}
}

// helpTopic is the Args check of "homesoc help COMMAND...": cobra prints
// the root's help and exits 0 for a topic it does not know.
func helpTopic(cmd *cobra.Command, args []string) error {
	if c, rest, err := cmd.Root().Find(args); err != nil || len(rest) > 0 {
		return fmt.Errorf("unknown help topic %q: %w", strings.Join(args, " "), noArgs(c, rest))
	}
	return nil
}

// noArgs is the Args check of commands that declare none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, which it sets only for its own message
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return fmt.Errorf("unknown command %q for %q (did you mean %q?)", args[0], cmd.CommandPath(), s[0])
	}
	return fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
}

// exitError carries an exit code other than 1 (rule test failures: 1 too,
// but with output already printed).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// openStore opens the store --store names, creating it.
func (e *env) openStore(ctx context.Context) (store.Store, error) {
	return engine.Open(ctx, e.store, e.dataDir)
}

// withStore runs fn with the store open, and closes it.
func (e *env) withStore(ctx context.Context, fn func(store.Store) error) error {
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// printJSON writes v as indented JSON.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // SQL and raw lines read better with < > & as they are
	return enc.Encode(v)
}

// duration formats d as the shortest Go duration string: "24h", "10m",
// "1h30m" (time.Duration.String gives "24h0m0s"), for JSON and tables.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// nonNil is s, or an empty list so that JSON prints [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// interactive reports whether progress bars make sense on stderr.
func (e *env) interactive() bool {
	f, ok := e.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && !e.json
}
