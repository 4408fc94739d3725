package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/feeds"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store"
)

func intelCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "intel",
		Short: "Load and list threat-intel indicators",
	}
	cmd.AddCommand(intelLoadCmd(e), intelListCmd(e), intelUpdateCmd(e))
	return cmd
}

// intelLoadReport is what intel load did, printed as one JSON document with
// --json.
type intelLoadReport struct {
	Feed     string   `json:"feed"`
	Files    []string `json:"files"`
	Entries  int      `json:"entries"`
	Rejected int      `json:"rejected"`
	Skipped  int      `json:"skipped"`
	// SkipReasons say why well-formed entries held nothing to store.
	SkipReasons []feeds.SkipReason `json:"skip_reasons"`
	Added       int                `json:"added"`
	Updated     int                `json:"updated"`
	Unchanged   int                `json:"unchanged"`
	Hunt        intel.HuntResult   `json:"retro_hunt"`
	ElapsedS    float64            `json:"elapsed_s"`
	// FirstRejects are the first pipeline.MaxRejectSamples rejected
	// entries, as ingest and the rejects command show them; all of them are
	// in the store.
	FirstRejects []event.Reject `json:"first_rejects"`
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
  feodo      abuse.ch Feodo Tracker IP blocklist, JSON or CSV (detected)
  urlhaus    abuse.ch URLhaus CSV: url indicators
  threatfox  abuse.ch ThreatFox CSV: ip:port, domain, url and hash indicators
  sslbl      abuse.ch SSLBL IP list (certificate SHA-1 and JA3 lists are
             skipped, with the reason: no event carries them)
  spamhaus   Spamhaus DROP/EDROP: "CIDR ; SBLnnn" as cidr indicators
  csv        one indicator per line (IP, CIDR, domain, URL, hash; # and ;
             comments, as Spamhaus DROP), or CSV with a header (also given
             as a # comment, as URLhaus, SSLBL and ThreatFox write it) naming
             a value/indicator/ioc_value/ip/domain/url/hash/sha1/sha256/md5
             column`,
		Example: `  homesoc intel load --feed feodo ipblocklist.json
  homesoc intel load --feed csv --name blocklist-de bad-ips.txt
  homesoc intel load --feed spamhaus drop.txt
  homesoc --json intel load --feed feodo ipblocklist.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := e.loadIntel(cmd.Context(), format, name, args)
			if err != nil {
				return err
			}
			if err := e.printIntelLoad(rep); err != nil {
				return err
			}
			if rep.Rejected > 0 && rep.Rejected == rep.Entries {
				return exitError{code: 1, msg: fmt.Sprintf("all %d entries were rejected: is --feed %s the format of the input? (see homesoc rejects)", rep.Rejected, format)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "feed", "", "feed format: "+strings.Join(intel.Formats(), ", "))
	cmd.Flags().StringVar(&name, "name", "", "feed name stored with its indicators (default: the format)")
	_ = cmd.MarkFlagRequired("feed")
	return cmd
}

// printIntelLoad prints what intel load did.
func (e *env) printIntelLoad(rep intelLoadReport) error {
	if e.json {
		return e.printJSON(rep)
	}
	for _, r := range rep.FirstRejects {
		printReject(e.stderr, r)
	}
	if more := rep.Rejected - len(rep.FirstRejects); more > 0 {
		fmt.Fprintf(e.stderr, "... and %d more rejected entries: see homesoc rejects\n", more)
	}
	fmt.Fprintf(e.stdout, "feed %s: %d entries, %d rejected, %d skipped; indicators: %d added, %d updated, %d unchanged\n",
		rep.Feed, rep.Entries, rep.Rejected, rep.Skipped, rep.Added, rep.Updated, rep.Unchanged)
	for _, sk := range rep.SkipReasons {
		fmt.Fprintf(e.stdout, "  skipped %d: %s\n", sk.Count, sk.Reason)
	}
	fmt.Fprintf(e.stdout, "retro-hunt: %d indicators over %d addresses: %d matched, %d new sightings; done in %.2fs\n",
		rep.Hunt.Indicators, rep.Hunt.Addresses, rep.Hunt.Matched, rep.Hunt.Sightings, rep.ElapsedS)
	return nil
}

func (e *env) loadIntel(ctx context.Context, format, name string, files []string) (intelLoadReport, error) {
	start := time.Now()
	rep := intelLoadReport{Feed: name, Files: files, FirstRejects: []event.Reject{}}
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
	opts := intel.LoadOptions{Feed: rep.Feed, Now: store.Now()}
	skips := map[string]int{}
	for _, file := range files {
		imp, err := importFeedFile(ctx, st, format, e.abs(file), opts)
		if err != nil {
			return rep, err
		}
		rep.Entries += len(imp.Indicators) + imp.Duplicates + len(imp.Rejected)
		rep.Rejected += len(imp.Rejected)
		rep.Skipped += imp.Skipped
		for r, n := range imp.SkipReasons {
			skips[r] += n
		}
		rep.Added += imp.Written.Added
		rep.Updated += imp.Written.Updated
		rep.Unchanged += imp.Written.Unchanged
		rep.FirstRejects = pipeline.AppendSamples(rep.FirstRejects, imp.Rejects...)
	}
	rep.SkipReasons = feeds.SkipReasons(skips)
	if rep.Added+rep.Updated > 0 {
		// The indicators added or changed since the last hunt (these, and
		// any an earlier load left unhunted); detect then has none to hunt.
		if rep.Hunt, err = intel.HuntNew(ctx, st); err != nil {
			return rep, err
		}
	}
	rep.ElapsedS = time.Since(start).Seconds()
	return rep, nil
}

func importFeedFile(ctx context.Context, st store.Store, format, file string, opts intel.LoadOptions) (intel.Imported, error) {
	f, err := os.Open(file)
	if err != nil {
		return intel.Imported{}, err
	}
	defer f.Close()
	return intel.Import(ctx, st, format, file, f, opts)
}

// indicatorJSON is an indicator as intel list --json prints it.
type indicatorJSON struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Value      string          `json:"value"`
	Feed       string          `json:"feed"`
	Threat     string          `json:"threat"`
	Confidence int             `json:"confidence"`
	FirstSeen  time.Time       `json:"first_seen"`
	LastSeen   time.Time       `json:"last_seen"`
	Active     bool            `json:"active"`
	Fields     json.RawMessage `json:"fields"` // the feed's own fields, as an object
}

func newIndicatorJSON(in event.Indicator) indicatorJSON {
	j := indicatorJSON{ID: in.ID, Type: in.Type, Value: in.Value, Feed: in.Feed, Threat: in.Threat,
		Confidence: in.Confidence, FirstSeen: in.FirstSeen.UTC(), LastSeen: in.LastSeen.UTC(), Active: in.Active,
		Fields: json.RawMessage(in.Fields)}
	if in.Fields == "" {
		j.Fields = json.RawMessage("{}")
	} else if !json.Valid(j.Fields) {
		// Stored by a feed loader, so an object; keep anything else as text
		// rather than fail the listing.
		j.Fields, _ = json.Marshal(map[string]string{"text": in.Fields})
	}
	return j
}

func intelListCmd(e *env) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the stored indicators",
		Example: "  homesoc intel list\n  homesoc --json intel list --all",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.readStore(cmd.Context(), func(st store.Store) error {
				inds, err := st.Indicators(cmd.Context(), !all)
				if err != nil {
					return err
				}
				if e.json {
					out := make([]indicatorJSON, 0, len(inds))
					for _, in := range inds {
						out = append(out, newIndicatorJSON(in))
					}
					return e.printJSON(out)
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
