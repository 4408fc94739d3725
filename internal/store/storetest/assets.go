package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/assets"
	"github.com/homesoc/homesoc/internal/store"
)

// assetTests are the conformance tests of the asset inventory.
var assetTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"AssetsUpsert", testAssetsUpsert},
	{"AssetsFilter", testAssetsFilter},
	{"AssetsByIDBatch", testAssetsByIDBatch},
}

// imported is what an operator's inventory says about device id.
func imported(id, host, owner string, tags ...string) assets.Update {
	return assets.Update{Asset: assets.Asset{ID: id, Hostname: host, Owner: owner, Tags: tags,
		MACs: []string{"a4:5e:60:11:22:33"}, Serial: "SN-" + id, Location: "home office",
		Notes: "it's Anna's", Source: "import:inventory.csv"}}
}

// observed is an EDR's record of device id at T0+sec.
func observed(id, host, os, mac string, sec int) assets.Update {
	at := T0.Add(time.Duration(sec) * time.Second)
	return assets.Update{Observed: true, Asset: assets.Asset{ID: id, Hostname: host, OS: os, Platform: "Win",
		MACs: []string{mac}, Source: "crowdstrike-fdr", FirstSeen: at, LastSeen: at}}
}

// assetJSON is a without UpdatedAt (the writer's clock), as JSON.
func assetJSON(a assets.Asset) string {
	a.UpdatedAt = time.Time{}
	b, _ := json.Marshal(a)
	return string(b)
}

func upsertAssets(t *testing.T, s store.Store, want assets.Counts, us ...assets.Update) {
	t.Helper()
	c, err := s.UpsertAssets(context.Background(), us)
	if err != nil {
		t.Fatal(err)
	}
	if c != want {
		t.Fatalf("upsert: %+v, want %+v", c, want)
	}
}

