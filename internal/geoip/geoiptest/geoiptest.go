// Package geoiptest writes small MaxMind-format databases for tests, so the
// code that reads them is tested against real files, never a stand-in.
package geoiptest

import (
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Database types Write knows; they decide which fields of a Network it writes.
const (
	City    = "GeoLite2-City"    // country and location
	Country = "GeoLite2-Country" // country
	ASN     = "GeoLite2-ASN"     // autonomous system number and organisation
	// IPinfoLite is IPinfo's flat shape: country_code, country (a name),
	// asn ("AS64500"), as_name. Network.CountryName gives the name.
	IPinfoLite = "ipinfo lite"
	// IPinfoCountryASN is IPinfo's older flat shape: country (the ISO
	// code), asn, as_name.
	IPinfoCountryASN = "ipinfo country_asn"
)

// BuildEpoch is the build time Write gives every database: 2026-11-20T00:00:00Z.
const BuildEpoch int64 = 1795132800

// Network is one network's record.
type Network struct {
	Prefix  string // CIDR, e.g. "203.0.113.0/24" or "2001:db8::/32"
	Country string // ISO alpha-2
	// CountryName is the country's name, for the flat shapes that carry one.
	CountryName string
	Lat, Lon    float64
	RadiusKM    uint16
	ASN         uint32
	ASOrg       string
}

// Write writes a database of type dbType (City, Country, ASN or an IPinfo
// shape) holding nets
// to path, and returns path. Documentation and private ranges are allowed,
// so tests use them as data.
func Write(tb testing.TB, path, dbType string, nets ...Network) string {
	tb.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            dbType,
		Description:             map[string]string{"en": "homesoc test " + dbType},
		Languages:               []string{"en"},
		IncludeReservedNetworks: true,
		BuildEpoch:              BuildEpoch,
		RecordSize:              24,
	})
	if err != nil {
		tb.Fatalf("geoiptest: new tree: %v", err)
	}
	for _, n := range nets {
		_, ipnet, err := net.ParseCIDR(n.Prefix)
		if err != nil {
			tb.Fatalf("geoiptest: %v", err)
		}
		if err := tree.Insert(ipnet, value(dbType, n)); err != nil {
			tb.Fatalf("geoiptest: insert %s: %v", n.Prefix, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatalf("geoiptest: %v", err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		_ = f.Close()
		tb.Fatalf("geoiptest: write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		tb.Fatalf("geoiptest: %v", err)
	}
	return path
}

func value(dbType string, n Network) mmdbtype.Map {
	switch dbType {
	case IPinfoLite:
		return mmdbtype.Map{
			"country_code": mmdbtype.String(n.Country),
			"country":      mmdbtype.String(n.CountryName),
			"asn":          mmdbtype.String(fmt.Sprintf("AS%d", n.ASN)),
			"as_name":      mmdbtype.String(n.ASOrg),
		}
	case IPinfoCountryASN:
		return mmdbtype.Map{
			"country":      mmdbtype.String(n.Country),
			"country_name": mmdbtype.String(n.CountryName),
			"asn":          mmdbtype.String(fmt.Sprintf("AS%d", n.ASN)),
			"as_name":      mmdbtype.String(n.ASOrg),
		}
	case ASN:
		return mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(n.ASN),
			"autonomous_system_organization": mmdbtype.String(n.ASOrg),
		}
	default:
		m := mmdbtype.Map{
			"country": mmdbtype.Map{
				"iso_code": mmdbtype.String(n.Country),
				"names":    mmdbtype.Map{"en": mmdbtype.String(n.Country)},
			},
		}
		if dbType == City {
			m["location"] = mmdbtype.Map{
				"latitude":        mmdbtype.Float64(n.Lat),
				"longitude":       mmdbtype.Float64(n.Lon),
				"accuracy_radius": mmdbtype.Uint16(n.RadiusKM),
			}
		}
		return m
	}
}
