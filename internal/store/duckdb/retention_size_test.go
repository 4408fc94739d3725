package duckdb

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// TestRetentionFileSize measures what retention gives back on disk: the
// file does not shrink, but a checkpoint after the deletes frees their
// blocks, and new rows fill them before the file grows again.
func TestRetentionFileSize(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 400,000 events")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "homesoc.duckdb")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n, batch = 200_000, 20_000
	write := func(from int) {
		t.Helper()
		for i := from; i < from+n; i += batch {
			evs := make([]event.Network, batch)
			for j := range evs {
				evs[j] = storetest.NetfilterEvent(i + j)
			}
			if _, err := s.WriteNetwork(ctx, evs); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
	}
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	blocks := func() (total, free int64) {
		t.Helper()
		if err := s.conn.QueryRowContext(ctx, "SELECT total_blocks, free_blocks FROM pragma_database_size() WHERE database_name = 'homesoc'").Scan(&total, &free); err != nil {
			t.Fatal(err)
		}
		return total, free
	}
	write(0)
	full := size()
	tb, fb := blocks()
	// Every event but the last tenth expires.
	cut := storetest.T0.Add(time.Duration(n*9/10) * time.Second)
	res, err := s.ApplyRetention(ctx, map[string]time.Time{"network_events": cut}, false)
	if err != nil || res[0].Rows != n*9/10 {
		t.Fatalf("retention: %+v, %v", res, err)
	}
	after := size()
	ta, fa := blocks()
	write(n) // as many new events again
	again := size()
	tg, fg := blocks()
	t.Logf("%d events: %d bytes (%d blocks, %d free); retention of 90%%: %d bytes (%d blocks, %d free); %d new events: %d bytes (%d blocks, %d free)",
		n, full, tb, fb, after, ta, fa, n, again, tg, fg)
	if fa <= fb {
		t.Errorf("retention freed no blocks: %d free before, %d after", fb, fa)
	}
	if again > full*3/2 {
		t.Errorf("the file grew from %d to %d bytes for as many events as it held before retention", full, again)
	}
}
