package clickhouse

import (
	"context"
	"fmt"
	"strings"

	"github.com/homesoc/homesoc/internal/silence"
	"github.com/homesoc/homesoc/internal/store"
)

// silenceMigration makes silences (issue 11), a mutable table: adding a
// silence appends its first version to silence_versions, expiring it
// another, and the view silences reads the latest version of each id,
// columns as store.SilenceColumns, with store.SilenceComments on
// silence_versions.
var silenceMigration = migration{tables: []table{{
	name: "silence_versions",
	columns: `id         String,
			matchers   String DEFAULT '[]',
			author     String,
			comment    String,
			starts_at  DateTime('UTC'),
			ends_at    DateTime('UTC'),
			created_at DateTime('UTC'),
			expired_at DateTime('UTC'),
			version    UInt64`,
	engine: "ReplacingMergeTree(version)",
	order:  "id",
	shard:  "cityHash64(id)",
}},
	views:   []view{{"silences", `SELECT ` + store.SilenceColumns + ` FROM {db}.silence_versions FINAL`}},
	columns: silenceComments(),
}

// The view silences reads its rows from silence_versions. Kept here, not
// in the versioned literal, so this migration stays one self-contained
// piece until the next release folds it in.
func init() { versioned["silences"] = "silence_versions" }

// silenceComments are store.SilenceComments on silence_versions, under the
// view.
func silenceComments() []addedColumn {
	out := commentsOf(store.SilenceComments)
	for i := range out {
		out[i].table = "silence_versions"
	}
	return out
}

// AddSilence implements store.Store: the silence's first version.
func (s *Store) AddSilence(ctx context.Context, sl silence.Silence) (silence.Silence, error) {
	sl, row, err := store.PrepareSilence(sl, store.Now())
	if err != nil {
		return sl, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	got, err := store.ReadSilences(ctx, s.querier(), sl.ID, store.SilencesAll, store.Now())
	if err != nil {
		return sl, fmt.Errorf("add silence %s: %w", sl.ID, err)
	}
	if len(got) > 0 {
		return sl, fmt.Errorf("add silence %s: a silence of that id is stored already", sl.ID)
	}
	if err := s.writeSilence(ctx, row); err != nil {
		return sl, fmt.Errorf("add silence %s: %w", sl.ID, err)
	}
	return sl, nil
}

// writeSilence appends a version of a silence row (store.SilenceRow's).
func (s *Store) writeSilence(ctx context.Context, row []any) error {
	cols := append(strings.Split(store.SilenceColumns, ", "), "version")
	return s.insertRows(ctx, s.layout().stored("silences"), cols, [][]any{append(row, s.nextVersion(0))})
}

// Silences implements store.Store.
func (s *Store) Silences(ctx context.Context, which store.SilenceSelect) ([]silence.Silence, error) {
	return store.ReadSilences(ctx, s.querier(), "", which, store.Now())
}

// ExpireSilence implements store.Store: a new version, ended now.
func (s *Store) ExpireSilence(ctx context.Context, id string) (silence.Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return store.ExpireSilenceWith(ctx, s.querier(), id, func(row []any) error { return s.writeSilence(ctx, row) })
}
