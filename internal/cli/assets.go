package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/assets"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/engine"
)

func assetsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "assets",
		Short: "The asset inventory: devices, their owners, MACs and tags",
		Long: `The asset inventory: one record per device id (the EDR's host id, such as a
CrowdStrike aid or a Defender DeviceId, or the inventory's own id), with its
host name, MAC addresses, owner, OS, tags, serial, location and notes.

"homesoc assets import" loads what you know (a CSV or JSON export of your
inventory); EDR host records that "homesoc ingest" reads (CrowdStrike
aidmaster and managedassets, Defender DeviceInfo and DeviceNetworkInfo) keep
host name, OS, MACs and last seen current, and never clear the owner, tags
or notes an import set. Alerts name a device's owner from here.`,
	}
	cmd.AddCommand(assetsImportCmd(e), assetsListCmd(e), assetsShowCmd(e))
	return cmd
}

// importReport is the JSON document of "assets import".
type importReport struct {
	File   string `json:"file"`
	DryRun bool   `json:"dry_run"`
	assets.Counts
	Rejected       int             `json:"rejected"`
	Rejects        []assets.Reject `json:"rejects"`
	IgnoredColumns []string        `json:"ignored_columns"`
}

func assetsImportCmd(e *env) *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Load an inventory file: CSV or JSON, upserted by device id",
		Long: `Load an inventory file ("-" for stdin) into the asset inventory, upserting
each record by its device id: a new id adds a device, a known one is updated
with the fields the record gives (an empty field keeps what is stored).

The file is CSV with a header row (comma, semicolon or tab separated), a
JSON array of objects, or JSON lines. Column names are matched ignoring case,
spaces, hyphens and underscores, with common aliases:

  id         id, device_id, aid, DeviceId, host_id, asset_id
  hostname   hostname, host, DeviceName, ComputerName, name
  macs       macs, mac, mac_address (several separated by ; , or spaces;
             any of aa:bb:cc:dd:ee:ff, AA-BB-..., aabb.ccdd.eeff)
  owner      owner, assigned_to, user
  os         os, os_version, operating_system
  platform   platform, OSPlatform
  tags       tags, tag, labels (several separated by ; or ,)
  serial, location (or site), notes (or comments, description),
  first_seen, last_seen (RFC 3339 or a date)

Other columns are ignored, and listed. A record without an id, or with a
MAC or time that is not one, is rejected with its file:line and the reason;
the other records load, and the command exits 1.`,
		Example: `  homesoc assets import inventory.csv
  homesoc assets import --dry-run devices.json
  homesoc --json assets import devices.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.importAssets(cmd.Context(), args[0], dry)
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "say what the import would do, and write nothing")
	return cmd
}

// planImport upserts updates, or with dry only says what that would do:
// against no data directory yet, every device would be added.
func (e *env) planImport(ctx context.Context, us []assets.Update, dry bool, c *assets.Counts) error {
	if !dry {
		return e.withStore(ctx, func(st store.Store) error {
			var err error
			*c, err = st.UpsertAssets(ctx, us)
			return err
		})
	}
	err := e.readStore(ctx, func(st store.Store) error {
		ids := make([]string, len(us))
		for i, u := range us {
			ids[i] = u.ID
		}
		known, err := st.AssetsByID(ctx, ids)
		_, *c = assets.Plan(known, us, store.Now())
		return err
	})
	if none := (*engine.NoDataError)(nil); errors.As(err, &none) {
		_, *c = assets.Plan(nil, us, store.Now())
		return nil
	}
	return err
}

// importAssets runs "assets import".
func (e *env) importAssets(ctx context.Context, name string, dry bool) error {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(e.abs(name))
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	p, err := assets.Parse(name, r)
	if err != nil {
		return err
	}
	rep := importReport{File: name, DryRun: dry, Rejected: len(p.Rejects), Rejects: p.Rejects, IgnoredColumns: p.Ignored}
	if err := e.planImport(ctx, p.Updates, dry, &rep.Counts); err != nil {
		return err
	}
	if e.json {
		if err := e.printJSON(rep); err != nil {
			return err
		}
	} else {
		for _, rj := range p.Rejects {
			fmt.Fprintln(e.stderr, rj.Error(name))
		}
		verb := ""
		if dry {
			verb = " (dry run: nothing written)"
		}
		fmt.Fprintf(e.stdout, "%s%s: %d added, %d updated, %d unchanged, %d rejected\n", name, verb,
			rep.Added, rep.Updated, rep.Unchanged, rep.Rejected)
		if len(p.Ignored) > 0 {
			fmt.Fprintf(e.stdout, "ignored columns: %s\n", strings.Join(p.Ignored, ", "))
		}
	}
	if len(p.Rejects) > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d of %d records rejected", len(p.Rejects), len(p.Rejects)+len(p.Updates))}
	}
	return nil
}

func assetsListCmd(e *env) *cobra.Command {
	var f store.AssetFilter
	cmd := &cobra.Command{
		Use:   "list [--tag T] [--owner O] [--text S]",
		Short: "List the assets, by id",
		Example: `  homesoc assets list
  homesoc assets list --tag laptop --owner anna
  homesoc --json assets list --text a4:5e:60`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.readStore(cmd.Context(), func(st store.Store) error {
				as, err := st.Assets(cmd.Context(), f)
				if err != nil {
					return err
				}
				if e.json {
					return e.printJSON(nonNil(as))
				}
				if len(as) == 0 {
					fmt.Fprintln(e.stdout, "no assets")
					return nil
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tHOSTNAME\tOWNER\tOS\tMACS\tTAGS\tLAST SEEN")
				for _, a := range as {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, dash(a.Hostname), dash(a.Owner), dash(a.OS),
						dash(strings.Join(a.MACs, " ")), dash(strings.Join(a.Tags, ",")), shownTime(a.LastSeen))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&f.Tag, "tag", "", "only assets with this tag")
	cmd.Flags().StringVar(&f.Owner, "owner", "", "only assets of this owner")
	cmd.Flags().StringVar(&f.Text, "text", "", "only assets with this text in id, host name, owner, MACs, tags, serial, location or notes")
	return cmd
}

func shownTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.DateTime)
}

// shownAsset is an asset as "assets show" prints it: every field, and the
// addresses EDRs last reported for its device id.
type shownAsset struct {
	assets.Asset
	Addresses []deviceAddress `json:"addresses"`
}

// deviceAddress is an address an EDR reported for a device.
type deviceAddress struct {
	Kind      string    `json:"kind"` // interface, public_ip, listen
	Address   string    `json:"address"`
	Interface string    `json:"interface"`
	LastSeen  time.Time `json:"last_seen"`
}

// maxShownAddresses is how many addresses of a device "assets show" lists.
const maxShownAddresses = 10

func assetsShowCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID|HOSTNAME",
		Short: "Show an asset: every field, and its latest addresses",
		Long: `Show the asset of a device id, or the assets of a host name (ignoring case):
