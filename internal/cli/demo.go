package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/demo"
	"github.com/homesoc/homesoc/internal/detect"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/engine"
)

func demoCmd(e *env) *cobra.Command {
	var seed uint64
	var noExposure bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole chain on realistic sample data in a fresh data directory",
		Long: `Write a day of sample data - a home router's firewall log (with a port sweep
and a few broken lines), a Zeek conn.log of the home network (with a laptop
beaconing to a botnet C2) and an abuse.ch Feodo Tracker blocklist - into a
fresh data directory, then run the chain a user would:

  ingest the logs -> load the feed (its retro-hunt finds the C2 contacts made
  before the feed was loaded) -> detect -> list the alerts.

Then who was behind an address: a Cisco ASA's AnyConnect log gives VPN pool
address 172.16.1.10 to kimura, then to sato; its traffic to the C2, logged by
the ASA and a Squid proxy, raises an alert attributed to kimura; two Defender
laptops holding 192.168.1.10 at once make whois answer "ambiguous".

Last, the alerts are routed and delivered as the config says (--config;
without one, as JSON lines to <data>/notifications.jsonl), each new group at
once rather than after its group_wait.

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
			doc := demoReport{DataDir: e.dataDir}
			e.say("== homesoc demo in %s\n\n== 1. ingest a router firewall log and a Zeek conn.log (no threat intel loaded yet)", e.dataDir)
			if err := e.step(&doc.Ingest, func(e *env) error {
				return e.ingest(ctx, ingestOpts{format: "auto", tz: "UTC"}, []string{files.Firewall, files.ZeekConn})
			}); err != nil {
				return err
			}
			e.say("\n== 2. load abuse.ch Feodo Tracker's blocklist: its retro-hunt looks back over what is stored")
			if err := e.step(&doc.IntelLoad, func(e *env) error {
				rep, err := e.loadIntel(ctx, "feodo", "feodo", []string{files.Feodo})
				if err != nil {
					return err
				}
				if e.json {
					return e.printJSON(rep)
				}
				e.say("feed feodo: %d added; retro-hunt: %d addresses matched, %d new sightings",
					rep.Added, rep.Hunt.Matched, rep.Hunt.Sightings)
				return nil
			}); err != nil {
				return err
			}
			e.say("\n== 3. detect: run every rule")
			if err := e.demoDetect(ctx, &doc.Detect, &doc.Alerts); err != nil {
				return err
			}
			if err := e.demoIdentity(ctx, &doc.Identity); err != nil {
				return err
			}
			if !noExposure {
				if err := e.demoExposure(ctx, &doc.Exposure); err != nil {
					return err
				}
			}
			if err := e.demoNotify(ctx, &doc.Notify); err != nil {
				return err
			}
			explore := "homesoc --data " + e.dataDir
			if e.store != "duckdb" {
				explore += " --store " + engine.Redacted(e.store)
			}
			doc.ElapsedS = time.Since(start).Seconds()
			if e.json {
				return e.printJSON(doc)
			}
			e.say("\ndone in %.1fs. Explore: %s alerts list | alerts show ID | events | query SQL | rejects | intel list | scan list", doc.ElapsedS, explore)
			if _, err := exec.LookPath("homesoc"); err != nil {
				e.say("(homesoc is not on your PATH: go install ./cmd/homesoc, see README.md)")
			}
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the sample data")
	cmd.Flags().BoolVar(&noExposure, "no-exposure", false, "skip the exposure part (it starts stand-in routers on 127.88.0.0/16 and scans them)")
	return cmd
}

// demoReport is what demo --json prints: one document holding what each
// step's command prints with --json.
type demoReport struct {
	DataDir   string          `json:"data_dir"`
	Ingest    json.RawMessage `json:"ingest"`     // as homesoc --json ingest prints it
	IntelLoad json.RawMessage `json:"intel_load"` // as homesoc --json intel load
	Detect    json.RawMessage `json:"detect"`     // as homesoc --json detect
	Alerts    json.RawMessage `json:"alerts"`     // as homesoc --json alerts list
	Identity  *demoIdentity   `json:"identity"`
	Exposure  *demoExposure   `json:"exposure,omitempty"`
	Notify    json.RawMessage `json:"notify"`    // as homesoc --json alerts notify
	ElapsedS  float64         `json:"elapsed_s"` // seconds the whole demo took
}

// step runs fn, a step of the demo that prints what its command prints.
// With --json, fn prints into a buffer that becomes *into, so that the demo
// prints one document.
func (e *env) step(into *json.RawMessage, fn func(*env) error) error {
	if !e.json {
		return fn(e)
	}
	var buf bytes.Buffer
	sub := *e
	sub.stdout = &buf
	if err := fn(&sub); err != nil {
		return err
	}
	if !json.Valid(buf.Bytes()) {
		return fmt.Errorf("demo: a step printed no single JSON document: %.200q", buf.String())
	}
	*into = bytes.TrimSpace(buf.Bytes())
	return nil
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

// demoDetect runs the detection step and lists the alerts.
func (e *env) demoDetect(ctx context.Context, detectOut, alertsOut *json.RawMessage) error {
	rs, probs := loadRules(nil)
	if len(probs) > 0 {
		return fmt.Errorf("built-in rules: %s", probs[0])
	}
	rs, skipped, err := e.runnable(rs)
	if err != nil {
		return err
	}
	return e.withStore(ctx, func(st store.Store) error {
		res, err := detect.Run(ctx, st, rs, time.Time{}) // over what was ingested
		if err != nil {
			return err
		}
		res.AddSkipped(skipped)
		if err := e.step(detectOut, func(e *env) error { return e.printDetect(res) }); err != nil {
			return err
		}
		if alertsOut == nil {
			return nil
		}
		e.say("\n== 4. alerts")
		as, err := st.Alerts(ctx)
		if err != nil {
			return err
		}
		return e.step(alertsOut, func(e *env) error { return e.printAlerts(as) })
	})
}
