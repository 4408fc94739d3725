package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/exposure"
	"github.com/homesoc/homesoc/internal/intended"
	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/upnp"
	"github.com/homesoc/homesoc/internal/view"
)

func exposureCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exposure",
		Short: "Find remote workers' routers that expose ports: suspects, scans, tickets, intended ports, UPnP mappings",
	}
	allow := &cobra.Command{
		Use:   "allow",
		Short: "Keep the list of ports opened on purpose: they never raise tickets",
		Long: `Intended ports are opened on purpose (a VPN portal, a NAS shared with the
family): a ticket never lists them, though scans and diffs still show
them. Each entry names one port and protocol for an address, a device (EDR
host id) or a user, with a reason, an author and an optional expiry; an
expired entry stops hiding its port.`,
	}
	allow.AddCommand(allowAddCmd(e), allowListCmd(e), allowRemoveCmd(e))
	cmd.AddCommand(exposureRunCmd(e), allow, exposureUPnPCmd(e))
	cmd.AddCommand(exposureRescanCmd(e))
	return cmd
}

func allowAddCmd(e *env) *cobra.Command {
	var addr, device, userName, port, reason, author, expires string
	cmd := &cobra.Command{
		Use:   "add (--address A | --device ID | --user U) --port 8443/tcp --reason TEXT [--expires 30d]",
		Short: "Record a port as opened on purpose",
		Example: `  homesoc exposure allow add --device 4f1c0a7e9b2d --port 8443/tcp --reason "NAS photo sharing, approved by IT" --expires 90d
  homesoc exposure allow add --address 198.51.100.7 --port 1194/udp --reason "family OpenVPN"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a := intended.Allowance{DeviceID: device, User: userName, Reason: reason, Author: author}
			if addr != "" {
				ip, err := netip.ParseAddr(addr)
				if err != nil {
					return fmt.Errorf("--address %q is not an IP address", addr)
				}
				a.Address = ip.Unmap()
			}
			var err error
			if a.Port, a.Proto, err = intended.ParsePort(port); err != nil {
				return fmt.Errorf("--port: %w", err)
			}
			if a.Author == "" {
				a.Author = e.cfg.Exposure.Author // the config's default, else the login name
			}
			if a.Author == "" {
				a.Author = whoami()
			}
			now := store.Now()
			a.Created = now
			if d := e.cfg.Exposure.Expires; expires == "" && d > 0 {
				a.Expires = now.Add(time.Duration(d))
			}
			if expires != "" {
				d, err := parseDays(expires)
				if err != nil {
					return fmt.Errorf("--expires: %w", err)
				}
				a.Expires = now.Add(d)
			}
			if err := a.Validate(); err != nil {
				return err
			}
			return e.withStore(cmd.Context(), func(st store.Store) error {
				a, err := st.AddAllowance(cmd.Context(), a)
				if err != nil {
					return err
				}
				if e.json {
					return e.printJSON(a)
				}
				fmt.Fprintf(e.stdout, "added %s: %d/%s for %s (%s)\n", a.ID, a.Port, a.Proto, allowanceWho(a), a.Reason)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "address", "", "the router address the port is open on")
	fl.StringVar(&device, "device", "", "the device (EDR host id) whose router opens the port")
	fl.StringVar(&userName, "user", "", "the user whose routers open the port")
	fl.StringVar(&port, "port", "", "the port and protocol, e.g. 8443/tcp or 1194/udp (required)")
	fl.StringVar(&reason, "reason", "", "why the port is open (required)")
	fl.StringVar(&author, "author", "", "who decided (default: the config's exposure.author, else the login name)")
	fl.StringVar(&expires, "expires", "", "how long the entry holds, e.g. 30d or 12h (default: the config's exposure.expires, else until removed)")
	return cmd
}

// parseDays reads a duration that may count days: "30d", "1d12h", "12h".
func parseDays(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("%q: want a duration like 30d, 12h or 1d12h", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	if s == "" {
		return days, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d+days <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration like 30d, 12h or 1d12h", s)
	}
	return days + d, nil
}

func whoami() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func allowanceWho(a intended.Allowance) string {
	switch {
	case a.Address.IsValid():
		return "address " + a.Address.String()
	case a.DeviceID != "":
		return "device " + a.DeviceID
	}
	return "user " + a.User
}

func allowListCmd(e *env) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:     "list [--all]",
		Short:   "List the intended ports",
		Example: "  homesoc exposure allow list\n  homesoc --json exposure allow list --all",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.readStore(cmd.Context(), func(st store.Store) error {
				as, err := st.Allowances(cmd.Context(), all)
				if err != nil {
					return err
				}
				if e.json {
					return e.printJSON(view.NonNil(as))
				}
				if len(as) == 0 {
					fmt.Fprintln(e.stdout, "no intended ports")
					return nil
				}
				now := time.Now()
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tPORT\tFOR\tREASON\tAUTHOR\tEXPIRES")
				for _, a := range as {
					exp := "never"
					if !a.Expires.IsZero() {
						exp = a.Expires.Format(time.DateTime)
						if a.Expired(now) {
							exp += " (expired)"
						}
					}
					fmt.Fprintf(tw, "%s\t%d/%s\t%s\t%s\t%s\t%s\n", a.ID, a.Port, a.Proto, allowanceWho(a), a.Reason, a.Author, exp)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include expired entries")
	return cmd
}

func allowRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "remove ID",
		Short:   "Remove an intended port: its port raises tickets again",
		Example: "  homesoc exposure allow remove al-3fa2b1c4d5e6",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withStore(cmd.Context(), func(st store.Store) error {
				if err := st.RemoveAllowance(cmd.Context(), args[0]); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("%w; \"homesoc exposure allow list --all\" shows the entries", err)
					}
					return err
				}
				if e.json {
					return e.printJSON(map[string]string{"removed": args[0]})
				}
				fmt.Fprintf(e.stdout, "removed %s\n", args[0])
				return nil
			})
		},
	}
}

func exposureUPnPCmd(e *env) *cobra.Command {
	var igd string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "upnp [--igd URL]",
		Short: "List the port mappings a home router's UPnP IGD holds, and which inside device asked for each",
		Long: `Ask the home router's UPnP Internet Gateway Device for its port mappings
(GetGenericPortMappingEntry): external port, protocol, the inside client and
port it forwards to, the description the asking program gave, and the
lease. UPnP lets any program inside open ports on the router - no firewall
or VPN setting stops it - so this names the device behind an exposed port.
The listing is stored; exposure tickets show the mappings of their endpoint.

Run it on the home network. --igd names the router's description URL (e.g.
http://192.168.1.1:5000/rootDesc.xml) or its control URL; without it, the
router is found by SSDP multicast on the local network.`,
		Example: `  homesoc exposure upnp
  homesoc exposure upnp --igd http://192.168.178.1:49000/igddesc.xml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			urls := []string{igd}
			if igd == "" {
				found, err := upnp.Discover(ctx, wait)
				if err != nil {
					return fmt.Errorf("SSDP discovery: %w (give the router's URL with --igd)", err)
				}
				urls = urls[:0]
				for _, r := range found {
					urls = append(urls, r.Location)
				}
				if len(urls) == 0 {
					return fmt.Errorf("no UPnP IGD answered within %s: UPnP may be off on the router (good), or give its URL with --igd", wait)
				}
			}
			listings, err := readMappings(ctx, urls)
			if err != nil {
				return err
			}
			if err := e.withStore(ctx, func(st store.Store) error { return storeMappings(ctx, st, listings) }); err != nil {
				return err
			}
			return e.printMappings(listings)
		},
	}
	cmd.Flags().StringVar(&igd, "igd", "", "the router's UPnP description or control URL (default: find it by SSDP multicast)")
	cmd.Flags().DurationVar(&wait, "discover-wait", 3*time.Second, "how long SSDP discovery listens for routers")
	return cmd
}

