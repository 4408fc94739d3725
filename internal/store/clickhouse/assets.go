package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/assets"
	"github.com/homesoc/homesoc/internal/store"
)

// assetMigration makes the asset inventory (issue 10), a mutable table:
// each change of an asset appends a version to asset_versions, and the view
// assets reads the latest version of each id, columns as
// store.AssetColumns, with store.AssetComments on asset_versions.
var assetMigration = migration{tables: []table{{
	name: "asset_versions",
	columns: `id         String,
			hostname   String,
			macs       String,
			owner      String,
			os         String,
			platform   String,
			tags       String,
			serial     String,
			location   String,
			notes      String,
			source     String,
			first_seen DateTime('UTC'),
			last_seen  DateTime('UTC'),
			updated_at DateTime('UTC'),
			version    UInt64`,
	engine: "ReplacingMergeTree(version)",
	order:  "id",
	shard:  "cityHash64(id)",
}},
	views:   []view{{"assets", `SELECT ` + store.AssetColumns + ` FROM {db}.asset_versions FINAL`}},
	columns: assetComments(),
}

// assetComments are store.AssetComments on asset_versions, under the view.
func assetComments() []addedColumn {
	out := commentsOf(store.AssetComments)
	for i := range out {
		out[i].table = "asset_versions"
	}
	return out
}

// versionedRows scans a row of AssetColumns then a version.
type versionedRows struct {
	store.QueryRows
	version *uint64
}

func (r versionedRows) Scan(dest ...any) error { return r.QueryRows.Scan(append(dest, r.version)...) }

// UpsertAssets implements store.Store: the latest versions of the
// updates' ids are read in one query, merged in Go (assets.Plan), and each
// asset that changed gets one new version.
func (s *Store) UpsertAssets(ctx context.Context, us []assets.Update) (assets.Counts, error) {
	if len(us) == 0 {
		return assets.Counts{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	known, versions, err := s.assetsByID(ctx, ids)
	if err != nil {
		return assets.Counts{}, err
	}
	changed, c := assets.Plan(known, us, store.Now())
	if len(changed) == 0 {
		return c, nil
	}
	rows := make([][]any, len(changed))
	for i, a := range changed {
		row := store.AssetRow(a)
		for j := len(row) - 3; j < len(row); j++ {
			row[j] = storedTime(row[j].(time.Time))
		}
		rows[i] = append(row, s.nextVersion(versions[a.ID]))
	}
	cols := append(strings.Split(store.AssetColumns, ", "), "version")
	if err := s.insertRows(ctx, s.layout().stored("assets"), cols, rows); err != nil {
		return c, fmt.Errorf("write assets: %w", err)
	}
	return c, nil
}

// Assets implements store.Store.
func (s *Store) Assets(ctx context.Context, f store.AssetFilter) ([]assets.Asset, error) {
	return store.ReadAssets(ctx, s.querier(), f)
}

// AssetsByID implements store.Store: the ids go with the query as an
// external table, so a batch of any size is one query.
func (s *Store) AssetsByID(ctx context.Context, ids []string) (map[string]assets.Asset, error) {
	if len(ids) == 0 {
		return map[string]assets.Asset{}, nil
	}
	out, _, err := s.assetsByID(ctx, ids)
	return out, err
}

// assetsByID returns the latest versions of the assets of ids, and their
// version numbers.
func (s *Store) assetsByID(ctx context.Context, ids []string) (map[string]assets.Asset, map[string]uint64, error) {
	batch, err := externalTable("_batch", []string{"id String"}, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("read assets: %w", err)
	}
	rows, err := s.conn.Query(withTables(ctx, batch), `SELECT `+store.AssetColumns+`, version
		FROM `+s.layout().stored("assets")+` FINAL WHERE id `+s.in()+` _batch`)
	if err != nil {
		return nil, nil, fmt.Errorf("read assets: %w", err)
	}
	defer rows.Close()
	out, versions := map[string]assets.Asset{}, map[string]uint64{}
	for rows.Next() {
		var v uint64
		a, err := store.ScanAsset(versionedRows{rows, &v})
		if err != nil {
			return nil, nil, fmt.Errorf("read assets: %w", err)
		}
		out[a.ID], versions[a.ID] = a, v
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read assets: %w", err)
	}
	return out, versions, nil
}
