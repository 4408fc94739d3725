package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/homesoc/homesoc/internal/assets"
)

// AssetStore keeps the asset inventory (package assets): one row per
// device id, merged from imports and EDR host records. Every engine
// implements it as part of Store.
type AssetStore interface {
	// UpsertAssets merges updates, in order, into the stored assets
	// (assets.Plan, over the stored rows of their ids read in one query)
	// and writes the assets that changed.
	UpsertAssets(ctx context.Context, us []assets.Update) (assets.Counts, error)
	// Assets lists the assets f selects, by id.
	Assets(ctx context.Context, f AssetFilter) ([]assets.Asset, error)
	// AssetsByID returns the stored assets among ids, by id, in one query
	// whatever the number of ids: attribution fills the owner and host
	// name of a batch of alerts' devices with it. Unknown ids are absent.
	AssetsByID(ctx context.Context, ids []string) (map[string]assets.Asset, error)
}

// AssetFilter selects assets; its zero value selects all of them. Matches
// ignore case.
type AssetFilter struct {
	Tag      string // assets with this tag
	Owner    string // assets of this owner
	Hostname string // assets of this host name
	// Text: assets with it in their id, host name, owner, MACs, tags,
	// serial, location or notes.
	Text string
}

// Match reports whether f selects a.
func (f AssetFilter) Match(a assets.Asset) bool {
	if f.Tag != "" && !slices.ContainsFunc(a.Tags, func(t string) bool { return strings.EqualFold(t, f.Tag) }) {
		return false
	}
	if f.Owner != "" && !strings.EqualFold(a.Owner, f.Owner) {
		return false
	}
	if f.Hostname != "" && !strings.EqualFold(a.Hostname, f.Hostname) {
		return false
	}
	if f.Text != "" {
		hay := strings.ToLower(strings.Join([]string{a.ID, a.Hostname, a.Owner, assets.JoinList(a.MACs),
			assets.JoinList(a.Tags), a.Serial, a.Location, a.Notes}, "\x00"))
		if !strings.Contains(hay, strings.ToLower(f.Text)) {
			return false
		}
	}
	return true
}

// AssetColumns are the columns of assets, in table order.
const AssetColumns = "id, hostname, macs, owner, os, platform, tags, serial, location, notes, source, first_seen, last_seen, updated_at"

// AssetRow is an asset as both engines store it, columns as AssetColumns.
func AssetRow(a assets.Asset) []any {
	a = assets.Normal(a)
	return []any{a.ID, a.Hostname, assets.JoinList(a.MACs), a.Owner, a.OS, a.Platform, assets.JoinList(a.Tags),
		a.Serial, a.Location, a.Notes, a.Source, TimeOrEpoch(a.FirstSeen), TimeOrEpoch(a.LastSeen), TimeOrEpoch(a.UpdatedAt)}
}

// ScanAsset reads a row of AssetColumns.
func ScanAsset(r Rows) (assets.Asset, error) {
	var a assets.Asset
	var macs, tags string
	if err := r.Scan(&a.ID, &a.Hostname, &macs, &a.Owner, &a.OS, &a.Platform, &tags, &a.Serial, &a.Location, &a.Notes,
		&a.Source, &a.FirstSeen, &a.LastSeen, &a.UpdatedAt); err != nil {
		return a, err
	}
	a.MACs, a.Tags = assets.SplitList(macs), assets.SplitList(tags)
	a.FirstSeen, a.LastSeen, a.UpdatedAt = EpochOrZero(a.FirstSeen), EpochOrZero(a.LastSeen), EpochOrZero(a.UpdatedAt)
	return a, nil
}

// ReadAssets implements AssetStore.Assets on an engine. An inventory is a
// few thousand devices at most: the filter runs in Go, the same on every
// engine.
func ReadAssets(ctx context.Context, qr Querier, f AssetFilter) ([]assets.Asset, error) {
	out := []assets.Asset{}
	err := qr.collect(ctx, "assets", "SELECT "+AssetColumns+" FROM assets ORDER BY id", nil, func(r Rows) error {
		a, err := ScanAsset(r)
		if err == nil && f.Match(a) {
			out = append(out, a)
		}
		return err
	})
	return out, err
}

// ReadAssetsByID runs q, which selects AssetColumns, into a map by id.
func ReadAssetsByID(ctx context.Context, qr Querier, q string, args ...any) (map[string]assets.Asset, error) {
	out := map[string]assets.Asset{}
	err := qr.collect(ctx, "assets", q, args, func(r Rows) error {
		a, err := ScanAsset(r)
		if err == nil {
			out[a.ID] = a
		}
		return err
	})
	return out, err
}

// AssetComments are the comments of the assets table's columns.
var AssetComments = []ColumnComment{
	{"assets", "id", "the device id every source agrees on: the EDR host id (CrowdStrike aid, Defender DeviceId) or the inventory's own id"},
	{"assets", "hostname", "host name, from the latest EDR record or import that gave one"},
	{"assets", "macs", "MAC addresses, aa:bb:cc:dd:ee:ff, sorted, comma-separated: an import replaces them, EDR records add theirs"},
	{"assets", "owner", "who the device belongs to, from an import (EDR records never change it)"},
	{"assets", "os", "operating system and version, as the latest EDR record or import gave it"},
	{"assets", "platform", "the EDR's platform name (Win, Mac, Lin, Windows11)"},
	{"assets", "tags", "the operator's tags, sorted, comma-separated, from an import"},
	{"assets", "serial", "serial number, from an import"},
	{"assets", "location", "where the device is, from an import"},
	{"assets", "notes", "free text, from an import"},
	{"assets", "source", "where the last change came from: import:FILE or the EDR format (crowdstrike-fdr, defender)"},
	{"assets", "first_seen", "the earliest EDR record (or imported first_seen) of the device; 1970-01-01 when none"},
	{"assets", "last_seen", "the latest EDR record (or imported last_seen) of the device; 1970-01-01 when none"},
	{"assets", "updated_at", "when the row last changed (UTC, seconds)"},
}

// Owners is the asset inventory as identity's Resolver asks it (its
// ResolverOptions.Owners): the owners of the devices among ids, in one
// query; a device with no owner on record is absent.
func Owners(st AssetStore) func(ctx context.Context, ids []string) (map[string]string, error) {
	return func(ctx context.Context, ids []string) (map[string]string, error) {
		as, err := st.AssetsByID(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("asset owners: %w", err)
		}
		out := make(map[string]string, len(as))
		for id, a := range as {
			if a.Owner != "" {
				out[id] = a.Owner
			}
		}
		return out, nil
	}
}
