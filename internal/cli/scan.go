package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/scan/nmapxml"
	"github.com/homesoc/homesoc/internal/scan/udp"
	"github.com/homesoc/homesoc/internal/store"
)

// scanFlags are the flags of every command that scans.
type scanFlags struct {
	ports       string
	udp         bool
	udpPorts    string
	allow       []string
	concurrency int
	hostConc    int
	rate        float64
	retries     int
	maxTimeout  time.Duration
	noServices  bool
}

func (f *scanFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.ports, "ports", "p", "top100", "TCP ports: top100, top1000, all, or a list and ranges like 22,80,8000-8100 (sets combine: top100,8443)")
	fl.BoolVar(&f.udp, "udp", false, "also probe UDP ports with protocol payloads (SSDP, mDNS, DNS, NTP, SNMP, NetBIOS, IKE, OpenVPN, ...)")
	fl.StringVar(&f.udpPorts, "udp-ports", "", "UDP ports to probe (implies --udp; default: every port a payload exists for)")
	f.addLimits(cmd)
}

// addLimits adds the flags of a scan whose ports are given: the allowed
// ranges and the limits.
func (f *scanFlags) addLimits(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.allow, "allow", nil, "allow targets in this range although not global unicast, e.g. 127.0.0.0/8 (repeatable; adds to the config's scan.allow)")
	fl.IntVar(&f.concurrency, "concurrency", scan.DefaultConcurrency, "connection attempts in flight, all targets together")
	fl.IntVar(&f.hostConc, "host-concurrency", scan.DefaultHostConcurrency, "connection attempts in flight per target")
	fl.Float64Var(&f.rate, "rate", scan.DefaultPPS, "connection attempts and datagrams started per second (0: no limit)")
	fl.IntVar(&f.retries, "retries", scan.DefaultRetries, "extra attempts for a port that stays silent")
	fl.DurationVar(&f.maxTimeout, "max-timeout", scan.DefaultMaxTimeout, "longest wait for a port to answer (the wait adapts to measured round trips below it)")
	fl.BoolVar(&f.noServices, "no-services", false, "find open ports only, without service and version detection")
}

// options turns the flags into scan options; args is recorded with the scan.
func (f *scanFlags) options(args string) (scan.Options, error) {
	o := scan.Options{Args: args, Concurrency: f.concurrency, HostConcurrency: f.hostConc, PPS: f.rate,
		MaxTimeout: f.maxTimeout, NoServices: f.noServices, Retries: f.retries}
	if f.rate <= 0 {
		o.PPS = -1 // Options: 0 is the default, negative no limit
	}
	if f.retries == 0 {
		o.Retries = -1 // Options: 0 is the default, negative none
	}
	var err error
	if o.Ports, err = scan.ParsePorts(f.ports); err != nil {
		return o, fmt.Errorf("--ports: %w", err)
	}
	if f.udp || f.udpPorts != "" {
		o.UDP = udpScanner()
		o.UDPPorts = udp.DefaultPorts()
		if f.udpPorts != "" {
			if o.UDPPorts, err = scan.ParsePorts(f.udpPorts); err != nil {
				return o, fmt.Errorf("--udp-ports: %w", err)
			}
		}
	}
	if o.Allow, err = parsePrefixes(f.allow); err != nil {
		return o, err
	}
	if o.MaxTimeout < scan.DefaultMinTimeout {
		o.MinTimeout = o.MaxTimeout
	}
	return o, nil
}

// parsePrefixes reads --allow values: CIDR ranges or single addresses.
func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			p, err := netip.ParsePrefix(part)
			if err != nil {
				a, aerr := netip.ParseAddr(part)
				if aerr != nil {
					return nil, fmt.Errorf("--allow %q: want a range like 127.0.0.0/8 or ::1/128, or an address", part)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// targetArgs is the Args check of scan: a target, or, for a word that can
// be no address (a mistyped subcommand), the unknown-command error every
// command gives.
func targetArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return errors.New("give at least one target address or range")
	}
	if !strings.ContainsAny(args[0], "0123456789:./") {
		return noArgs(cmd, args[:1])
	}
	return nil
}

