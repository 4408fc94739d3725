package intel

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/homesoc/homesoc/internal/event"
)

// threatfoxColumns are the columns of ThreatFox's CSV exports (full and
// recent).
func threatfoxColumns() []string {
	return []string{"first_seen_utc", "ioc_id", "ioc_value", "ioc_type", "threat_type", "fk_malware", "malware_alias",
		"malware_printable", "last_seen_utc", "confidence_level", "is_compromised", "reference", "tags", "anonymous", "reporter"}
}

// LoadThreatFox loads an abuse.ch ThreatFox CSV export, whose column line is
// a '#' comment (`# "first_seen_utc","ioc_id","ioc_value",...`) and whose
// fields are quoted and padded with a space.
//
// By ioc_type: ip:port becomes an ip indicator (the port kept in Fields as
// "port": the matcher matches addresses whatever the port), domain a domain,
// url a url, md5_hash, sha1_hash and sha256_hash a hash (of the malware file,
// the meaning of homesoc's hash type). Any other ioc_type is skipped with
// its reason in SkipReasons, not rejected: the entry is well formed, homesoc
// has no type for it. Threat is malware_printable, Confidence the entry's
// confidence_level, FirstSeen first_seen_utc, LastSeen last_seen_utc (never
// before FirstSeen). Every entry is active: ThreatFox drops the IoCs it no
// longer vouches for. Fields hold the other columns.
func LoadThreatFox(r io.Reader, opts LoadOptions) (LoadResult, error) {
	opts = opts.withDefaults(FormatThreatFox)
	return loadAbuseCSV(r, opts, abuseFeed{name: "threatfox csv", columns: threatfoxColumns(), keys: []string{"ioc_value"}, row: threatfoxRow})
}

func threatfoxRow(r abuseRow, opts LoadOptions) (event.Indicator, string, error) {
	raw, iocType := r.get("ioc_value"), strings.ToLower(r.get("ioc_type"))
	if raw == "" {
		return event.Indicator{}, "", fmt.Errorf("missing ioc_value")
	}
	switch iocType {
	case "":
		return event.Indicator{}, "", fmt.Errorf("missing ioc_type")
	case typeIPPort, event.IndicatorDomain, event.IndicatorURL, "md5_hash", "sha1_hash", "sha256_hash":
	default:
		return event.Indicator{}, fmt.Sprintf("threatfox: ioc_type %s has no homesoc indicator type", quote(iocType)), nil
	}
	typ, value, err := Canonical(iocType, raw)
	if err != nil {
		return event.Indicator{}, "", err
	}
	ind := newIndicator(opts.Feed, typ, value)
	ind.Threat = cleanText(r.get("malware_printable"))
	confidence := DefaultConfidence
	if s := r.get("confidence_level"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 100 {
			return event.Indicator{}, "", fmt.Errorf("bad confidence_level %s", quote(s))
		}
		confidence = n
	}
	firstSeen, err := abuseTime(r, "first_seen_utc")
	if err != nil {
		return event.Indicator{}, "", err
	}
	lastSeen, err := abuseTime(r, "last_seen_utc")
	if err != nil {
		return event.Indicator{}, "", err
	}
	abuseLife(&ind, firstSeen, lastSeen, true, opts.Now)
	ind.Confidence = confidence
	fields := r.rest("ioc_value", "ioc_type", "malware_printable", "confidence_level", "first_seen_utc", "last_seen_utc")
	if port, ok := portOf(iocType, raw); ok {
		fields["port"] = port
	}
	ind.Fields = fieldsJSON(fields)
	return ind, "", nil
}
