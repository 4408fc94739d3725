package cli

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/exposure"
	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

// rescanView is what exposure rescan prints with --json.
type rescanView struct {
	exposure.RescanResult
	TicketID       string   `json:"ticket_id"`
	Target         string   `json:"target"`
	ScanID         string   `json:"scan_id"`          // the rescan's scan
	DetectedScanID string   `json:"detected_scan_id"` // the scan compared with
	Diff           hostDiff `json:"diff"`             // as scan diff prints it, with the router's UPnP mappings
	ExposedNow     int      `json:"exposed_now"`      // ports the ticket lists open now
}

func exposureRescanCmd(e *env) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "rescan TICKET [--allow CIDR]...",
		Short: "Rescan an exposure ticket's router address with the same ports, and show what changed since detection",
		Long: `Rescan the global IP of an exposure ticket with the TCP and UDP ports of the
scan the ticket rests on (service detection included), store the scan, and
compare it with the scan that opened the ticket, as "scan diff" does: ports
opened, closed and changed since detection. The comparison is appended to
the ticket's rescans (alerts show lists them), and the ticket is updated:
resolved (by rescan) when nothing exposed is left, reopened (by rescan)
when a resolved ticket's address exposes ports again. An address where
nothing answered leaves the ticket as it is.

TICKET is the ticket's alert id or a prefix of it that only it has, as
alerts show takes it. Targets outside global unicast space are refused
before any packet unless --allow or the config's scan.allow names their
range; --rate and the concurrency limits default to the config's scan
section.`,
		Example: `  homesoc exposure rescan 1021f5b0
  homesoc --json exposure rescan 1021f5b0 --allow 127.0.0.0/8`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			e.scanDefaults(cmd, &f)
			o, err := f.options("homesoc " + strings.Join(os.Args[1:], " "))
			if err != nil {
				return err
			}
			return e.withStore(ctx, func(st store.Store) error {
				as, err := st.Alerts(ctx)
				if err != nil {
					return err
				}
				a, err := view.FindAlert(as, args[0])
				if err != nil {
					return err
				}
				res, err := e.rescanTicket(ctx, st, a, o)
				if err != nil {
					return err
				}
				if res.Outcome != exposure.RescanUnreachable {
					if err := e.notifyChanged(ctx, st); err != nil {
						return err
					}
				}
				return e.printRescan(ctx, st, res)
			})
		},
	}
	f.addLimits(cmd)
	return cmd
}

// scanDefaults sets from the config's scan section the limits no flag
// gave, and adds its allowed ranges to --allow's.
func (e *env) scanDefaults(cmd *cobra.Command, f *scanFlags) {
	if e.cfg == nil {
		return
	}
	c := e.cfg.Scan
	for _, p := range c.Allow {
		f.allow = append(f.allow, string(p))
	}
	changed := func(name string) bool { return cmd.Flags().Changed(name) }
	if c.Rate != 0 && !changed("rate") {
		f.rate = c.Rate
	}
	if c.Concurrency != 0 && !changed("concurrency") {
		f.concurrency = c.Concurrency
	}
	if c.HostConcurrency != 0 && !changed("host-concurrency") {
		f.hostConc = c.HostConcurrency
	}
}

// rescanTicket rescans ticket a, appending the ticket to tickets.jsonl in
// the data directory when it changes.
func (e *env) rescanTicket(ctx context.Context, st store.Store, a alert.Alert, o scan.Options) (exposure.RescanResult, error) {
	tf, err := os.OpenFile(filepath.Join(e.dataDir, "tickets.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return exposure.RescanResult{}, err
	}
	defer tf.Close()
	return exposure.RescanTicket(ctx, st, a, exposure.RescanOptions{Allow: o.Allow, Tickets: tf,
		Scan: func(ctx context.Context, target netip.Addr, tcp, udp []uint16) (scan.Scan, error) {
			so := o
			so.Ports, so.UDPPorts, so.UDP = tcp, udp, nil
			if len(udp) > 0 {
				so.UDP = udpScanner()
			}
			return e.runScan(ctx, []netip.Addr{target}, so)
		}})
}

func (e *env) printRescan(ctx context.Context, st store.Store, res exposure.RescanResult) error {
	t := res.Ticket
	ds, err := hostDiffs(ctx, st, res.Detection, res.Scan, []netip.Addr{t.GlobalIP.Unmap()})
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(rescanView{RescanResult: res, TicketID: t.ID, Target: t.GlobalIP.String(),
			ScanID: res.Scan.ID, DetectedScanID: res.Detection.ID, Diff: ds[0], ExposedNow: len(t.OpenPorts)})
	}
	fmt.Fprintf(e.stdout, "ticket %s: rescan of %s (scan %s) against detection (scan %s)\n", t.ID[:8], t.GlobalIP, res.Scan.ID, res.Detection.ID)
	if res.Outcome == exposure.RescanUnreachable {
		fmt.Fprintf(e.stdout, "%s answered nothing (off, or dropping every probe): the ticket is unchanged (%s)\n", t.GlobalIP, res.PreviousStatus)
		return nil
	}
	if err := e.printDiffs(res.Detection, res.Scan, ds); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	switch res.Outcome {
	case exposure.RescanResolved:
		fmt.Fprintf(e.stdout, "ticket %s resolved by rescan: nothing exposed any more (was %s)\n", t.ID[:8], res.PreviousStatus)
	case exposure.RescanReopened:
		fmt.Fprintf(e.stdout, "ticket %s reopened by rescan: %d port(s) exposed again\n", t.ID[:8], len(t.OpenPorts))
	default:
		fmt.Fprintf(e.stdout, "ticket %s still %s: %d port(s) exposed\n", t.ID[:8], t.Status, len(t.OpenPorts))
	}
	return nil
}

// printRescans prints a ticket's rescans, as alerts show does.
func printRescans(w io.Writer, rs []exposure.Rescan) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintln(w, "  rescans (against detection):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rs {
		var parts []string
		for _, c := range []struct {
			what string
			ps   []exposure.PortChange
		}{{"opened", r.Opened}, {"closed", r.Closed}, {"changed", r.Changed}, {"unconfirmed", r.Unconfirmed}} {
			if len(c.ps) == 0 {
				continue
			}
			labels := make([]string, len(c.ps))
			for i, p := range c.ps {
				labels[i] = p.Label()
			}
			parts = append(parts, c.what+" "+strings.Join(labels, ","))
		}
		if len(parts) == 0 {
			parts = []string{"no change"}
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", r.At.Format(time.RFC3339), r.Status, strings.Join(parts, "; "), r.ScanID)
	}
	tw.Flush()
}
