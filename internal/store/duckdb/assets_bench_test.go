package duckdb

import (
	"context"
	"fmt"
	"testing"

	"github.com/homesoc/homesoc/internal/assets"
)

// BenchmarkAssetsByID reads the assets of 10,000 device ids (half of them
// unknown) from an inventory of 10,000: what attribution asks for a batch
// of 10,000 alerts.
func BenchmarkAssetsByID(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var us []assets.Update
	var ids []string
	for i := range 10000 {
		id := fmt.Sprintf("%032x", i)
		us = append(us, assets.Update{Asset: assets.Asset{ID: id, Hostname: fmt.Sprint("host-", i), Owner: fmt.Sprint("user-", i%100)}})
		if i%2 == 0 {
			ids = append(ids, id, fmt.Sprintf("unknown-%d", i))
		}
	}
	if _, err := s.UpsertAssets(ctx, us); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		got, err := s.AssetsByID(ctx, ids)
		if err != nil || len(got) != 5000 {
			b.Fatalf("%d assets, %v", len(got), err)
		}
	}
}

// BenchmarkUpsertAssets merges 10,000 updates of which 1,000 change
// something into an inventory of 10,000: an import of a whole inventory.
func BenchmarkUpsertAssets(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	us := make([]assets.Update, 10000)
	for i := range us {
		us[i] = assets.Update{Asset: assets.Asset{ID: fmt.Sprintf("%032x", i), Owner: fmt.Sprint("user-", i%100)}}
	}
	if _, err := s.UpsertAssets(ctx, us); err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		n++
		for i := 0; i < len(us); i += 10 {
			us[i].Notes = fmt.Sprint("note ", n)
		}
		c, err := s.UpsertAssets(ctx, us)
		if err != nil || c.Updated != 1000 {
			b.Fatalf("%+v, %v", c, err)
		}
	}
}