every field, and the addresses EDRs last reported for the device (its
interfaces and the public address it was seen from), latest first, at most
` + fmt.Sprint(maxShownAddresses) + `. --json prints a list, of one asset for an id.`,
		Example: `  homesoc assets show a1b2c3d4e5f60718293a4b5c6d7e8f90
  homesoc --json assets show laptop-anna`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return e.readStore(ctx, func(st store.Store) error {
				found, err := findAssets(ctx, st, args[0])
				if err != nil {
					return err
				}
				out := make([]shownAsset, len(found))
				for i, a := range found {
					out[i] = shownAsset{Asset: a}
					if out[i].Addresses, err = deviceAddresses(ctx, st, a.ID); err != nil {
						return err
					}
				}
				if e.json {
					return e.printJSON(out)
				}
				for i, a := range out {
					if i > 0 {
						fmt.Fprintln(e.stdout)
					}
					printAsset(e.stdout, a)
				}
				return nil
			})
		},
	}
}

// findAssets is the asset of id key, or else those of host name key.
func findAssets(ctx context.Context, st store.Store, key string) ([]assets.Asset, error) {
	byID, err := st.AssetsByID(ctx, []string{key})
	if err != nil {
		return nil, err
	}
	if a, ok := byID[key]; ok {
		return []assets.Asset{a}, nil
	}
	as, err := st.Assets(ctx, store.AssetFilter{Hostname: key})
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("no asset has id or host name %q; \"homesoc assets list\" shows them", key)
	}
	return as, nil
}

// safeID is a device id that can go into SQL as a literal on every engine
// as it is: EDR ids are hex, inventory ids rarely stranger.
var safeID = regexp.MustCompile(`^[A-Za-z0-9._:@-]+$`)

// deviceAddresses returns the addresses EDRs reported for a device, the
// latest first; none for an id safeID refuses.
func deviceAddresses(ctx context.Context, st store.Store, id string) ([]deviceAddress, error) {
	out := []deviceAddress{}
	if !safeID.MatchString(id) {
		return out, nil
	}
	res, err := st.Query(ctx, fmt.Sprintf(`SELECT kind, address, interface, max(time) AS last_seen FROM endpoint_states
		WHERE device_id = '%s' AND address != '' AND kind != 'listen'
		GROUP BY kind, address, interface ORDER BY last_seen DESC, kind, address LIMIT %d`, id, maxShownAddresses))
	if err != nil {
		return nil, fmt.Errorf("addresses of %s: %w", id, err)
	}
	for _, r := range res.Rows {
		d := deviceAddress{Kind: fmt.Sprint(r[0]), Address: fmt.Sprint(r[1]), Interface: fmt.Sprint(r[2])}
		if t, ok := r[3].(time.Time); ok {
			d.LastSeen = t.UTC()
		}
		out = append(out, d)
	}
	return out, nil
}

// printAsset prints every field of an asset, one a line.
func printAsset(w io.Writer, a shownAsset) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, f := range [][2]string{
		{"id", a.ID}, {"hostname", a.Hostname}, {"owner", a.Owner}, {"os", a.OS}, {"platform", a.Platform},
		{"macs", strings.Join(a.MACs, " ")}, {"tags", strings.Join(a.Tags, ", ")}, {"serial", a.Serial},
		{"location", a.Location}, {"notes", a.Notes}, {"source", a.Source}, {"first seen", shownTime(a.FirstSeen)},
		{"last seen", shownTime(a.LastSeen)}, {"updated", shownTime(a.UpdatedAt)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", f[0], dash(f[1]))
	}
	tw.Flush()
	if len(a.Addresses) == 0 {
		fmt.Fprintln(w, "addresses: none reported")
		return
	}
	fmt.Fprintln(w, "addresses:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, d := range a.Addresses {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", d.Address, d.Kind, dash(d.Interface), shownTime(d.LastSeen))
	}
	tw.Flush()
}
