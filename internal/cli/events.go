package cli

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

type eventsOpts struct {
	since, until string
	src, dst     string
	port         uint16
	action       string
	limit        int
	csv          bool
}

func eventsCmd(e *env) *cobra.Command {
	var o eventsOpts
	cmd := &cobra.Command{
		Use:   "events [flags]",
		Short: "List stored network events, filtered",
		Long: `List the stored network events that the flags select: the most recent --limit
of them, printed oldest first - a table of the main columns, --json (every
column: {"total": N, "events": [{...}, ...]}) or --csv (every column, RFC 4180,
with a header).

--since and --until take a time (2026-04-06T16:05:29Z, 2026-04-06 16:05:29 UTC,
2026-04-06) or a duration before now (24h, 7d); events are matched by their
own time, not by when they were ingested. For anything the flags cannot say,
use "homesoc query".`,
		Example: `  homesoc events
  homesoc events --since 24h --action drop --port 22
  homesoc events --src 198.51.100.7 --limit 0 --csv > from-198.51.100.7.csv
  homesoc --json events --since 2026-04-06 --until 2026-04-07`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.events(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.since, "since", "", "only events at or after this time, or this long ago (default: all)")
	cmd.Flags().StringVar(&o.until, "until", "", "only events before this time, or this long ago")
	cmd.Flags().StringVar(&o.src, "src", "", "only events from this address")
	cmd.Flags().StringVar(&o.dst, "dst", "", "only events to this address")
	cmd.Flags().Uint16Var(&o.port, "port", 0, "only events with this port on either side")
	cmd.Flags().StringVar(&o.action, "action", "", "only events with this action (allow, drop, reject, ...)")
	cmd.Flags().IntVar(&o.limit, "limit", 100, "list at most this many, the most recent (0: all)")
	cmd.Flags().BoolVar(&o.csv, "csv", false, "print CSV (RFC 4180) with a header")
	return cmd
}

// eventFilter turns the flags into a store.EventFilter.
func (o eventsOpts) eventFilter(now time.Time) (store.EventFilter, error) {
	f := store.EventFilter{Port: o.port, Action: o.action, Limit: o.limit}
	var err error
	if o.limit < 0 {
		return f, fmt.Errorf("--limit %d: want 0 (all) or more", o.limit)
	}
	if o.since != "" {
		if f.Since, err = view.ParseTime(o.since, now); err != nil {
			return f, fmt.Errorf("--since: %w", err)
		}
	}
	if o.until != "" {
		if f.Until, err = view.ParseTime(o.until, now); err != nil {
			return f, fmt.Errorf("--until: %w", err)
		}
	}
	for _, a := range []struct {
		flag, text string
		addr       *netip.Addr
	}{{"--src", o.src, &f.Src}, {"--dst", o.dst, &f.Dst}} {
		if a.text == "" {
			continue
		}
		if *a.addr, err = netip.ParseAddr(a.text); err != nil {
			return f, fmt.Errorf("%s: %q is not an IP address", a.flag, a.text)
		}
	}
	return f, nil
}

func (e *env) events(ctx context.Context, o eventsOpts) error {
	if err := e.checkFormat(o.csv); err != nil {
		return err
	}
	f, err := o.eventFilter(time.Now())
	if err != nil {
		return err
	}
	return e.readStore(ctx, func(st store.Store) error {
		res, total, err := st.Events(ctx, f)
		if err != nil {
			return err
		}
		slices.Reverse(res.Rows) // the most recent, oldest first
		switch {
		case e.json:
			return e.printJSON(view.EventList{Total: total, Events: view.EventRows(res)})
		case o.csv:
			return writeCSV(e.stdout, res.Columns, res.Rows)
		}
		e.printEventTable(res)
		if n := int64(len(res.Rows)); n < total {
			fmt.Fprintf(e.stdout, "(the last %d of %d events: --limit 0 lists all)\n", n, total)
		} else {
			fmt.Fprintf(e.stdout, "(%d events)\n", total)
		}
		return nil
	})
}

// printEventTable prints the columns of events an analyst reads first.
func (e *env) printEventTable(res *store.Result) {
	// col returns the reader of column name, found in res.Columns once; a
	// column the result lacks reads as nil.
	col := func(name string) func(row []any) any {
		i := slices.Index(res.Columns, name)
		return func(row []any) any {
			if i < 0 {
				return nil
			}
			return row[i]
		}
	}
	endpoint := func(side string) func(row []any) string {
		ipOf, portOf := col(side+"_ip"), col(side+"_port")
		return func(row []any) string {
			ip, port := textValue(ipOf(row)), textValue(portOf(row))
			if port == "" || port == "0" {
				return ip
			}
			return net.JoinHostPort(ip, port)
		}
	}
	timeOf, action, protocol, src, dst := col("time"), col("action"), col("protocol"), endpoint("src"), endpoint("dst")
	in, out, format := col("in_iface"), col("out_iface"), col("format")
	cols := []string{"time", "action", "protocol", "source", "destination", "in", "out", "format"}
	rows := make([][]any, len(res.Rows))
	for i, row := range res.Rows {
		t, _ := timeOf(row).(time.Time)
		rows[i] = []any{t.UTC().Format(time.DateTime), action(row), protocol(row), src(row), dst(row), in(row), out(row), format(row)}
	}
	writeTable(e.stdout, cols, rows)
}
