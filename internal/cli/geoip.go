package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/homesoc/homesoc/internal/detect"
	"github.com/homesoc/homesoc/internal/geoip"
	"github.com/homesoc/homesoc/internal/rules"
)

const geoipFlagUsage = "a MaxMind-format GeoIP database (.mmdb: City or Country, and ASN; repeatable) " +
	"(default $HOMESOC_GEOIP_DB, colon-separated, else every *.mmdb in <data>/geoip/)"

// geoipPaths returns the GeoIP database files in effect, in order of
// precedence: --geoip-db, else $HOMESOC_GEOIP_DB (a list like $PATH), else
// every *.mmdb in <data>/geoip/ by name. None is not an error: what needs
// a database is skipped and says so.
func (e *env) geoipPaths() ([]string, error) {
	if len(e.geoipDB) > 0 {
		return e.geoipDB, nil
	}
	if v := os.Getenv("HOMESOC_GEOIP_DB"); v != "" {
		return slices.DeleteFunc(filepath.SplitList(v), func(p string) bool { return p == "" }), nil
	}
	ps, err := filepath.Glob(filepath.Join(e.dataDir, "geoip", "*.mmdb"))
	if err != nil {
		return nil, fmt.Errorf("find geoip databases: %w", err)
	}
	return ps, nil // Glob sorts them
}

// openGeoIP opens the GeoIP databases in effect; a nil DB and no error when
// none is configured.
func (e *env) openGeoIP() (*geoip.DB, error) {
	ps, err := e.geoipPaths()
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return geoip.Open(ps...)
}

// have says which rule requirements (rules.Requirement) this run meets: a
// GeoIP database that opens gives "geoip". A configured database that does
// not open is an error, not a skip: the user asked for it.
func (e *env) have() (map[string]bool, error) {
	db, err := e.openGeoIP()
	if err != nil {
		return nil, err
	}
	if db == nil {
		return map[string]bool{}, nil
	}
	defer db.Close()
	return map[string]bool{"geoip": true}, nil
}

// runnable leaves out of rs the rules whose requirements this run does not
// meet, returning them as skipped results for the detect output.
func (e *env) runnable(rs []*rules.Rule) ([]*rules.Rule, []detect.RuleResult, error) {
	have, err := e.have()
	if err != nil {
		return nil, nil, err
	}
	run, skipped := detect.Runnable(rs, have)
	return run, skipped, nil
}

// geoipSources describes the GeoIP databases in effect for homesoc version:
// none is an empty list; a database that does not open is the error's text.
func (e *env) geoipSources() ([]geoip.Source, string) {
	db, err := e.openGeoIP()
	if err != nil {
		return []geoip.Source{}, err.Error()
	}
	if db == nil {
		return []geoip.Source{}, ""
	}
	defer db.Close()
	return db.Sources(), ""
}
