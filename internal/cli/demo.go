package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/demo"
	"github.com/homesoc/homesoc/internal/detect"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/engine"
)

func demoCmd(e *env) *cobra.Command {
	var seed uint64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole chain on realistic sample data in a fresh data directory",
		Long: `Write a day of sample data - a home router's firewall log (with a port sweep
and a few broken lines), a Zeek conn.log of the home network (with a laptop
beaconing to a botnet C2) and an abuse.ch Feodo Tracker blocklist - into a
fresh data directory, then run the chain a user would:

  ingest the logs -> load the feed (its retro-hunt finds the C2 contacts made
  before the feed was loaded) -> detect -> list the alerts.

Without --data the demo makes a new temporary directory and prints its path,
so you can go on exploring it with the other commands.`,
		Example: `  homesoc demo
  homesoc --data /tmp/soc demo && homesoc --data /tmp/soc alerts list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if cmd.Flags().Changed("data") {
				if entries, err := os.ReadDir(e.dataDir); err == nil && len(entries) > 0 {
					return fmt.Errorf("demo needs a fresh data directory, and %s is not empty", e.dataDir)
				}
			} else {
				dir, err := os.MkdirTemp("", "homesoc-demo-")
				if err != nil {
					return err
				}
				e.dataDir = dir
			}
			if err := os.MkdirAll(e.dataDir, 0o750); err != nil {
				return err
			}
			if err := e.requireEmptyStore(ctx); err != nil {
				return err
			}
			start := time.Now()
			files, err := demo.Write(e.dataDir, time.Now(), seed)
			if err != nil {
				return fmt.Errorf("write sample data: %w", err)
			}
			e.say("== homesoc demo in %s\n\n== 1. ingest a router firewall log and a Zeek conn.log (no threat intel loaded yet)", e.dataDir)
			if err := e.ingest(ctx, ingestOpts{format: "auto", tz: "UTC"}, []string{files.Firewall, files.ZeekConn}); err != nil {
				return err
			}
			e.say("\n== 2. load abuse.ch Feodo Tracker's blocklist: its retro-hunt looks back over what is stored")
			rep, err := e.loadIntel(ctx, "feodo", "feodo", []string{files.Feodo})
			if err != nil {
				return err
			}
			e.say("feed feodo: %d added; retro-hunt: %d addresses matched, %d new sightings",
				rep.Added, rep.Hunt.Matched, rep.Hunt.Sightings)
			e.say("\n== 3. detect: run every rule")
			rs, err := loadRules(nil)
			if err != nil {
				return err
			}
			st, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := detect.Run(ctx, st, rs, time.Time{}) // over what was ingested
			if err != nil {
				return err
			}
			if err := e.printDetect(res); err != nil {
				return err
			}
			e.say("\n== 4. alerts")
			as, err := st.Alerts(ctx)
			if err != nil {
				return err
			}
			if err := e.printAlerts(as); err != nil {
				return err
			}
			explore := "homesoc --data " + e.dataDir
			if e.store != "duckdb" {
				explore += " --store " + engine.Redacted(e.store)
			}
			e.say("\ndone in %.1fs. Explore: %s alerts list | rejects | intel list", time.Since(start).Seconds(), explore)
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the sample data")
	return cmd
}

// requireEmptyStore fails unless the store holds nothing yet, so that what
// the demo prints is what its own data gives.
func (e *env) requireEmptyStore(ctx context.Context) error {
	return e.withStore(ctx, func(st store.Store) error {
		counts, err := st.Counts(ctx)
		if err != nil {
			return err
		}
		for _, t := range store.Tables {
			if counts[t] > 0 {
				return fmt.Errorf("demo needs an empty store, and %s holds %d rows in %s: use a new database", engine.Redacted(e.store), counts[t], t)
			}
		}
		return nil
	})
}

// say prints a line of narration (not in --json mode).
func (e *env) say(format string, args ...any) {
	if !e.json {
		fmt.Fprintf(e.stdout, format+"\n", args...)
	}
}
