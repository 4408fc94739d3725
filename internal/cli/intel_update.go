package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/feeds"
)

// intelUpdateReport is what intel update --json prints.
type intelUpdateReport struct {
	Feeds  []feeds.Result `json:"feeds"`
	Failed int            `json:"failed"`
}

func intelUpdateCmd(e *env) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "update [FEED...]",
		Short: "Fetch the config's intel feeds once now (all, or those named)",
		Long: `Fetch the intel feeds of the config file's feeds: section once now, as
homesoc serve does on their schedule: a conditional GET (the feed's ETag and
Last-Modified, kept in <data>/feeds/state.json), so a feed that did not
change costs one request and stores nothing; only new and changed
indicators are written, and a full list's indicators that it no longer
lists are made inactive (expired). New and changed indicators are then
hunted for over all stored history, as intel load does.

Built-in feeds, enabled by their name alone (- name: feodo):
` + builtinFeedsHelp() + `
Any other feed needs url and format (csv for a plain or CSV list).`,
		Example: `  homesoc intel update
  homesoc intel update feodo spamhaus-drop
  homesoc intel update --force urlhaus
  homesoc --json intel update`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(e.cfg.Feeds) == 0 {
				return fmt.Errorf("no feeds configured: add a feeds: section to the config file (--config, $HOMESOC_CONFIG or <data>/homesoc.yaml), e.g.\n  feeds:\n    - name: feodo\n    - name: spamhaus-drop\n(built-in feeds: %s; see homesoc config example)", builtinNames())
			}
			st, err := e.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			s := e.sharedFeeds() // inside serve: its scheduler, which keeps the feeds' state
			if s == nil {
				if s, err = feeds.New(st, e.cfg.Feeds, e.dataDir, feeds.SchedulerOptions{Logger: e.log}); err != nil {
					return err
				}
			}
			results, err := s.Update(cmd.Context(), args, force, func(f config.Feed) {
				fmt.Fprintf(e.stderr, "fetching %s from %s\n", f.Name, f.URL)
			})
			if err != nil && len(results) == 0 {
				return err
			}
			rep := intelUpdateReport{Feeds: results}
			for _, r := range results {
				if r.Status == feeds.StatusFailed {
					rep.Failed++
				}
			}
			if rep.Feeds == nil {
				rep.Feeds = []feeds.Result{}
			}
			if perr := e.printIntelUpdate(rep); perr != nil {
				return perr
			}
			if err != nil {
				return err
			}
			if ctxErr := cmd.Context().Err(); ctxErr != nil {
				return ctxErr
			}
			if rep.Failed > 0 {
				return exitError{code: 1, msg: fmt.Sprintf("%d of %d feeds failed", rep.Failed, len(results))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "fetch in full, ignoring the saved ETag and Last-Modified")
	return cmd
}

// printIntelUpdate prints one row per feed, then what went wrong.
func (e *env) printIntelUpdate(rep intelUpdateReport) error {
	if e.json {
		return e.printJSON(rep)
	}
	for _, r := range rep.Feeds {
		for _, x := range r.FirstRejects {
			printReject(e.stderr, x)
		}
		if more := r.Rejected - len(r.FirstRejects); more > 0 {
			fmt.Fprintf(e.stderr, "... and %d more rejected entries of %s: see homesoc rejects\n", more, r.Feed)
		}
		for _, sk := range r.SkipReasons {
			fmt.Fprintf(e.stderr, "%s: skipped %d: %s\n", r.Feed, sk.Count, sk.Reason)
		}
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tSTATUS\tADDED\tUPDATED\tEXPIRED\tUNCHANGED\tREJECTED\tACTIVE\tSIGHTINGS\tTIME")
	for _, r := range rep.Feeds {
		active := "-"
		if r.Active >= 0 {
			active = fmt.Sprint(r.Active)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%.2fs\n", r.Feed, r.Status, r.Added, r.Updated, r.Expired,
			r.Unchanged, r.Rejected, active, r.Sightings, r.DurationS)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rep.Feeds {
		if r.Err != nil {
			fmt.Fprintf(e.stdout, "%s failed: %v\n", r.Feed, r.Err)
		}
	}
	return nil
}

// builtinNames lists the built-in feeds' names.
func builtinNames() string {
	var names []string
	for _, f := range config.BuiltinFeeds() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// builtinFeedsHelp is a line per built-in feed for the help.
func builtinFeedsHelp() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, f := range config.BuiltinFeeds() {
		expire := ""
		if !f.Expires() {
			expire = ", recent additions: never expired"
		}
		fmt.Fprintf(tw, "  %s\t%s every %s%s\n", f.Name, f.URL, f.Interval, expire)
	}
	tw.Flush()
	return b.String()
}
