package duckdb

import (
	"context"
	"testing"

	"github.com/homesoc/homesoc/internal/store/storetest"
)

// TestSaveNotifyGroups10k: 10,000 new groups, a detect's burst of alerts
// grouped by source, save at once in an in-memory store and under its
// memory limit (one statement per group ran out at the 372nd), and again
// all replaced.
func TestSaveNotifyGroups10k(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 groups")
	}
	ctx := context.Background()
	s, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, m := range []string{"m1", "m2"} {
		if err := s.SaveNotifyGroups(ctx, storetest.ManyGroups(10000, m)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.NotifyGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10000 || got[0].Key != "g/00000" || got[9999].Key != "g/09999" ||
		got[9999].MessageID != "m2-g/09999" || got[0].Alerts["alert-g/00000"] != "m2" {
		t.Fatalf("%d groups, first %+v", len(got), got[0])
	}
}
