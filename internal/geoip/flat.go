package geoip

import (
	"strconv"
	"strings"
)

// flatRecord is the flat shape of IPinfo's databases (Lite: country_code,
// country as a name, asn as "AS174", as_name; the older country_asn file:
// country as the ISO code) and of other country files that follow it
// (country_code alone).
type flatRecord struct {
	CountryCode string `maxminddb:"country_code"`
	Country     string `maxminddb:"country"`
	ASN         string `maxminddb:"asn"`
	ASName      string `maxminddb:"as_name"`
}

// merge fills the fields of info still unknown from r and reports whether
// r knew anything.
func (r *flatRecord) merge(info *Info) bool {
	knew := false
	country := r.CountryCode
	if country == "" && isISOCode(r.Country) {
		country = r.Country
	}
	if country != "" {
		knew = true
		if info.Country == "" {
			info.Country = country
		}
	}
	asn, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(r.ASN, "AS"), "as"), 10, 32)
	if err != nil {
		asn = 0
	}
	if asn != 0 || r.ASName != "" {
		knew = true
		if info.ASN == 0 && info.ASOrg == "" {
			info.ASN, info.ASOrg = uint32(asn), r.ASName
		}
	}
	return knew
}

// isISOCode reports whether s looks like an ISO 3166-1 alpha-2 code rather
// than a country's name.
func isISOCode(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}
