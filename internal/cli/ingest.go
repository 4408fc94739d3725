package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/parse"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store"
)

type ingestOpts struct {
	format string
	year   int
	tz     string
	batch  int
}

func ingestCmd(e *env) *cobra.Command {
	var o ingestOpts
	cmd := &cobra.Command{
		Use:   "ingest [--format F] FILE...",
		Short: "Parse log files (or - for stdin) and store their events",
		Long: `Parse log files and store their events in the data directory.

Each line becomes one normalised event. The same line ingested twice is stored
once (events have a deterministic id). A line that cannot be parsed is counted
as rejected and kept with its reason (see "homesoc rejects"); it never stops the
run. Events are matched against the active threat-intel indicators as they are
stored.

Formats (--format, default auto: detected from the first lines):
` + formatList() + `
Classic syslog stamps ("Apr  6 16:05:29") carry no year: it comes from --year,
else from the file's modification time, never placing a line in the future.`,
		Example: `  homesoc ingest /var/log/ufw.log
  homesoc ingest --format zeek-conn conn.log
  zcat fw.log.gz | homesoc ingest --format netfilter --year 2025 -
  homesoc --json ingest flows.jsonl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.ingest(cmd.Context(), o, args)
		},
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "auto", "input format, or auto")
	cmd.Flags().IntVar(&o.year, "year", 0, "year of syslog stamps that carry none (default: from the file's mtime)")
	cmd.Flags().StringVar(&o.tz, "tz", "UTC", "time zone of stamps that carry none (IANA name)")
	cmd.Flags().IntVar(&o.batch, "batch", pipeline.DefaultBatchSize, "events per database write")
	return cmd
}

func formatList() string {
	var b strings.Builder
	for _, f := range parse.Formats() {
		fmt.Fprintf(&b, "  %-10s %s\n", f.Name, f.Description)
	}
	return b.String()
}

// ingestReport is what ingest prints.
type ingestReport struct {
	pipeline.Stats
	Files []fileReport `json:"files"`
}

type fileReport struct {
	File string `json:"file"`
	pipeline.Stats
	Error string `json:"error,omitempty"`
}

// ingestGCPercent is the GC target while ingesting: the pipeline keeps two
// batches of events alive (about 100 MB) and makes garbage at line rate, so
// Go's default of 100% over the live heap costs about 60 MB of peak RSS that
// 50% saves at no measured loss of throughput (BENCHMARKS.md). $GOGC wins.
const ingestGCPercent = 50

func (e *env) ingest(ctx context.Context, o ingestOpts, files []string) error {
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(ingestGCPercent))
	}
	loc, err := time.LoadLocation(o.tz)
	if err != nil {
		return fmt.Errorf("--tz: %w", err)
	}
	if o.format != "auto" {
		if _, err := parse.Lookup(o.format); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
	}
	st, err := e.openStore(ctx)
	if err != nil {
		return interrupted(ctx, 0, err)
	}
	defer st.Close()
	matcher, err := loadMatcher(ctx, st)
	if err != nil {
		return interrupted(ctx, 0, err)
	}
	start := time.Now()
	var rep ingestReport
	var failed int
	for _, name := range files {
		s, err := e.ingestFile(ctx, st, name, pipeline.Config{
			Format: o.format, Year: o.year, Location: loc, BatchSize: o.batch, Matcher: matcher,
		})
		fr := fileReport{File: name, Stats: s}
		if err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx, rep.Stored+s.Stored, err)
			}
			failed++
			fr.Error = err.Error()
			fmt.Fprintf(e.stderr, "homesoc: %v\n", err)
		}
		rep.Files = append(rep.Files, fr)
		rep.Add(s)
	}
	if err := e.refreshIntervals(ctx, st); err != nil { // VPN sessions as intervals (whois.go)
		return interrupted(ctx, rep.Stored, err)
	}
	rep.Seconds = time.Since(start).Seconds()
	if err := e.printIngest(rep); err != nil {
		return err
	}
	if failed > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d of %d inputs failed", failed, len(files))}
	}
	return nil
}

// exitInterrupted is the exit code of a command stopped by Ctrl-C (SIGINT),
// as shells report it: 128 + 2.
const exitInterrupted = 130

// interrupted turns the error of an ingest stopped by its context into the
// one line a user needs: how many events are stored, and that running the
// same command again is safe. Stats.Stored counts the batches whose writes
// returned; the write that the stop interrupted is rolled back, so nothing
// else is stored, and the events a re-run reads again are recognised by
// their ids and skipped. An err while ctx is live is returned as it is.
func interrupted(ctx context.Context, stored int64, err error) error {
	if ctx.Err() == nil {
		return err
	}
	return exitError{code: exitInterrupted, msg: fmt.Sprintf(
		"interrupted: %d new events stored; run the same command again to resume (stored events are recognised by their ids and skipped)", stored)}
}

// loadMatcher builds the ingest-time matcher from the active indicators.
func loadMatcher(ctx context.Context, st store.Store) (*intel.Matcher, error) {
	inds, err := st.Indicators(ctx, true)
	if err != nil {
		return nil, err
	}
	return intel.NewMatcher(inds), nil
}

func (e *env) ingestFile(ctx context.Context, st store.Store, name string, cfg pipeline.Config) (pipeline.Stats, error) {
	src := pipeline.Source{Name: name, R: e.stdin, ModTime: time.Now()}
	var size int64 = -1
	if name != "-" {
		f, err := os.Open(e.abs(name))
		if err != nil {
			return pipeline.Stats{}, err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return pipeline.Stats{}, err
		}
		src.R, src.ModTime, size = f, fi.ModTime(), fi.Size()
	}
	if e.interactive() {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetDescription(name),
			progressbar.OptionShowBytes(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
		cfg.Progress = func(n int64) { _ = bar.Add64(n) }
		defer bar.Finish()
	}
	return pipeline.Run(ctx, st, src, cfg)
}

func (e *env) printIngest(rep ingestReport) error {
	if e.json {
		rep.Stats = jsonStats(rep.Stats)
		for i := range rep.Files {
			rep.Files[i].Stats = jsonStats(rep.Files[i].Stats)
		}
		return e.printJSON(rep)
	}
	for _, r := range rep.FirstRejects {
		printReject(e.stderr, r)
	}
	if more := rep.Rejected - int64(len(rep.FirstRejects)); more > 0 {
		fmt.Fprintf(e.stderr, "... and %d more rejected lines: see homesoc rejects\n", more)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tformat\tread\tstored\tduplicates\tskipped\trejected\tsightings\t")
	for _, f := range rep.Files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", f.File, f.Format, f.Read, f.Stored, f.Duplicates, f.Skipped, f.Rejected, f.Sightings)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "read %d, stored %d, duplicates %d, skipped %d, rejected %d, sightings %d in %.2fs (%.0f lines/s)\n",
		rep.Read, rep.Stored, rep.Duplicates, rep.Skipped, rep.Rejected, rep.Sightings, rep.Seconds, float64(rep.Read)/max(rep.Seconds, 1e-9))
	printTables(e.stdout, rep.Tables)
	printSkipReasons(e.stdout, rep.SkipReasons)
	return nil
}

// printTables says what was stored in each table, when the input held
// records for other tables than network_events (an EDR's endpoint states,
// a VPN's session facts, a proxy's requests).
func printTables(w io.Writer, tables map[string]pipeline.TableStats) {
	if len(tables) == 0 || len(tables) == 1 && tables["network_events"] != (pipeline.TableStats{}) {
		return
	}
	fmt.Fprintln(w, "by table:")
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		fmt.Fprintf(w, "  %-16s stored %d, duplicates %d\n", name, tables[name].Stored, tables[name].Duplicates)
	}
}

// printSkipReasons says why lines were skipped, the most frequent reason
// first, unless they were all blank lines, headers and comments.
func printSkipReasons(w io.Writer, reasons []pipeline.SkipReason) {
	if len(reasons) == 0 || len(reasons) == 1 && reasons[0].Reason == pipeline.SkipReasonPlain {
		return
	}
	rs := slices.Clone(reasons)
	slices.SortStableFunc(rs, func(a, b pipeline.SkipReason) int { return cmp.Compare(b.Lines, a.Lines) })
	fmt.Fprintln(w, "skipped, by reason:")
	for _, r := range rs {
		fmt.Fprintf(w, "  %8d  %s\n", r.Lines, r.Reason)
	}
}

// jsonStats is s as --json prints it: [] and {} for none.
func jsonStats(s pipeline.Stats) pipeline.Stats {
	s.FirstRejects, s.SkipReasons = nonNil(s.FirstRejects), nonNil(s.SkipReasons)
	if s.Tables == nil {
		s.Tables = map[string]pipeline.TableStats{}
	}
	return s
}
