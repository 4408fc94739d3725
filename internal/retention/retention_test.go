package retention

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

func parse(t *testing.T, yaml string) config.Retention {
	t.Helper()
	c, err := config.Parse("r.yaml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Retention
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), "homesoc.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// An event a day for ten days before T0.
	var evs []event.Network
	for d := range 10 {
		ev := storetest.TestEvent(d)
		ev.Time = storetest.T0.Add(-time.Duration(d) * 24 * time.Hour)
		evs = append(evs, ev)
	}
	if _, err := st.WriteNetwork(ctx, evs); err != nil {
		t.Fatal(err)
	}
	cfg := parse(t, "retention:\n  network_events: 7d\n  rejects: 30d\n")
	now := storetest.T0.Add(time.Hour + 500*time.Millisecond)

	dry, err := Run(ctx, st, cfg, now, true)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, st, cfg, now, false)
	if err != nil {
		t.Fatal(err)
	}
	// Days 7, 8 and 9 are more than 7 days (and an hour) old.
	if dry.Deleted() != 3 || res.Deleted() != 3 || !dry.DryRun || res.DryRun {
		t.Errorf("dry run %+v, run %+v: want 3 deleted", dry, res)
	}
	var tables []string
	for _, tb := range res.Tables {
		tables = append(tables, tb.Table)
	}
	if !slices.Equal(tables, []string{"network_events", "rejects", "notifications"}) {
		t.Errorf("tables %v", tables)
	}
	ne := res.Tables[0]
	if want := storetest.T0.Add(time.Hour - 7*24*time.Hour); !ne.Cutoff.Equal(want) || ne.Keep != config.Duration(7*24*time.Hour) || !res.Now.Equal(storetest.T0.Add(time.Hour)) {
		t.Errorf("network_events: %+v, now %s; want cutoff %s", ne, res.Now, want)
	}
	if c, err := st.Counts(ctx); err != nil || c["network_events"] != 7 {
		t.Errorf("counts %v, %v", c, err)
	}
}

// TestRunKeepsForever: a config that keeps everything touches nothing, and
// says so with no tables.
func TestRunKeepsForever(t *testing.T) {
	res, err := Run(context.Background(), failing{t}, parse(t, "retention:\n  notifications: 0\n"), storetest.T0, false)
	if err != nil || len(res.Tables) != 0 || res.Tables == nil {
		t.Errorf("%+v, %v", res, err)
	}
}

type failing struct{ t *testing.T }

func (f failing) ApplyRetention(context.Context, map[string]time.Time, bool) ([]store.RetentionResult, error) {
	f.t.Error("ApplyRetention called")
	return nil, nil
}

// TestTablesAgree: the config's tables are the store's.
func TestTablesAgree(t *testing.T) {
	if !slices.Equal(config.RetentionTables, store.RetentionTables) {
		t.Errorf("config %v, store %v", config.RetentionTables, store.RetentionTables)
	}
}
