package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB answers Lookup from one or more MaxMind-format databases, e.g. a City
// or Country database plus an ASN database. Each field of an answer comes
// from the first database, in the order given to Open, that knows it. A DB
// is safe for concurrent lookups; Close must not race them.
type DB struct {
	files []file
}

type file struct {
	path string
	r    *maxminddb.Reader
}

// Source describes one database a DB reads.
type Source struct {
	Path      string    `json:"path"`
	Type      string    `json:"type"`       // the file's database_type, e.g. "GeoLite2-City"
	Built     time.Time `json:"built"`      // the file's build date
	IPVersion int       `json:"ip_version"` // 4: IPv4 only, 6: both
}

// record is the part of a GeoIP2/GeoLite2 (and DB-IP's compatible) Country,
// City and ASN record that Info holds; one struct reads all three kinds, the
// fields a database lacks stay zero.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	Location struct {
		Latitude       *float64 `maxminddb:"latitude"`
		Longitude      *float64 `maxminddb:"longitude"`
		AccuracyRadius uint16   `maxminddb:"accuracy_radius"`
	} `maxminddb:"location"`
	ASN   uint32 `maxminddb:"autonomous_system_number"`
	ASOrg string `maxminddb:"autonomous_system_organization"`
}

// Open opens the databases at paths, in that order of precedence. It fails,
// naming the file, when one is missing or is not a MaxMind DB; nothing stays
// open then.
func Open(paths ...string) (*DB, error) {
	if len(paths) == 0 {
		return nil, errors.New("open geoip database: no file given")
	}
	db := &DB{}
	for _, p := range paths {
		r, err := maxminddb.Open(p)
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("open geoip database %s: %w", p, err)
		}
		db.files = append(db.files, file{path: p, r: r})
	}
	return db, nil
}

// Lookup returns what the databases know of a; ok is false when none knows
// anything (private and reserved addresses are never in them). An IPv4-mapped
// IPv6 address is looked up as the IPv4 address.
func (db *DB) Lookup(a netip.Addr) (Info, bool) {
	var info Info
	if db == nil || !a.IsValid() {
		return info, false
	}
	a = a.Unmap()
	found := false
	for _, f := range db.files {
		if a.Is6() && f.r.Metadata.IPVersion == 4 {
			continue
		}
		res := f.r.Lookup(a)
		if !res.Found() {
			continue
		}
		var rec record
		if err := res.Decode(&rec); err == nil && merge(&info, &rec) {
			found = true
			continue
		}
		// Not MaxMind's nested shape (or nothing in it we read): IPinfo's
		// and other flat files. A record of neither shape tells us
		// nothing; it is not an error of the lookup.
		var flat flatRecord
		if err := res.Decode(&flat); err == nil {
			found = flat.merge(&info) || found
		}
	}
	return info, found
}

// merge fills the fields of info that are still unknown from rec and reports
// whether rec knew anything.
func merge(info *Info, rec *record) bool {
	knew := false
	country := rec.Country.ISOCode
	if country == "" {
		country = rec.RegisteredCountry.ISOCode
	}
	if country != "" {
		knew = true
		if info.Country == "" {
			info.Country = country
		}
	}
	if rec.Location.Latitude != nil && rec.Location.Longitude != nil {
		knew = true
		if !info.Located {
			info.Lat, info.Lon = *rec.Location.Latitude, *rec.Location.Longitude
			info.RadiusKM = rec.Location.AccuracyRadius
			info.Located = true
		}
	}
	if rec.ASN != 0 || rec.ASOrg != "" {
		knew = true
		if info.ASN == 0 && info.ASOrg == "" {
			info.ASN, info.ASOrg = rec.ASN, rec.ASOrg
		}
	}
	return knew
}

// Sources describes the databases, in the order of precedence.
func (db *DB) Sources() []Source {
	if db == nil {
		return []Source{}
	}
	out := make([]Source, 0, len(db.files))
	for _, f := range db.files {
		m := f.r.Metadata
		out = append(out, Source{
			Path:      f.path,
			Type:      m.DatabaseType,
			Built:     m.BuildTime().UTC(),
			IPVersion: int(m.IPVersion),
		})
	}
	return out
}

// String describes the databases in one line, e.g.
// "GeoLite2-City 2026-11-20 (/data/geoip/city.mmdb), GeoLite2-ASN 2026-11-20 (...)".
func (db *DB) String() string {
	if db == nil || len(db.files) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(db.files))
	for _, s := range db.Sources() {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", s.Type, s.Built.Format(time.DateOnly), s.Path))
	}
	return strings.Join(parts, ", ")
}

// Close closes every database.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	var errs []error
	for _, f := range db.files {
		if err := f.r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close geoip database %s: %w", f.path, err))
		}
	}
	db.files = nil
	return errors.Join(errs...)
}
