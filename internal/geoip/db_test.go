package geoip_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/geoip"
	"github.com/homesoc/homesoc/internal/geoip/geoiptest"
)

// cityASN writes a City database and an ASN database that overlap on some
// networks and not on others.
func cityASN(t testing.TB) (city, asn string) {
	dir := t.TempDir()
	city = geoiptest.Write(t, filepath.Join(dir, "city.mmdb"), geoiptest.City,
		geoiptest.Network{Prefix: "203.0.113.0/24", Country: "JP", Lat: 35.6895, Lon: 139.6917, RadiusKM: 50},
		geoiptest.Network{Prefix: "198.51.100.0/24", Country: "US", Lat: 40.7128, Lon: -74.006, RadiusKM: 20},
		geoiptest.Network{Prefix: "2001:db8:1::/48", Country: "DE", Lat: 52.52, Lon: 13.405, RadiusKM: 100},
		// A location at 0,0 is a location, not unknown.
		geoiptest.Network{Prefix: "192.0.2.0/25", Country: "GH", Lat: 0, Lon: 0, RadiusKM: 1000},
	)
	asn = geoiptest.Write(t, filepath.Join(dir, "asn.mmdb"), geoiptest.ASN,
		geoiptest.Network{Prefix: "203.0.113.0/24", ASN: 64500, ASOrg: "Example Tokyo ISP"},
		geoiptest.Network{Prefix: "2001:db8::/32", ASN: 64501, ASOrg: "Example Carrier"},
		geoiptest.Network{Prefix: "192.0.2.128/25", ASN: 64502, ASOrg: "Only ASN"},
	)
	return city, asn
}

func TestLookup(t *testing.T) {
	city, asn := cityASN(t)
	db, err := geoip.Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		addr string
		want geoip.Info
		ok   bool
	}{
		{"203.0.113.7", geoip.Info{Country: "JP", ASN: 64500, ASOrg: "Example Tokyo ISP", Lat: 35.6895, Lon: 139.6917, Located: true, RadiusKM: 50}, true},
		{"::ffff:203.0.113.7", geoip.Info{Country: "JP", ASN: 64500, ASOrg: "Example Tokyo ISP", Lat: 35.6895, Lon: 139.6917, Located: true, RadiusKM: 50}, true},
		{"198.51.100.1", geoip.Info{Country: "US", Lat: 40.7128, Lon: -74.006, Located: true, RadiusKM: 20}, true},
		{"2001:db8:1::5", geoip.Info{Country: "DE", ASN: 64501, ASOrg: "Example Carrier", Lat: 52.52, Lon: 13.405, Located: true, RadiusKM: 100}, true},
		{"2001:db8:2::5", geoip.Info{ASN: 64501, ASOrg: "Example Carrier"}, true},
		{"192.0.2.1", geoip.Info{Country: "GH", Located: true, RadiusKM: 1000}, true},
		{"192.0.2.200", geoip.Info{ASN: 64502, ASOrg: "Only ASN"}, true},
		{"10.0.0.1", geoip.Info{}, false},
		{"2001:db9::1", geoip.Info{}, false},
	}
	for _, tt := range tests {
		got, ok := db.Lookup(netip.MustParseAddr(tt.addr))
		if got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v, %v", tt.addr, got, ok, tt.want, tt.ok)
		}
	}
	if got, ok := db.Lookup(netip.Addr{}); ok || got != (geoip.Info{}) {
		t.Errorf("Lookup(invalid) = %+v, %v; want zero, false", got, ok)
	}
}

