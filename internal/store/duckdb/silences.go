package duckdb

import (
	"context"
	"fmt"

	"github.com/homesoc/homesoc/internal/silence"
	"github.com/homesoc/homesoc/internal/store"
)

// silenceMigration makes the silences table (issue 11), a plain table whose
// rows expiry updates in place, with store.SilenceComments.
var silenceMigration = `CREATE TABLE silences (
		id         VARCHAR   NOT NULL,
		matchers   VARCHAR   NOT NULL DEFAULT '[]',
		author     VARCHAR   NOT NULL DEFAULT '',
		comment    VARCHAR   NOT NULL DEFAULT '',
		starts_at  TIMESTAMP NOT NULL,
		ends_at    TIMESTAMP NOT NULL,
		created_at TIMESTAMP NOT NULL,
		expired_at TIMESTAMP NOT NULL DEFAULT TIMESTAMP '1970-01-01 00:00:00'
	);
` + columnComments(store.SilenceComments)

// AddSilence implements store.Store.
func (s *Store) AddSilence(ctx context.Context, sl silence.Silence) (silence.Silence, error) {
	sl, row, err := store.PrepareSilence(sl, store.Now())
	if err != nil {
		return sl, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int
	if err := s.conn.QueryRowContext(ctx, `SELECT count(*) FROM silences WHERE id = ?`, sl.ID).Scan(&n); err != nil {
		return sl, fmt.Errorf("add silence %s: %w", sl.ID, err)
	}
	if n > 0 {
		return sl, fmt.Errorf("add silence %s: a silence of that id is stored already", sl.ID)
	}
	if _, err := s.conn.ExecContext(ctx, `INSERT INTO silences (`+store.SilenceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, row...); err != nil {
		return sl, fmt.Errorf("add silence %s: %w", sl.ID, err)
	}
	return sl, nil
}

// Silences implements store.Store.
func (s *Store) Silences(ctx context.Context, which store.SilenceSelect) ([]silence.Silence, error) {
	return store.ReadSilences(ctx, s.querier(), "", which, store.Now())
}

// ExpireSilence implements store.Store: the row is updated in place.
func (s *Store) ExpireSilence(ctx context.Context, id string) (silence.Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return store.ExpireSilenceWith(ctx, s.querier(), id, func(row []any) error {
		_, err := s.conn.ExecContext(ctx, `UPDATE silences SET starts_at = ?, ends_at = ?, expired_at = ? WHERE id = ?`,
			row[4], row[5], row[7], row[0])
		return err
	})
}
