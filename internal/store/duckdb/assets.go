package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/assets"
	"github.com/homesoc/homesoc/internal/store"
)

// assetMigration makes the asset inventory (issue 10): one row per device
// id, replaced whole when it changes, columns as store.AssetColumns. No
// PRIMARY KEY, as for alerts: the writer keeps ids unique under the write
// lock.
var assetMigration = `CREATE TABLE assets (
		id         VARCHAR   NOT NULL,
		hostname   VARCHAR   NOT NULL DEFAULT '',
		macs       VARCHAR   NOT NULL DEFAULT '',
		owner      VARCHAR   NOT NULL DEFAULT '',
		os         VARCHAR   NOT NULL DEFAULT '',
		platform   VARCHAR   NOT NULL DEFAULT '',
		tags       VARCHAR   NOT NULL DEFAULT '',
		serial     VARCHAR   NOT NULL DEFAULT '',
		location   VARCHAR   NOT NULL DEFAULT '',
		notes      VARCHAR   NOT NULL DEFAULT '',
		source     VARCHAR   NOT NULL DEFAULT '',
		first_seen TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00',
		last_seen  TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00',
		updated_at TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00'
	);
	` + columnComments(store.AssetComments)

// UpsertAssets implements store.Store: the stored assets of the updates'
// ids are read in one query, merged in Go (assets.Plan), and those that
// changed replaced in one transaction.
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
	known, err := s.assetsByID(ctx, ids)
	if err != nil {
		return assets.Counts{}, err
	}
	changed, c := assets.Plan(known, us, store.Now())
	if len(changed) == 0 {
		return c, nil
	}
	rows := make([][]any, len(changed))
	for i, a := range changed {
		rows[i] = store.AssetRow(a)
	}
	if err := s.stageRows(ctx, "assets", rows); err != nil {
		return c, fmt.Errorf("write assets: %w", err)
	}
	return c, s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM assets WHERE id IN (SELECT id FROM stage_assets)`); err != nil {
			return fmt.Errorf("write assets: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO assets SELECT * FROM stage_assets`); err != nil {
			return fmt.Errorf("write assets: %w", err)
		}
		return nil
	})
}

// Assets implements store.Store.
func (s *Store) Assets(ctx context.Context, f store.AssetFilter) ([]assets.Asset, error) {
	return store.ReadAssets(ctx, s.querier(), f)
}

// AssetsByID implements store.Store: the ids are staged in a temporary
// table, which one query joins.
func (s *Store) AssetsByID(ctx context.Context, ids []string) (map[string]assets.Asset, error) {
	if len(ids) == 0 {
		return map[string]assets.Asset{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.assetsByID(ctx, ids)
}

// assetsByID reads the assets of ids on the writers' connection, under the
// write lock (the staging table lives on that connection).
func (s *Store) assetsByID(ctx context.Context, ids []string) (map[string]assets.Asset, error) {
	if _, err := s.conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS stage_asset_ids (id VARCHAR);
		DELETE FROM stage_asset_ids`); err != nil {
		return nil, fmt.Errorf("read assets: prepare staging: %w", err)
	}
	if err := s.appendRows(ctx, "temp", "stage_asset_ids", func(a *duckdb.Appender) error {
		for _, id := range ids {
			if err := a.AppendRow(id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read assets: stage ids: %w", err)
	}
	qr := store.Querier{In: "IN", Query: func(ctx context.Context, q string, args ...any) (store.QueryRows, error) {
		return s.conn.QueryContext(ctx, q, args...)
	}}
	return store.ReadAssetsByID(ctx, qr, `SELECT `+store.AssetColumns+` FROM assets WHERE id IN (SELECT id FROM stage_asset_ids)`)
}