// TestLookupPrecedence: the first database that knows a field gives it.
func TestLookupPrecedence(t *testing.T) {
	dir := t.TempDir()
	country := geoiptest.Write(t, filepath.Join(dir, "country.mmdb"), geoiptest.Country,
		geoiptest.Network{Prefix: "203.0.113.0/24", Country: "KR"})
	city, _ := cityASN(t)
	db, err := geoip.Open(country, city)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, ok := db.Lookup(netip.MustParseAddr("203.0.113.9"))
	want := geoip.Info{Country: "KR", Lat: 35.6895, Lon: 139.6917, Located: true, RadiusKM: 50}
	if !ok || got != want {
		t.Errorf("Lookup = %+v, %v; want %+v, true", got, ok, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	city, _ := cityASN(t)
	notMMDB := filepath.Join(dir, "notes.mmdb")
	if err := os.WriteFile(notMMDB, []byte("this is not a MaxMind database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.mmdb")
	tests := []struct {
		paths []string
		want  string
	}{
		{nil, "open geoip database: no file given"},
		{[]string{missing}, "open geoip database " + missing + ": "},
		{[]string{city, notMMDB}, "open geoip database " + notMMDB + ": "},
	}
	for _, tt := range tests {
		db, err := geoip.Open(tt.paths...)
		if err == nil {
			db.Close()
			t.Errorf("Open(%v) succeeded; want an error", tt.paths)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Open(%v) = %q; want prefix %q", tt.paths, err, tt.want)
		}
	}
}

func TestSources(t *testing.T) {
	city, asn := cityASN(t)
	db, err := geoip.Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := "GeoLite2-City 2026-11-20 (" + city + "), GeoLite2-ASN 2026-11-20 (" + asn + ")"
	if got := db.String(); got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	src := db.Sources()
	if len(src) != 2 || src[1].Type != "GeoLite2-ASN" || src[1].IPVersion != 6 || src[1].Built.Unix() != geoiptest.BuildEpoch {
		t.Errorf("Sources() = %+v", src)
	}
	if err := db.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	var none *geoip.DB
	if got := none.String(); got != "none" {
		t.Errorf("nil String() = %q; want none", got)
	}
	if got := none.Sources(); got == nil || len(got) != 0 {
		t.Errorf("nil Sources() = %v; want []", got)
	}
	if _, ok := none.Lookup(netip.MustParseAddr("203.0.113.7")); ok {
		t.Error("nil Lookup found something")
	}
}

func BenchmarkLookup(b *testing.B) {
	city, asn := cityASN(b)
	db, err := geoip.Open(city, asn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	addrs := []netip.Addr{
		netip.MustParseAddr("203.0.113.7"),
		netip.MustParseAddr("2001:db8:1::5"),
		netip.MustParseAddr("10.0.0.1"),
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		db.Lookup(addrs[i%len(addrs)])
	}
}

// TestLookupFlat: IPinfo's flat databases, alone and behind a MaxMind City
// database, whose location they complete with a network.
func TestLookupFlat(t *testing.T) {
	dir := t.TempDir()
	lite := geoiptest.Write(t, filepath.Join(dir, "ipinfo_lite.mmdb"), geoiptest.IPinfoLite,
		geoiptest.Network{Prefix: "203.0.113.0/24", Country: "JP", CountryName: "Japan", ASN: 64500, ASOrg: "Example Tokyo ISP"},
		geoiptest.Network{Prefix: "2001:db8::/32", Country: "DE", CountryName: "Germany", ASN: 64501, ASOrg: "Example Carrier"})
	old := geoiptest.Write(t, filepath.Join(dir, "country_asn.mmdb"), geoiptest.IPinfoCountryASN,
		geoiptest.Network{Prefix: "198.51.100.0/24", Country: "US", CountryName: "United States", ASN: 64510, ASOrg: "Example US"})
	city := geoiptest.Write(t, filepath.Join(dir, "city.mmdb"), geoiptest.City,
		geoiptest.Network{Prefix: "203.0.113.0/24", Country: "JP", Lat: 35.6895, Lon: 139.6917, RadiusKM: 50})
	db, err := geoip.Open(city, lite, old)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		addr string
		want geoip.Info
	}{
		{"203.0.113.7", geoip.Info{Country: "JP", ASN: 64500, ASOrg: "Example Tokyo ISP", Lat: 35.6895, Lon: 139.6917, Located: true, RadiusKM: 50}},
		{"2001:db8:5::1", geoip.Info{Country: "DE", ASN: 64501, ASOrg: "Example Carrier"}},
		{"198.51.100.9", geoip.Info{Country: "US", ASN: 64510, ASOrg: "Example US"}},
	}
	for _, tt := range tests {
		got, ok := db.Lookup(netip.MustParseAddr(tt.addr))
		if !ok || got != tt.want {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v, true", tt.addr, got, ok, tt.want)
		}
	}
}