// readMappings reads the port mappings of each IGD, and the router's
// external address, which ties them to scans and tickets of that address.
func readMappings(ctx context.Context, urls []string) ([]store.MappingListing, error) {
	var out []store.MappingListing
	c := upnp.Client{}
	for _, u := range urls {
		svc, err := c.ResolveConnectionService(ctx, u)
		if err != nil {
			return nil, err
		}
		ms, err := c.ListMappings(ctx, svc)
		if err != nil {
			return nil, err
		}
		l := store.MappingListing{IGD: svc.ControlURL, Seen: store.Now(), Mappings: view.NonNil(ms)}
		if ip, err := c.ExternalIP(ctx, svc); err == nil && ip.IsValid() {
			l.ExternalIP = ip.Unmap().String()
		}
		out = append(out, l)
	}
	return out, nil
}

func storeMappings(ctx context.Context, st store.Store, ls []store.MappingListing) error {
	for _, l := range ls {
		if err := st.WriteMappings(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) printMappings(listings []store.MappingListing) error {
	if e.json {
		return e.printJSON(listings)
	}
	for _, l := range listings {
		fmt.Fprintf(e.stdout, "%s: %d port mappings (router's external address: %s)\n", l.IGD, len(l.Mappings), orDash(l.ExternalIP))
		if len(l.Mappings) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "EXTERNAL\tINTERNAL CLIENT\tENABLED\tLEASE\tDESCRIPTION")
		for _, m := range l.Mappings {
			lease := "permanent"
			if m.Lease > 0 {
				lease = m.Lease.String()
			}
			fmt.Fprintf(tw, "%d/%s\t%s:%d\t%t\t%s\t%s\n", m.ExternalPort, m.Proto, m.InternalClient, m.InternalPort, m.Enabled, lease, m.Description)
		}
		tw.Flush()
	}
	return nil
}

func exposureRunCmd(e *env) *cobra.Command {
	var f scanFlags
	var since time.Duration
	cmd := &cobra.Command{
		Use:   "run [--since 24h] [--allow CIDR]...",
		Short: "Scan the routers of suspect endpoints and open, update or resolve one ticket per exposed endpoint",
		Long: `Run the exposure chain once:

 1. suspects: the open alerts of the rules endpoint-public-ip (an endpoint
    holds a global address), inbound-from-internet (an endpoint behind NAT
    accepted a connection from the internet) and router-inbound-accepted (a
    router's firewall let one in), last seen within --since; run
    "homesoc detect" first so they are current;
 2. each router address is scanned once, however many endpoints name it,
    together with the addresses of tickets still open (their rescan);
 3. ports the intended-port list covers ("exposure allow") are dropped;
 4. one ticket per exposed endpoint (device and router address) - an alert
    of rule "exposure" holding global IP, local IP, host name, log type, OS,
    scan time, open ports and the service of each, plus device, user, the
    rules that raised it and what each port is and why it matters. A later
    run updates the same ticket; a rescan that finds nothing exposed
    resolves it. Tickets are also appended to tickets.jsonl in the data
    directory.

Targets outside global unicast space stop the run before any packet unless
--allow names their range.`,
		Example: `  homesoc detect && homesoc exposure run
  homesoc exposure run --since 72h --udp
  homesoc --json exposure run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			e.scanDefaults(cmd, &f) // the config's scan section, where no flag says otherwise
			if d := e.cfg.Exposure.Since; d > 0 && !cmd.Flags().Changed("since") {
				since = time.Duration(d)
			}
			o, err := f.options("homesoc " + strings.Join(os.Args[1:], " "))
			if err != nil {
				return err
			}
			return e.withStore(ctx, func(st store.Store) error {
				res, err := e.exposureRun(ctx, st, o, since)
				if err != nil {
					return err
				}
				if err := e.printExposureRun(res); err != nil {
					return err
				}
				if n := len(res.Refused); n > 0 {
					return fmt.Errorf("%d suspect addresses refused and not scanned (see above)", n)
				}
				return nil
			})
		},
	}
	f.add(cmd)
	cmd.Flags().DurationVar(&since, "since", 24*time.Hour, "take suspects from alerts last seen within this long (default: the config's exposure.since, else 24h)")
	return cmd
}

// exposureRun runs the exposure chain once, appending its tickets to
// tickets.jsonl in the data directory.
func (e *env) exposureRun(ctx context.Context, st store.Store, o scan.Options, since time.Duration) (exposure.Result, error) {
	tf, err := os.OpenFile(filepath.Join(e.dataDir, "tickets.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return exposure.Result{}, err
	}
	defer tf.Close()
	res, err := exposure.Run(ctx, st, exposure.Options{
		Since: time.Now().Add(-since), Allow: o.Allow, Tickets: tf,
		Scan: func(ctx context.Context, targets []netip.Addr) (scan.Scan, error) {
			return e.runScan(ctx, targets, o)
		},
	})
	if err != nil {
		return res, err
	}
	if err := e.notifyChanged(ctx, st); err != nil {
		return res, fmt.Errorf("tickets stored, but not routed to receivers: %w", err)
	}
	return res, nil
}

func (e *env) printExposureRun(res exposure.Result) error {
	if e.json {
		return e.printJSON(res)
	}
	for _, b := range res.BadSuspects {
		fmt.Fprintf(e.stderr, "homesoc: alert %s of %s: %s (not scanned)\n", b.Alert, b.Rule, b.Reason)
	}
	for _, r := range res.Refused {
		fmt.Fprintf(e.stderr, "homesoc: %s (not scanned; its tickets are unchanged)\n", r.Reason)
	}
	if len(res.Targets) == 0 && len(res.Tickets) == 0 {
		if len(res.Refused) == 0 {
			fmt.Fprintln(e.stdout, "no suspects and no open tickets: nothing to scan (run \"homesoc detect\" after ingesting EDR or router logs)")
		}
		return nil
	}
	for _, a := range res.Unreachable {
		fmt.Fprintf(e.stdout, "%s answered nothing (off, or dropping every probe): its tickets are unchanged\n", a)
	}
	fmt.Fprintf(e.stdout, "%d suspect endpoints, %d addresses scanned (scan %s)\n", len(res.Suspects), len(res.Targets), res.ScanID)
	for _, t := range res.Tickets {
		fmt.Fprintln(e.stdout)
		printTicket(e, t)
	}
	fmt.Fprintf(e.stdout, "\ntickets: %d opened, %d updated, %d resolved in %.1fs (alerts list shows them as rule %q)\n",
		res.Opened, res.Updated, res.Resolved, res.ElapsedS, exposure.TicketRule)
	return nil
}

// printTicket prints the fields of an exposure ticket.
func printTicket(e *env, t exposure.Ticket) {
	state := "EXPOSED"
	if t.Status == alert.StatusResolved {
		state = "resolved: nothing exposed any more"
	}
	fmt.Fprintf(e.stdout, "ticket %s  %s\n", t.ID[:8], state)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, kv := range [][2]string{
		{"global IP", t.GlobalIP.String()}, {"local IP", t.LocalIP}, {"host name", t.Hostname},
		{"log type", t.LogType}, {"OS", t.OS}, {"scan time", t.ScanTime.Format(time.RFC3339)},
		{"device", t.DeviceID}, {"user", t.User}, {"owner", t.Owner}, {"raised by", strings.Join(t.Rules, ", ")},
	} {
		fmt.Fprintf(tw, "  %s:\t%s\n", kv[0], orDash(kv[1]))
	}
	tw.Flush()
	for _, f := range t.OpenPorts {
		state := "open"
		if f.NotRescanned {
			state = "open?" // found open before; this scan did not try it
		}
		fmt.Fprintf(e.stdout, "  %s %-10s %s - %s: %s\n", state, f.Label(), orDash(f.ServiceText()), f.What, f.Risk)
		if f.Evidence != "" {
			fmt.Fprintf(e.stdout, "       %-10s %s\n", "", f.Evidence)
		}
	}
	for _, f := range t.Intended {
		fmt.Fprintf(e.stdout, "  intended %-6s %s (%s)\n", f.Label(), orDash(f.ServiceText()), f.IntendedBy)
	}
	for _, m := range t.Mappings {
		fmt.Fprintf(e.stdout, "  UPnP mapping %d/%s -> %s:%d %q\n", m.ExternalPort, m.Proto, m.InternalClient, m.InternalPort, m.Description)
	}
	printRescans(e.stdout, t.Rescans)
	if t.Note != "" {
		fmt.Fprintf(e.stdout, "  note: %s\n", t.Note)
	}
}
