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
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store/engine"
)

// env is what every command shares: global flags and the streams.
type env struct {
	dataDir string
	store   string        // --store URL
	wait    time.Duration // --wait: for another process to release the data directory
	json    bool
	geoipDB []string // --geoip-db files; empty: HOMESOC_GEOIP_DB, else <data>/geoip/*.mmdb (see geoip.go)
	// --vpn-max-session: how long a VPN session with no logged end is
	// taken to last at most (see identity.Options).
	maxSession time.Duration
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	log        *slog.Logger
	configFile string         // --config
	cfg        *config.Config // the config file in effect, once the command runs (see config.go)

	storeMemory string // the embedded store's buffer pool; "": its default (serve sets more)

	args   []string // the command line, to run it inside a server (remote.go)
	shared *shared  // set when the command runs inside homesoc serve, for a client
	dir    string   // that client's working directory
}

// Main runs the homesoc command line with args and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newEnv(stdin, stdout, stderr).main(ctx, args)
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	return &env{stdin: stdin, stdout: stdout, stderr: stderr,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
}

// main runs the command line args and returns the exit code.
func (e *env) main(ctx context.Context, args []string) int {
	e.args = args
	root := newRoot(e)
	defer pprof.StopCPUProfile()
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		var rd remoteDone
		if errors.As(err, &rd) {
			return rd.code // the server printed what the command had to say
		}
		fmt.Fprintf(e.stderr, "homesoc: %v\n", err)
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return exitInterrupted // stopped by Ctrl-C or a signal, as a shell reports it
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
	defData := os.Getenv("HOMESOC_DATA")
	if defData == "" {
		defData = "homesoc-data"
	}
	root.PersistentFlags().StringVar(&e.dataDir, "data", defData, "data directory (default $HOMESOC_DATA, else ./homesoc-data)")
	defStore := os.Getenv("HOMESOC_STORE")
	if defStore == "" {
		defStore = "duckdb"
	}
	root.PersistentFlags().StringVar(&e.store, "store", defStore, "where events are kept: "+engine.Usage+" (default $HOMESOC_STORE, else duckdb)")
	root.PersistentFlags().BoolVar(&e.json, "json", false, "print the result as one JSON document: snake_case keys, RFC 3339 times, [] for none")
	root.PersistentFlags().DurationVar(&e.wait, "wait", defaultWait, "how long to wait for another process to release the data directory")
	root.PersistentFlags().StringArrayVar(&e.geoipDB, "geoip-db", nil, geoipFlagUsage)
	root.PersistentFlags().DurationVar(&e.maxSession, "vpn-max-session", identity.DefaultMaxSession,
		"how long a VPN session with no logged end is taken to last at most, unless its address is assigned again first")
	root.PersistentFlags().StringVar(&e.configFile, "config", "", "the config file (default $HOMESOC_CONFIG, else <data>/homesoc.yaml if it exists)")
	_ = root.MarkPersistentFlagFilename("config")
	_ = root.MarkPersistentFlagFilename("geoip-db")
	var cpuProfile string
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.Flags().BoolVar(&showVersion, "version", false, "print homesoc's version (as homesoc version does)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if e.shared != nil { // inside homesoc serve: its data and store, whatever the client's flags say
			e.dataDir, e.store = e.shared.dataDir, e.shared.store
			e.absPathFlags(cmd)
		}
		if p := cmd.Parent(); cmd.Name() != "help" && (p == nil || p.Name() != "config") { // config check reports a broken file itself
			if err := e.applyConfig(cmd); err != nil {
				return err
			}
		}
		if err := e.remote(cmd); err != nil {
			return err
		}
		if cpuProfile == "" {
			return nil
		}
		if e.shared != nil {
			return errors.New("--cpuprofile profiles a whole process: profile homesoc serve itself, not a command inside it")
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
	root.AddCommand(ingestCmd(e), intelCmd(e), rulesCmd(e), detectCmd(e), alertsCmd(e), rejectsCmd(e), demoCmd(e),
		eventsCmd(e), queryCmd(e), schemaCmd(e), scanCmd(e), exposureCmd(e), versionCmd(e), whoisCmd(e))
	root.AddCommand(assetsCmd(e))
	root.AddCommand(configCmd(e))
	root.AddCommand(silenceCmd(e))
	root.AddCommand(notifyCmd(e))
	root.AddCommand(serveCmd(e))
	root.AddCommand(retentionCmd(e))
	for _, c := range root.Commands() {
		switch c.Name() {
		case "version", "config", "rules", "demo": // these never open the served store: they run here while serve runs
			c.Annotations = map[string]string{localOnly: "no store"}
		}
	}
	finishTree(root)
	return root
}

// exitError carries an exit code other than 1 (rule test failures: 1 too,
// but with output already printed).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// printJSON writes v as indented JSON.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // SQL and raw lines read better with < > & as they are
	return enc.Encode(v)
}

// interactive reports whether progress bars make sense on stderr.
func (e *env) interactive() bool {
	f, ok := e.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && !e.json
}
