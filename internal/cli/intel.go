package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/store"
)

func intelCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "intel",
		Short: "Load and list threat-intel indicators",
	}
	cmd.AddCommand(intelLoadCmd(e), intelListCmd(e))
	return cmd
}

type intelLoadReport struct {
	Feed      string           `json:"feed"`
	Files     []string         `json:"files"`
	Entries   int              `json:"entries"`
	Rejected  int              `json:"rejected"`
	Skipped   int              `json:"skipped"`
	Added     int              `json:"added"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged"`
	Hunt      intel.HuntResult `json:"retro_hunt"`
	Seconds   float64          `json:"seconds"`
	Rejects   []intel.Rejected `json:"rejects,omitempty"`
}

func intelLoadCmd(e *env) *cobra.Command {
	var format, name string
	cmd := &cobra.Command{
		Use:   "load --feed FORMAT FILE...",
		Short: "Load a threat-intel feed file and retro-hunt its new indicators",
		Long: `Load indicators from feed files into the one indicator schema every feed
shares. Loading the same file twice adds nothing: an indicator's id is a hash
of its feed, type and value; known indicators are only refreshed (last seen,
active) when the feed says something new.

New and changed indicators are then hunted for over all stored history: every
stored event that already touched one becomes a sighting, so a C2 address
published today still raises an alert for yesterday's connection.

Feed formats (--feed):
  feodo  abuse.ch Feodo Tracker IP blocklist, JSON or CSV (detected)
  csv    one indicator per line (IP, CIDR, domain, URL, hash), or CSV with a
         header naming a value/indicator/ip/domain/url/hash column`,
		Example: `  homesoc intel load --feed feodo ipblocklist.json
  homesoc intel load --feed csv --name blocklist-de bad-ips.txt
  homesoc --json intel load --feed feodo ipblocklist.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := e.loadIntel(cmd.Context(), format, name, args)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(rep)
			}
			for _, r := range rep.Rejects {
				fmt.Fprintf(e.stderr, "%s: %v\n", rep.Feed, r)
			}
			fmt.Fprintf(e.stdout, "feed %s: %d entries, %d rejected, %d skipped; indicators: %d added, %d updated, %d unchanged\n",
				rep.Feed, rep.Entries, rep.Rejected, rep.Skipped, rep.Added, rep.Updated, rep.Unchanged)
			fmt.Fprintf(e.stdout, "retro-hunt: %d indicators over %d addresses: %d matched, %d new sightings (%.2fs)\n",
				rep.Hunt.Indicators, rep.Hunt.Addresses, rep.Hunt.Matched, rep.Hunt.Sightings, rep.Seconds)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "feed", "", "feed format: "+strings.Join(intel.Formats(), ", "))
	cmd.Flags().StringVar(&name, "name", "", "feed name stored with its indicators (default: the format)")
	_ = cmd.MarkFlagRequired("feed")
	return cmd
}

func (e *env) loadIntel(ctx context.Context, format, name string, files []string) (intelLoadReport, error) {
	start := time.Now()
	rep := intelLoadReport{Feed: name, Files: files}
	if rep.Feed == "" {
		rep.Feed = format
	}
	if _, ok := intel.LoaderFor(format); !ok {
		return rep, fmt.Errorf("--feed: unknown feed format %q (one of: %s)", format, strings.Join(intel.Formats(), ", "))
	}
	st, err := e.openStore(ctx)
	if err != nil {
		return rep, err
	}
	defer st.Close()
	var inds []event.Indicator
	for _, file := range files {
		res, err := loadFeedFile(format, rep.Feed, file)
		if err != nil {
			return rep, err
		}
		rep.Entries += len(res.Indicators) + res.Duplicates + len(res.Rejected)
		rep.Rejected += len(res.Rejected)
		rep.Skipped += res.Skipped
		rep.Rejects = append(rep.Rejects, res.Rejected...)
		inds = append(inds, res.Indicators...)
		if err := st.WriteRejects(ctx, feedRejects(file, format, res.Rejected)); err != nil {
			return rep, err
		}
	}
	c, err := st.WriteIndicators(ctx, inds)
	if err != nil {
		return rep, err
	}
	rep.Added, rep.Updated, rep.Unchanged = c.Added, c.Updated, c.Unchanged
	if c.Added+c.Updated > 0 {
		// The indicators added or changed since the last hunt (these, and
		// any an earlier load left unhunted); detect then has none to hunt.
		if rep.Hunt, err = intel.HuntNew(ctx, st); err != nil {
			return rep, err
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func loadFeedFile(format, feed, file string) (intel.LoadResult, error) {
	f, err := os.Open(file)
	if err != nil {
		return intel.LoadResult{}, err
	}
	defer f.Close()
	res, err := intel.Load(format, f, intel.LoadOptions{Feed: feed})
	if err != nil {
		return res, fmt.Errorf("%s: %w", file, err)
	}
	return res, nil
}

func feedRejects(file, format string, rs []intel.Rejected) []event.Reject {
	out := make([]event.Reject, 0, len(rs))
	now := store.Now()
	for _, r := range rs {
		out = append(out, event.Reject{Time: now, Source: file, Line: int64(r.Line), Format: format, Reason: r.Reason, Raw: r.Raw})
	}
	return out
}

func intelListCmd(e *env) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the stored indicators",
		Example: "  homesoc intel list\n  homesoc --json intel list --all",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withStore(cmd.Context(), func(st store.Store) error {
				inds, err := st.Indicators(cmd.Context(), !all)
				if err != nil {
					return err
				}
				if e.json {
					return e.printJSON(inds)
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "TYPE\tVALUE\tFEED\tTHREAT\tCONFIDENCE\tFIRST SEEN\tLAST SEEN\tACTIVE")
				for _, in := range inds {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%t\n", in.Type, in.Value, in.Feed, in.Threat, in.Confidence,
						in.FirstSeen.Format(time.DateTime), in.LastSeen.Format(time.DateTime), in.Active)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include inactive indicators")
	return cmd
}
