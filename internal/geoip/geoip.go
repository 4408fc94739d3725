// Package geoip says where an address is: its country and network (ASN),
// from a MaxMind-format database (.mmdb: GeoLite2/GeoIP2 Country, City and
// ASN, DB-IP and IPinfo's compatible files) the user supplies. homesoc ships
// no database: without one, what needs a location is skipped and says so.
package geoip

// Info is what a database knows of one address. Zero values mean unknown.
type Info struct {
	Country  string  `json:"country,omitempty"`   // ISO 3166-1 alpha-2, e.g. "JP"
	ASN      uint32  `json:"asn,omitempty"`       // autonomous system number
	ASOrg    string  `json:"as_org,omitempty"`    // the AS's organisation
	Lat      float64 `json:"lat,omitempty"`       // WGS84, with Located
	Lon      float64 `json:"lon,omitempty"`       // WGS84, with Located
	Located  bool    `json:"located,omitempty"`   // Lat/Lon hold a location (City databases)
	RadiusKM uint16  `json:"radius_km,omitempty"` // the location's accuracy radius, where given
}
