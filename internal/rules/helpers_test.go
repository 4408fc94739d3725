package rules

import (
	"context"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// duckEnv runs rule tests in fresh in-memory DuckDB stores, deriving
// sightings with deriveSightings.
var duckEnv = TestEnv{
	Open: func(ctx context.Context) (Store, error) {
		s, err := duckdb.Open(ctx, "")
		if err != nil {
			return nil, err
		}
		return s, nil
	},
	Prepare: deriveSightings,
}

// deriveSightings derives sightings from the loaded events and indicators
// by the retro-hunt homesoc runs (intel.HuntNew), as detect.TestEnv does:
// proxy requests against domain and url indicators included, which a
// stand-in here would have to re-implement.
func deriveSightings(ctx context.Context, s Store, _ time.Time) error {
	st, ok := s.(store.Store)
	if !ok {
		return fmt.Errorf("rule test store %T is not a store.Store", s)
	}
	_, err := intel.HuntNew(ctx, st)
	return err
}
