package cli

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/identity/refresh"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

func whoisCmd(e *env) *cobra.Command {
	var at string
	var window time.Duration
	cmd := &cobra.Command{
		Use:   "whois ADDRESS [--at TIME] [--window D]",
		Short: "Say who and which device was behind an address at a time, with the evidence",
		Long: `Say who and which device stood behind an address at a time, and the
evidence: the VPN session (its user, concentrator, public address, interval
and the vpn_sessions rows it was built from) or the EDR records (device id,
host name, the record's table and id).

An address a VPN session held at that time resolves through the session.
A private address no session held resolves through the EDRs' records of
devices holding it within --window before or after the time. More than one
candidate at the same moment (two laptops in two homes with 192.168.1.10,
two sessions on one pool address) is "ambiguous", with every candidate: no
candidate is ever picked. Several sessions one after another over a span
are "several". With no evidence the answer is "unknown"; every answer exits
0.

TIME is RFC 3339 (2026-01-10T10:30:00Z), 2026-01-10 10:30:00 (UTC),
2026-01-10, or a duration before now (2h, 1d); the default is now. VPN
intervals are rebuilt by ingest and detect.`,
		Example: `  homesoc whois 172.16.1.10 --at 2026-01-10T10:30:00Z
  homesoc whois 192.168.1.10 --at "2026-01-10 10:30:00" --window 30m
  homesoc --json whois 172.16.1.10 --at 2h`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := netip.ParseAddr(args[0])
			if err != nil || addr.Zone() != "" {
				return fmt.Errorf("whois: %q is not an IP address (want e.g. 172.16.1.10 or 2001:db8::1)", args[0])
			}
			t := time.Now().UTC().Truncate(time.Second)
			if at != "" {
				if t, err = view.ParseTime(at, t); err != nil {
					return fmt.Errorf("--at: %w", err)
				}
			}
			if window <= 0 {
				return fmt.Errorf("--window: want a positive duration, got %s", window)
			}
			return e.readStore(cmd.Context(), func(st store.Store) error {
				r := identity.NewResolver(st, identity.ResolverOptions{Window: window, Owners: store.Owners(st)})
				as, err := r.Resolve(cmd.Context(), []identity.Query{{Addr: addr.Unmap(), From: t, To: t}})
				if err != nil {
					return err
				}
				return e.printWhois(as[0])
			})
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "the time asked about (default now)")
	cmd.Flags().DurationVar(&window, "window", identity.DefaultWindow, "how far before or after the time an EDR's record of a private address counts")
	return cmd
}

// printWhois prints an answer: JSON, or its status line and a line per
// candidate.
func (e *env) printWhois(a identity.Answer) error {
	if e.json {
		return e.printJSON(a)
	}
	head := a.Status
	switch a.Status {
	case identity.Resolved:
		head = who(a.Candidates[0]) + " (" + a.Candidates[0].Source + ")"
	case identity.Several, identity.Ambiguous:
		head = fmt.Sprintf("%s, %d candidates", a.Status, len(a.Candidates))
	}
	when := a.From.Format(time.RFC3339)
	if !a.To.Equal(a.From) {
		when += " to " + a.To.Format(time.RFC3339)
	}
	fmt.Fprintf(e.stdout, "%s at %s: %s\n", a.Addr, when, head)
	for _, c := range a.Candidates {
		line := fmt.Sprintf("  %s (%s): %s", who(c), c.Source, c.Evidence)
		if c.Hostname != "" && c.User != "" {
			line += "; host " + c.Hostname
		}
		if c.Owner != "" {
			line += "; owner " + c.Owner
		}
		if c.IntervalID != "" {
			line += "; vpn_intervals " + c.IntervalID
		}
		if len(c.Records) > 0 {
			line += "; records " + strings.Join(c.Records, ", ")
		}
		fmt.Fprintln(e.stdout, line)
	}
	return nil
}

// who names a candidate: its user, else its device and host name.
func who(c identity.Candidate) string {
	switch {
	case c.User != "":
		return c.User
	case c.Hostname != "":
		return c.DeviceID + " " + c.Hostname
	}
	return c.DeviceID
}

// refreshIntervals rebuilds the VPN intervals of the session facts
// ingested since the last time (ingest at its end, detect at its start),
// locating their public addresses when a GeoIP database is configured.
func (e *env) refreshIntervals(ctx context.Context, st store.Store) error {
	defer e.exclusive(func(sh *shared) *sync.Mutex { return &sh.detectMu })() // inside serve: one at a time with its detection
	o := identity.Options{MaxSession: e.maxSession}
	db, err := e.openGeoIP()
	if err != nil {
		return err
	}
	if db != nil {
		defer db.Close()
		o.Geo = db.Lookup
		var src []string
		for _, s := range db.Sources() {
			src = append(src, s.Type+" "+s.Built.Format(time.DateOnly))
		}
		o.GeoSource = strings.Join(src, ", ") // the same databases wherever they are
	}
	_, err = refresh.Update(ctx, st, o)
	return err
}
