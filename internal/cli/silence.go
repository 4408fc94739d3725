package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/silence"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

func silenceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "silence",
		Short: "Mute the delivery of alerts for a while, as Alertmanager's silences do",
		Long: `A silence mutes the alerts whose labels all its matchers match, from its start
until its end: they are still stored and listed (alerts list marks them
silenced), but not delivered. Matchers are written as amtool takes them:
name=value, name!=value, name=~regex, name!~regex (regexes match the whole
value), the value optionally in double quotes. An alert's labels are rule,
severity, status, its group_by columns, and, from its identity, host, user,
device and hostname; a label an alert lacks matches as "".`,
	}
	cmd.AddCommand(silenceAddCmd(e), silenceListCmd(e), silenceExpireCmd(e))
	return cmd
}

func silenceAddCmd(e *env) *cobra.Command {
	var comment, author, duration, start, end string
	cmd := &cobra.Command{
		Use:   "add MATCHER... --comment TEXT [--duration 1h | --end TIME] [--start TIME] [--author NAME]",
		Short: "Add a silence and print its id",
		Example: `  homesoc silence add 'rule=~"port-.*"' host=192.168.10.41 --comment "printer firmware update" --duration 2h
  homesoc silence add rule=ioc-contact user=anna --comment "pentest, ticket 4711" --start 2026-05-01T08:00:00Z --end 2026-05-01T18:00:00Z`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ms, err := silence.ParseMatchers(args)
			if err != nil {
				return err
			}
			if strings.TrimSpace(comment) == "" {
				return fmt.Errorf("--comment is required: say why the alerts are silenced")
			}
			s := silence.Silence{Matchers: ms, Comment: comment, Author: author}
			if s.Author == "" {
				s.Author = whoami()
			}
			now := store.Now()
			s.StartsAt = now
			if start != "" {
				if s.StartsAt, err = time.Parse(time.RFC3339, start); err != nil {
					return fmt.Errorf("--start %q: want an RFC 3339 time such as 2026-05-01T08:00:00Z", start)
				}
			}
			switch {
			case end != "" && cmd.Flags().Changed("duration"):
				return fmt.Errorf("--end and --duration both given: give one")
			case end != "":
				if s.EndsAt, err = time.Parse(time.RFC3339, end); err != nil {
					return fmt.Errorf("--end %q: want an RFC 3339 time such as 2026-05-01T18:00:00Z", end)
				}
			default:
				d, err := parseDays(duration)
				if err != nil {
					return fmt.Errorf("--duration: %w", err)
				}
				s.EndsAt = s.StartsAt.Add(d)
			}
			return e.withStore(cmd.Context(), func(st store.Store) error {
				s, err := st.AddSilence(cmd.Context(), s)
				if err != nil {
					return err
				}
				if e.json {
					return e.printJSON(s)
				}
				fmt.Fprintln(e.stdout, s.ID)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&comment, "comment", "c", "", "why the alerts are silenced (required)")
	fl.StringVarP(&author, "author", "a", "", "who silences them (default: the login name)")
	fl.StringVarP(&duration, "duration", "d", "1h", "how long the silence lasts from its start, e.g. 2h, 30m or 1d12h")
	fl.StringVar(&start, "start", "", "when it starts, RFC 3339 (default: now)")
	fl.StringVar(&end, "end", "", "when it ends, RFC 3339 (instead of --duration)")
	return cmd
}

func silenceListCmd(e *env) *cobra.Command {
	var expired, all bool
	cmd := &cobra.Command{
		Use:   "list [--expired | --all]",
		Short: "List the pending and active silences (the expired ones with --expired)",
		Long: `List silences: id, matchers, start, end, author, comment, state (pending,
active, expired) and how many stored alerts the matchers match now. Without
flags, the silences not expired; with --expired, only the expired ones (as
amtool silence query --expired); with --all, every silence ever added.`,
		Example: "  homesoc silence list\n  homesoc --json silence list --expired",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			which := store.SilencesCurrent
			switch {
			case expired && all:
				return fmt.Errorf("--expired and --all both given: give one")
			case expired:
				which = store.SilencesExpired
			case all:
				which = store.SilencesAll
			}
			return e.readStore(cmd.Context(), func(st store.Store) error {
				vs, err := e.silenceViews(cmd.Context(), st, which)
				if err != nil {
					return err
				}
				return e.printSilences(vs)
			})
		},
	}
	cmd.Flags().BoolVar(&expired, "expired", false, "list the expired silences only")
	cmd.Flags().BoolVar(&all, "all", false, "list every silence, expired or not")
	return cmd
}

// silenceViews reads the silences which selects and counts the stored
// alerts each matches.
func (e *env) silenceViews(ctx context.Context, st store.Store, which store.SilenceSelect) ([]view.Silence, error) {
	ss, err := st.Silences(ctx, which)
	if err != nil {
		return nil, err
	}
	var as []alert.Alert
	if len(ss) > 0 {
		if as, err = st.Alerts(ctx); err != nil {
			return nil, err
		}
	}
	return view.Silences(ss, as, e.ruleTags(), store.Now()), nil
}

func (e *env) printSilences(vs []view.Silence) error {
	if e.json {
		return e.printJSON(view.NonNil(vs))
	}
	if len(vs) == 0 {
		fmt.Fprintln(e.stdout, "no silences")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMATCHERS\tSTARTS\tENDS\tSTATE\tALERTS\tAUTHOR\tCOMMENT")
	for _, v := range vs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", v.ID, v.Matchers, v.StartsAt.Format(time.RFC3339),
			v.EndsAt.Format(time.RFC3339), v.State, v.Alerts, v.Author, v.Comment)
	}
	return tw.Flush()
}

func silenceExpireCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "expire ID...",
		Short:   "End silences now: what they muted is delivered again (they are kept, as expired)",
		Example: "  homesoc silence expire 0b6f3c2e-6a51-4c0e-9d7a-2f4a1e8b9c10",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withStore(cmd.Context(), func(st store.Store) error {
				out := []silence.Silence{}
				for _, id := range args {
					s, err := st.ExpireSilence(cmd.Context(), id)
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("%w; \"homesoc silence list --all\" shows the silences", err)
					}
					if err != nil {
						return err
					}
					out = append(out, s)
					if !e.json {
						fmt.Fprintf(e.stdout, "expired %s\n", s.ID)
					}
				}
				if e.json {
					return e.printJSON(out)
				}
				return nil
			})
		},
	}
}