// testAssetsUpsert: an import sets what it gives, an EDR record then
// changes host name, OS and MACs but not owner, tags or notes; an older EDR
// record changes nothing but the MACs and first seen; a repeat changes
// nothing; a later import replaces MACs and tags.
func testAssetsUpsert(t *testing.T, s store.Store) {
	ctx := context.Background()
	before := store.Now()
	upsertAssets(t, s, assets.Counts{Added: 1}, imported("aid-1", "LAPTOP-ANNA", "anna", "finance", "laptop"))
	upsertAssets(t, s, assets.Counts{Updated: 1}, observed("aid-1", "laptop-anna-2", "Windows 11", "3C-22-FB-01-02-03", 60))
	upsertAssets(t, s, assets.Counts{Updated: 1}, observed("aid-1", "old-name", "Windows 10", "00:11:22:33:44:55", 0))
	upsertAssets(t, s, assets.Counts{Unchanged: 1}, observed("aid-1", "old-name", "Windows 10", "00:11:22:33:44:55", 0))
	got, err := s.AssetsByID(ctx, []string{"aid-1", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"aid-1","hostname":"laptop-anna-2","macs":["00:11:22:33:44:55","3c:22:fb:01:02:03","a4:5e:60:11:22:33"],` +
		`"owner":"anna","os":"Windows 11","platform":"Win","tags":["finance","laptop"],"serial":"SN-aid-1",` +
		`"location":"home office","notes":"it's Anna's","source":"crowdstrike-fdr",` +
		`"first_seen":"2026-04-06T16:05:29Z","last_seen":"2026-04-06T16:06:29Z","updated_at":"0001-01-01T00:00:00Z"}`
	if len(got) != 1 || assetJSON(got["aid-1"]) != want {
		t.Fatalf("after the EDR records: %d assets, aid-1\n%s\nwant\n%s", len(got), assetJSON(got["aid-1"]), want)
	}
	if u := got["aid-1"].UpdatedAt; u.Before(before) || u.After(store.Now()) || u.Location() != time.UTC {
		t.Errorf("updated_at %v: want the time of the write, UTC", u)
	}
	again := imported("aid-1", "", "", "kiosk")
	again.MACs, again.Notes, again.Serial, again.Location = []string{"a4:5e:60:99:99:99"}, "", "", ""
	upsertAssets(t, s, assets.Counts{Updated: 1}, again)
	list, err := s.Assets(ctx, store.AssetFilter{})
	if err != nil {
		t.Fatal(err)
	}
	const want2 = `{"id":"aid-1","hostname":"laptop-anna-2","macs":["a4:5e:60:99:99:99"],` +
		`"owner":"anna","os":"Windows 11","platform":"Win","tags":["kiosk"],"serial":"SN-aid-1",` +
		`"location":"home office","notes":"it's Anna's","source":"import:inventory.csv",` +
		`"first_seen":"2026-04-06T16:05:29Z","last_seen":"2026-04-06T16:06:29Z","updated_at":"0001-01-01T00:00:00Z"}`
	if len(list) != 1 || assetJSON(list[0]) != want2 {
		t.Fatalf("after the second import: %d assets, first\n%v\nwant\n%s", len(list), list, want2)
	}
	if n := counts(t, s)["assets"]; n != 1 {
		t.Errorf("counts: %d assets, want 1", n)
	}
}

// testAssetsFilter: list by tag, owner, host name and text, ignoring case,
// by id; an imported asset no EDR saw has zero times and empty lists.
func testAssetsFilter(t *testing.T, s store.Store) {
	ctx := context.Background()
	bare := assets.Update{Asset: assets.Asset{ID: "inv-0009", Hostname: "printer", Source: "import:x.json"}}
	upsertAssets(t, s, assets.Counts{Added: 4},
		imported("aid-2", "mac-bob", "bob", "Laptop"),
		imported("aid-1", "LAPTOP-ANNA", "anna", "finance", "laptop"),
		observed("dev-9", "nas01", "Linux 6.1", "00:11:22:33:44:55", 5),
		bare)
	for _, c := range []struct {
		f    store.AssetFilter
		want string
	}{
		{store.AssetFilter{}, "[aid-1 aid-2 dev-9 inv-0009]"},
		{store.AssetFilter{Tag: "LAPTOP"}, "[aid-1 aid-2]"},
		{store.AssetFilter{Tag: "finance", Owner: "ANNA"}, "[aid-1]"},
		{store.AssetFilter{Owner: "bob", Tag: "finance"}, "[]"},
		{store.AssetFilter{Hostname: "laptop-anna"}, "[aid-1]"},
		{store.AssetFilter{Text: "00:11:22"}, "[dev-9]"},
		{store.AssetFilter{Text: "SN-AID-2"}, "[aid-2]"},
	} {
		got, err := s.Assets(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		if fmt.Sprint(ids) != c.want {
			t.Errorf("%+v: %v, want %s", c.f, ids, c.want)
		}
	}
	got, err := s.AssetsByID(ctx, []string{"inv-0009"})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"inv-0009","hostname":"printer","macs":[],"owner":"","os":"","platform":"","tags":[],"serial":"",` +
		`"location":"","notes":"","source":"import:x.json","first_seen":"0001-01-01T00:00:00Z",` +
		`"last_seen":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z"}`
	if a := got["inv-0009"]; assetJSON(a) != want || !a.FirstSeen.IsZero() {
		t.Errorf("bare asset\n%s\nwant\n%s", assetJSON(a), want)
	}
}

// testAssetsByIDBatch: a batch of 5,000 ids, more than a query's text
// could hold as a list of literals on ClickHouse, in one call; a batch
// with an id twice adds it once.
func testAssetsByIDBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	var us []assets.Update
	var ids []string
	for i := range 3000 {
		id := fmt.Sprintf("device-%05d-0123456789abcdef0123456789abcdef", i)
		us = append(us, imported(id, fmt.Sprintf("host-%d", i), fmt.Sprintf("user-%d", i%7)))
		ids = append(ids, id)
	}
	us = append(us, imported(ids[0], "renamed", ""))
	upsertAssets(t, s, assets.Counts{Added: 3000, Updated: 1}, us...)
	for i := 3000; i < 5000; i++ {
		ids = append(ids, fmt.Sprintf("unknown-%05d-0123456789abcdef0123456789abcdef", i))
	}
	got, err := s.AssetsByID(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3000 || got[ids[0]].Hostname != "renamed" || got[ids[0]].Owner != "user-0" ||
		got[ids[2999]].Owner != "user-3" || got[ids[2999]].Hostname != "host-2999" {
		t.Fatalf("%d assets; first %+v; last %+v", len(got), got[ids[0]], got[ids[2999]])
	}
	if n := counts(t, s)["assets"]; n != 3000 {
		t.Errorf("counts: %d assets, want 3000", n)
	}
}
