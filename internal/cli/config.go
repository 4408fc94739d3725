package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/config"
)

// configPath returns the config file in effect: --config, else
// $HOMESOC_CONFIG, else <data>/homesoc.yaml when it exists; "" when there
// is none (defaults apply). must says the user named the file, so that a
// missing one is an error.
func (e *env) configPath() (path string, must bool, err error) {
	if e.configFile != "" {
		return e.configFile, true, nil
	}
	if v := os.Getenv("HOMESOC_CONFIG"); v != "" {
		return v, true, nil
	}
	p := filepath.Join(e.dataDir, "homesoc.yaml")
	switch _, err := os.Stat(p); {
	case err == nil:
		return p, false, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", false, nil
	default:
		return "", false, fmt.Errorf("config: %w", err)
	}
}

// configErr says how many problems a config file has before listing them,
// one file:line: what per line.
func configErr(err error) error {
	var es config.Errors
	if !errors.As(err, &es) {
		return err
	}
	return exitError{code: 1, msg: fmt.Sprintf("%d %s in the config file:\n%v", len(es), plural(len(es), "problem", "problems"), es)}
}

// loadConfig reads the config file in effect; an empty Config when there
// is none.
func (e *env) loadConfig() (*config.Config, string, error) {
	p, _, err := e.configPath()
	if err != nil || p == "" {
		c, perr := config.Parse("", nil, nil)
		if err == nil {
			err = perr
		}
		return c, "", err
	}
	c, err := config.Load(p)
	return c, p, configErr(err)
}

// applyConfig loads the config file in effect and sets from it the global
// settings that neither a flag nor an environment variable gave: the
// store, the GeoIP databases, the VPN maximum session, and detect's rule
// directories.
func (e *env) applyConfig(cmd *cobra.Command) error {
	c, _, err := e.loadConfig()
	if err != nil {
		return err
	}
	e.cfg = c
	given := func(flag, envVar string) bool {
		f := cmd.Flags().Lookup(flag)
		return f != nil && f.Changed || envVar != "" && os.Getenv(envVar) != ""
	}
	if c.Store.URL != "" && !given("store", "HOMESOC_STORE") {
		e.store = c.Store.URL.Reveal()
	}
	if len(c.GeoIP.Databases) > 0 && !given("geoip-db", "HOMESOC_GEOIP_DB") {
		e.geoipDB = c.GeoIP.Databases
	}
	if c.VPN.MaxSession != 0 && !given("vpn-max-session", "") {
		e.maxSession = time.Duration(c.VPN.MaxSession)
	}
	if f := cmd.Flags().Lookup("rules"); f != nil && !f.Changed && f.Value.Type() == "stringArray" {
		for _, d := range c.Rules.Dirs {
			if err := f.Value.Set(d); err != nil {
				return fmt.Errorf("config rules.dirs: %w", err)
			}
		}
	}
	return nil
}

func configCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print an example config file, or check one",
		Long: `homesoc reads its settings from a YAML file: --config FILE, else
$HOMESOC_CONFIG, else <data>/homesoc.yaml when it exists (none: defaults).
Flags and environment variables win over the file. Secrets come from the
environment as ${NAME} and print as <secret>. See "homesoc config example".`,
	}
	cmd.AddCommand(configExampleCmd(e), configCheckCmd(e))
	return cmd
}

func configExampleCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "example",
		Short:   "Print a commented config file holding every key",
		Example: "  homesoc config example > homesoc-data/homesoc.yaml",
		RunE: func(*cobra.Command, []string) error {
			if e.json {
				return e.printJSON(struct {
					YAML string `json:"yaml"`
				}{config.Example()})
			}
			_, err := fmt.Fprint(e.stdout, config.Example())
			return err
		},
	}
}

// configCheckResult is what config check --json prints.
type configCheckResult struct {
	File   string         `json:"file"` // "" when there is none: defaults
	Config *config.Config `json:"config"`
}

func configCheckCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "check [FILE]",
		Short: "Check a config file and summarise it (secrets as <secret>)",
		Long: `Check FILE, or the config file in effect: syntax, unknown keys, ${NAME}
references to unset variables, and meaning (undefined receivers, bad
matchers, durations and URLs). Every problem is printed as file:line: what,
and the command exits 1. Routes are numbered as read: depth-first below the
top route, from 1.`,
		Example: "  homesoc config check homesoc.yaml\n  homesoc --json config check",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			var c *config.Config
			var path string
			var err error
			if len(args) == 1 {
				path = args[0]
				c, err = config.Load(path)
				err = configErr(err)
			} else {
				c, path, err = e.loadConfig()
			}
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(configCheckResult{File: path, Config: c})
			}
			printConfigSummary(e, path, c)
			return nil
		},
	}
}

// printConfigSummary prints what a checked config sets up.
func printConfigSummary(e *env, path string, c *config.Config) {
	if path == "" {
		fmt.Fprintln(e.stdout, "no config file (--config, $HOMESOC_CONFIG or <data>/homesoc.yaml): defaults apply")
		return
	}
	fmt.Fprintf(e.stdout, "%s: ok\n", path)
	if c.Store.URL != "" {
		fmt.Fprintf(e.stdout, "store      %s\n", c.Store.URL)
	}
	fmt.Fprintf(e.stdout, "receivers  %d\n", len(c.Receivers))
	for _, r := range c.Receivers {
		var kinds []string
		for _, k := range []struct {
			name string
			n    int
		}{{"pagerduty", len(r.PagerDutyConfigs)}, {"slack", len(r.SlackConfigs)}, {"webhook", len(r.WebhookConfigs)},
			{"email", len(r.EmailConfigs)}, {"jsonl", len(r.JSONLConfigs)}, {"alertmanager", len(r.AlertmanagerConfigs)}} {
			if k.n > 0 {
				kinds = append(kinds, fmt.Sprintf("%s×%d", k.name, k.n))
			}
		}
		fmt.Fprintf(e.stdout, "  %-14s %s\n", r.Name, strings.Join(kinds, " "))
	}
	if c.Route == nil {
		fmt.Fprintln(e.stdout, "routes     none")
		return
	}
	n := 0
	var walk func(r *config.Route, depth int)
	walk = func(r *config.Route, depth int) {
		name := "top"
		if depth > 0 {
			n++
			name = fmt.Sprintf("route %d", n)
		}
		ms := make([]string, len(r.Matchers))
		for i, m := range r.Matchers {
			ms[i] = m.String()
		}
		cont := ""
		if r.Continue {
			cont = " continue"
		}
		fmt.Fprintf(e.stdout, "  %s%-8s -> %s  {%s}  group_by [%s] wait %s interval %s repeat %s%s\n",
			strings.Repeat("  ", depth), name, r.Receiver, strings.Join(ms, ", "), strings.Join(r.GroupBy, ", "),
			r.GroupWait, r.GroupInterval, r.RepeatInterval, cont)
		for _, c := range r.Routes {
			walk(c, depth+1)
		}
	}
	fmt.Fprintln(e.stdout, "routes")
	walk(c.Route, 0)
}
