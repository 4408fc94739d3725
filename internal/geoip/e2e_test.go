package geoip_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/geoip"
	"github.com/homesoc/homesoc/internal/geoip/geoiptest"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// TestImpossibleTravelEndToEnd: session facts located through real
// databases become intervals with their geo columns, and the built-in
// vpn-impossible-travel rule finds the Tokyo-New York pair in them.
func TestImpossibleTravelEndToEnd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	city := geoiptest.Write(t, filepath.Join(dir, "city.mmdb"), geoiptest.City,
		geoiptest.Network{Prefix: "203.0.113.0/24", Country: "JP", Lat: 35.6895, Lon: 139.6917, RadiusKM: 50},
		geoiptest.Network{Prefix: "198.51.100.0/24", Country: "US", Lat: 40.7128, Lon: -74.006, RadiusKM: 20})
	asn := geoiptest.Write(t, filepath.Join(dir, "asn.mmdb"), geoiptest.ASN,
		geoiptest.Network{Prefix: "203.0.113.0/24", ASN: 64500, ASOrg: "Example Tokyo ISP"})
	db, err := geoip.Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	fact := func(ago time.Duration, kind, remote, assigned string) event.VPNSession {
		f := event.VPNSession{Time: now.Add(-ago), Kind: kind, User: "kimura", RemotePort: 50000,
			RemoteIP: netip.MustParseAddr(remote), Sensor: "vpn1", Format: "openvpn"}
		if assigned != "" {
			f.AssignedIP = netip.MustParseAddr(assigned)
		}
		f.ID = event.NewID("test", []byte(f.Time.String()+kind+remote))
		return f
	}
	facts := []event.VPNSession{
		fact(6*time.Hour, event.VPNStart, "203.0.113.5", ""),
		fact(6*time.Hour, event.VPNAssign, "203.0.113.5", "172.16.1.10"),
		fact(5*time.Hour, event.VPNEnd, "203.0.113.5", ""),
		fact(2*time.Hour, event.VPNStart, "198.51.100.7", ""),
		fact(2*time.Hour, event.VPNAssign, "198.51.100.7", "172.16.1.11"),
		fact(1*time.Hour, event.VPNEnd, "198.51.100.7", ""),
	}
	ivs := identity.Sessionize(facts, identity.Options{Geo: db.Lookup})
	if len(ivs) != 2 {
		t.Fatalf("%d intervals; want 2: %+v", len(ivs), ivs)
	}
	wantTokyo := geoip.Info{Country: "JP", ASN: 64500, ASOrg: "Example Tokyo ISP", Lat: 35.6895, Lon: 139.6917, Located: true, RadiusKM: 50}
	if ivs[0].Remote != wantTokyo || ivs[1].Remote.Country != "US" {
		t.Errorf("located intervals: %+v / %+v", ivs[0].Remote, ivs[1].Remote)
	}

	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ReplaceVPNIntervals(ctx, now.Add(-24*time.Hour), now, ivs); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.LoadAll(rules.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	var travel *rules.Rule
	for _, r := range rs {
		if r.ID == "vpn-impossible-travel" {
			travel = r
		}
	}
	if travel == nil {
		t.Fatal("no built-in vpn-impossible-travel")
	}
	res, err := travel.Eval(ctx, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 {
		t.Fatalf("%d rows; want 1: %v", len(res.Rows), res.Rows)
	}
	got := map[string]string{}
	for i, c := range res.Columns {
		got[c] = rules.FormatValue(res.Rows[0][i])
	}
	want := map[string]string{"user": "kimura", "remote_ip": "203.0.113.5", "country": "JP", "other_remote_ip": "198.51.100.7",
		"other_country": "US", "distance_km": "10849", "gap_s": "10800", "travel_s": "43395",
		"first_seen": "2026-01-10T06:00:00Z", "last_seen": "2026-01-10T10:00:00Z", "events": "1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q; want %q (row %v)", k, got[k], v, got)
		}
	}
}
