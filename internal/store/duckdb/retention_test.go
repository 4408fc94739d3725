package duckdb

import (
	"context"
	"testing"

	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// TestRetentionConformance runs the retention suite on a file and in memory.
func TestRetentionConformance(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) store.Store { return open(t) })
}

func TestRetentionConformanceInMemory(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
