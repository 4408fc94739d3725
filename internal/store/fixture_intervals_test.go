package store

import (
	"slices"
	"testing"
	"time"
)

// TestFixtureRowIntervals: a vpn_intervals fixture gets the NOT NULL
// columns rule tests leave out (id, built_at), and keeps those it gives.
func TestFixtureRowIntervals(t *testing.T) {
	cols, vals, err := FixtureRow("vpn_intervals", 0, map[string]any{"user_name": "kimura"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cols, []string{"user_name", "id", "built_at"}) {
		t.Fatalf("columns = %q", cols)
	}
	if vals[len(vals)-1] != time.Unix(0, 0).UTC() || vals[len(vals)-2] == "" {
		t.Errorf("values = %v", vals)
	}
	built := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	cols, _, err = FixtureRow("vpn_intervals", 1, map[string]any{"id": "x", "built_at": built})
	if err != nil || !slices.Equal(cols, []string{"built_at", "id"}) {
		t.Errorf("given id and built_at: %q, %v", cols, err)
	}
}