// maxTargets bounds a range on the command line.
const maxTargets = 1 << 16

// parseTargets reads scan targets: addresses or CIDR ranges (every address
// of a range, at most maxTargets in all). Names are not resolved: a scan
// sends nothing, not even a DNS query, before its targets are checked.
func parseTargets(args []string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range args {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a.Unmap())
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("target %q is not an IP address or a range like 127.0.1.0/24 (host names are not resolved: give the address)", s)
		}
		p = p.Masked()
		for a := p.Addr(); p.Contains(a); a = a.Next() {
			if len(out) == maxTargets {
				return nil, fmt.Errorf("more than %d targets: scan fewer at a time", maxTargets)
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// runScan scans targets with a progress bar on a terminal.
func (e *env) runScan(ctx context.Context, targets []netip.Addr, o scan.Options) (scan.Scan, error) {
	if e.interactive() {
		bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("scanning"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		defer bar.Finish()
		started := false
		o.Progress = func(p scan.Progress) {
			if !started && p.PortsTotal > 0 {
				bar.ChangeMax(p.PortsTotal)
				started = true
			}
			bar.Describe(fmt.Sprintf("scanning: %d/%d hosts, %d open", p.HostsDone, p.HostsTotal, p.Open))
			_ = bar.Set(p.PortsDone)
		}
	}
	return scan.Run(ctx, targets, o)
}

func scanCmd(e *env) *cobra.Command {
	var f scanFlags
	var noStore bool
	cmd := &cobra.Command{
		Use:   "scan [--ports SET] [--udp] [--allow CIDR]... TARGET...",
		Short: "Scan addresses for open TCP and UDP ports and identify their services",
		Long: `Scan each TARGET (an IPv4 or IPv6 address, or a range such as 127.0.1.0/24)
with TCP connects (no root needed) and, with --udp, UDP probes that speak
each port's protocol; then identify the service, product and version on
every open port (banners, HTTP and TLS, and probes for SSH, FTP, telnet,
SMB, RDP, Redis, databases, MQTT, RTSP, VNC, printers, UPnP, ...). Port
states are nmap's: open, closed, filtered, open|filtered.

Safety: only global unicast addresses are scanned unless --allow names the
range of another (private, loopback, link-local, CGNAT, documentation,
multicast, reserved): a refused target stops the scan before any packet is
sent. Scan only what you are allowed to.

Timing adapts to measured round trips; --concurrency, --host-concurrency
and --rate bound the load, so many targets take time in proportion to the
limits, not to the sum of timeouts. The scan is stored (see "scan list",
"scan show", "scan diff") unless --no-store.`,
		Example: `  homesoc scan --allow 127.0.0.0/8 127.0.0.1
  homesoc scan --ports all --udp --allow ::1/128 ::1
  homesoc --json scan --ports 22,80,443,8000-8100 --allow 127.0.0.0/8 127.0.1.0/24`,
		Args: targetArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			targets, err := parseTargets(args)
			if err != nil {
				return err
			}
			e.scanDefaults(cmd, &f) // the config's scan section, where no flag says otherwise
			o, err := f.options("homesoc " + strings.Join(os.Args[1:], " "))
			if err != nil {
				return err
			}
			if err := scan.CheckTargets(targets, o.Allow); err != nil {
				return err // before the store is opened, and before any packet
			}
			ctx := cmd.Context()
			// The store is opened once the scan is done, so a long scan
			// does not keep other commands from the data directory.
			sc, err := e.runScan(ctx, targets, o)
			if err != nil {
				return err
			}
			if !noStore {
				err := e.withStore(ctx, func(st store.Store) error {
					sc.ID, err = st.WriteScan(ctx, sc)
					return err
				})
				if err != nil {
					return fmt.Errorf("store scan: %w", err)
				}
			}
			return e.printScan(sc)
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&noStore, "no-store", false, "print the scan without storing it")
	cmd.AddCommand(scanListCmd(e), scanShowCmd(e), scanDiffCmd(e), scanImportCmd(e))
	return cmd
}

func scanListCmd(e *env) *cobra.Command {
	var target string
	var limit int
	cmd := &cobra.Command{
		Use:     "list [--target IP]",
		Short:   "List stored scans, the newest first",
		Example: "  homesoc scan list\n  homesoc scan list --target 127.0.0.1\n  homesoc --json scan list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var fl store.ScanFilter
			if target != "" {
				a, err := netip.ParseAddr(target)
				if err != nil {
					return fmt.Errorf("--target %q is not an IP address", target)
				}
				fl.Target = a
			}
			fl.Limit = limit
			return e.readStore(cmd.Context(), func(st store.Store) error {
				ss, err := st.Scans(cmd.Context(), fl)
				if err != nil {
					return err
				}
				if e.json {
					return e.printJSON(nonNil(ss))
				}
				if len(ss) == 0 {
					fmt.Fprintln(e.stdout, "no scans")
					return nil
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSOURCE\tSTARTED\tTOOK\tHOSTS UP\tOPEN PORTS\tARGS")
				for _, s := range ss {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%d\t%s\n", s.ID, s.Source, s.Started.Format(time.DateTime),
						s.Finished.Sub(s.Started).Round(time.Second), s.HostsUp, s.Hosts, s.Open, clip(s.Args, 60))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only scans that hold this address")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many scans (0: all)")
	return cmd
}

func scanShowCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Short:   "Show a stored scan: every host and port, with services and evidence",
		Example: "  homesoc scan show 20260406T160529Z-3fa2b1c4d5e6\n  homesoc --json scan show 20260406T160529Z-3fa2b1c4d5e6",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.readStore(cmd.Context(), func(st store.Store) error {
				sc, err := st.Scan(cmd.Context(), args[0])
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("%w; \"homesoc scan list\" shows the stored scans", err)
				}
				if err != nil {
					return err
				}
				return e.printScan(sc)
			})
		},
	}
}

// printScan prints a scan as nmap users read one: per host, the ports
// that answered, then what the rest did.
func (e *env) printScan(sc scan.Scan) error {
	if e.json {
		return e.printJSON(sc)
	}
	took := sc.Finished.Sub(sc.Started).Round(10 * time.Millisecond)
	if sc.ID != "" {
		fmt.Fprintf(e.stdout, "scan %s (%s) %s, took %s\n", sc.ID, sc.Source, sc.Started.Format(time.RFC3339), took)
	}
	up := 0
	for _, h := range sc.Hosts {
		if h.Status == "up" {
			up++
		}
		fmt.Fprintf(e.stdout, "\n%s is %s", h.Addr, h.Status)
		if h.Hostname != "" {
			fmt.Fprintf(e.stdout, " (%s)", h.Hostname)
		}
		fmt.Fprintln(e.stdout)
		if len(h.Ports) > 0 {
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "PORT\tSTATE\tSERVICE\tVERSION\tEVIDENCE")
			for _, p := range h.Ports {
				svc := p.Service
				if p.Guessed {
					svc += "?"
				}
				fmt.Fprintf(tw, "%d/%s\t%s\t%s\t%s\t%s\n", p.Port, p.Proto, p.State, svc,
					strings.Join(strings.Fields(p.Product+" "+p.Version+" "+paren(p.Info)), " "), clip(evidenceText(p.Evidence), 70))
			}
			tw.Flush()
		}
		for _, proto := range []string{scan.TCP, scan.UDP} {
			if n := h.Closed[proto]; n > 0 {
				fmt.Fprintf(e.stdout, "not shown: %d closed %s ports\n", n, proto)
			}
			if n := h.Filtered[proto]; n > 0 {
				fmt.Fprintf(e.stdout, "not shown: %d filtered %s ports (no answer)\n", n, proto)
			}
		}
	}
	fmt.Fprintf(e.stdout, "\n%d of %d hosts up, scanned in %s\n", up, len(sc.Hosts), took)
	return nil
}

func evidenceText(ev scan.Evidence) string {
	switch {
	case ev.HTTP != nil && ev.HTTP.Admin != "":
		return "admin page: " + ev.HTTP.Admin
	case ev.HTTP != nil && ev.HTTP.Title != "":
		return "title: " + ev.HTTP.Title
	case ev.TLS != nil:
		return "cert: " + ev.TLS.Subject
	case ev.Banner != "":
		return ev.Banner
	}
	return ""
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// clip cuts s to n bytes for a table cell.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

func scanDiffCmd(e *env) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "diff [--target IP | SCAN_A SCAN_B]",
		Short: "Show what changed on a target between two scans: ports opened, closed and changed services",
		Long: `Compare two stored scans of a target (own scans and imported nmap scans
alike): the ports opened and closed since, the services whose product or
version changed, and the ports that stopped answering a UDP probe
(unconfirmed: open before, open|filtered now).

With --target, the two newest scans that hold the address are compared -
after "homesoc exposure run" rescans, that is detection time against now.
With two scan ids, those are compared (the older first), for --target's
address or, without it, for every address both hold.`,
		Example: `  homesoc scan diff --target 127.0.0.1
  homesoc scan diff 20260406T160529Z-3fa2b1c4d5e6 20260407T090000Z-8e1f2a3b4c5d`,
		Args: cobra.RangeArgs(0, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var addr netip.Addr
			if target != "" {
				var err error
				if addr, err = netip.ParseAddr(target); err != nil {
					return fmt.Errorf("--target %q is not an IP address", target)
				}
			}
			switch {
			case len(args) == 1:
				return errors.New("give two scan ids to compare, or --target IP alone")
			case len(args) == 0 && target == "":
				return errors.New("give --target IP, or two scan ids")
			}
			return e.readStore(ctx, func(st store.Store) error {
				var a, b scan.Scan
				var err error
				if len(args) == 2 {
					if a, err = st.Scan(ctx, args[0]); err != nil {
						return err
					}
					if b, err = st.Scan(ctx, args[1]); err != nil {
						return err
					}
					if b.Started.Before(a.Started) {
						a, b = b, a
					}
				} else {
					ss, err := st.LatestScans(ctx, addr, 2)
					if err != nil {
						return err
					}
					if len(ss) < 2 {
						return fmt.Errorf("%d stored scans hold %s; a diff needs two: scan it again with \"homesoc scan --allow ... %[2]s\"", len(ss), addr)
					}
					a, b = ss[1], ss[0]
				}
				var targets []netip.Addr
				if addr.IsValid() {
					targets = []netip.Addr{addr}
				} else {
					targets = commonHosts(a, b)
					if len(targets) == 0 {
						return fmt.Errorf("scans %s and %s hold no address in common", a.ID, b.ID)
					}
				}
				diffs, err := hostDiffs(ctx, st, a, b, targets)
				if err != nil {
					return err
				}
				return e.printDiffs(a, b, diffs)
			})
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "the address to compare")
	return cmd
}

// hostDiff is what "scan diff" shows of one address: the ports that changed
// and the UPnP port mappings of the router that reported the address as its
// own, which say who asked for a port.
type hostDiff struct {
	scan.HostDiff
	UPnPMappings []scan.PortMapping `json:"upnp_mappings"`
}

// hostDiffs compares scans a and b for each target.
func hostDiffs(ctx context.Context, st store.Store, a, b scan.Scan, targets []netip.Addr) ([]hostDiff, error) {
	listings, err := st.Mappings(ctx, "", time.Time{})
	if err != nil {
		return nil, err
	}
	out := make([]hostDiff, 0, len(targets))
	for _, t := range targets {
		d, err := scan.Diff(a, b, t)
		if err != nil {
			return nil, err
		}
		hd := hostDiff{HostDiff: d, UPnPMappings: []scan.PortMapping{}}
		for _, l := range listings {
			if l.ExternalIP == t.Unmap().String() {
				hd.UPnPMappings = append(hd.UPnPMappings, l.Mappings...)
			}
		}
		out = append(out, hd)
	}
	return out, nil
}

func commonHosts(a, b scan.Scan) []netip.Addr {
	in := map[netip.Addr]bool{}
	for _, h := range a.Hosts {
		in[h.Addr.Unmap()] = true
	}
	var out []netip.Addr
	for _, h := range b.Hosts {
		if in[h.Addr.Unmap()] {
			out = append(out, h.Addr.Unmap())
		}
	}
	return out
}

func (e *env) printDiffs(a, b scan.Scan, ds []hostDiff) error {
	if e.json {
		return e.printJSON(ds)
	}
	fmt.Fprintf(e.stdout, "from %s (%s, %s) to %s (%s, %s)\n", a.ID, a.Source, a.Started.Format(time.DateTime),
		b.ID, b.Source, b.Started.Format(time.DateTime))
	for _, d := range ds {
		fmt.Fprintf(e.stdout, "\n%s: %d changes\n", d.Target, d.Changes())
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		// A port a scan does not list was closed or silent (counted
		// among the rest), or, for not scanned, not tried at all.
		unlisted := "not open"
		row := func(what string, ps []scan.PortDiff) {
			for _, p := range ps {
				svc := ""
				if p.New != nil {
					svc = strings.Join(strings.Fields(p.New.Service+" "+p.New.Product+" "+p.New.Version), " ")
				} else if p.Old != nil {
					svc = strings.Join(strings.Fields(p.Old.Service+" "+p.Old.Product+" "+p.Old.Version), " ")
				}
				if len(p.Fields) > 0 && p.Old != nil {
					svc = strings.Join(strings.Fields(p.Old.Service+" "+p.Old.Product+" "+p.Old.Version), " ") + " -> " + svc
				}
				fmt.Fprintf(tw, "  %s\t%d/%s\t%s -> %s\t%s\n", what, p.Port, p.Proto, or(p.Before, unlisted), or(p.After, unlisted), svc)
			}
		}
		row("opened", d.Opened)
		row("closed", d.Closed)
		row("changed", d.Changed)
		row("unconfirmed", d.Unconfirmed)
		row("unchanged", d.Unchanged)
		unlisted = "not tried"
		row("not scanned", d.NotScanned)
		tw.Flush()
		for _, m := range d.UPnPMappings {
			fmt.Fprintf(e.stdout, "  UPnP mapping %d/%s -> %s:%d %q (listed %s)\n", m.ExternalPort, m.Proto,
				m.InternalClient, m.InternalPort, m.Description, m.Seen.Format(time.DateTime))
		}
	}
	return nil
}

func orDash(s string) string { return or(s, "-") }

// or is s, or instead when s is empty.
func or(s, instead string) string {
	if s == "" {
		return instead
	}
	return s
}

func scanImportCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE...",
		Short: "Import nmap XML scans (nmap -oX) so diffs can compare them with our own",
		Long: `Read scans that nmap wrote with -oX (any version from 3.x on) and store them
as scans of source nmap: hosts, ports with their states, and nmap's service
names, products and versions. "scan diff" then compares them with homesoc's
own scans of the same address. The same file imported twice is stored once.`,
		Example: "  nmap -sV -F -oX router.xml ROUTER_ADDRESS && homesoc scan import router.xml",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var scans []scan.Scan
			for _, name := range args {
				f, err := os.Open(e.abs(name))
				if err != nil {
					return err
				}
				sc, _, err := nmapxml.Decode(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				scans = append(scans, sc)
			}
			type imported struct {
				File  string `json:"file"`
				ID    string `json:"id"`
				Hosts int    `json:"hosts"`
				Ports int    `json:"ports"`
			}
			out := make([]imported, 0, len(scans))
			err := e.withStore(ctx, func(st store.Store) error {
				for i, sc := range scans {
					id, err := st.WriteScan(ctx, sc)
					if err != nil {
						return fmt.Errorf("%s: %w", args[i], err)
					}
					n := 0
					for _, h := range sc.Hosts {
						n += len(h.Ports)
					}
					out = append(out, imported{File: args[i], ID: id, Hosts: len(sc.Hosts), Ports: n})
				}
				return nil
			})
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(out)
			}
			for _, im := range out {
				fmt.Fprintf(e.stdout, "%s: scan %s, %d hosts, %d ports listed\n", im.File, im.ID, im.Hosts, im.Ports)
			}
			return nil
		},
	}
}

// udpScanner is the UDP prober scans use.
func udpScanner() scan.UDPScanner { return udp.Scanner{} }
