package intel

import (
	"fmt"
	"io"
	"strings"

	"github.com/homesoc/homesoc/internal/event"
)

// sslblColumns are the columns of SSLBL's sslblacklist.csv, its most used
// list, for a file without a column line.
func sslblColumns() []string { return []string{"listingdate", "sha1", "listingreason"} }

// LoadSSLBL loads an abuse.ch SSL Blacklist CSV export, recognising the
// list by its '#' column line:
//
//   - the botnet C2 IP list (sslipblacklist.csv, `# Firstseen,DstIP,DstPort`):
//     each entry is an ip indicator, the port kept in Fields, FirstSeen its
//     Firstseen; active, confidence 100 (SSLBL lists the C2s it saw with a
//     bad certificate in the last 30 days).
//   - the certificate list (sslblacklist.csv, `# Listingdate,SHA1,
//     Listingreason`) and the JA3 list (ja3_fingerprints.csv, `# ja3_md5,
//     Firstseen,Lastseen,Listingreason`): skipped with their reason in
//     SkipReasons. A certificate's SHA-1 or a client's JA3 MD5 is not a
//     file's hash, homesoc's hash type, and no homesoc event carries either,
//     so nothing could match them; storing them as hashes would only
//     mislabel them. They are well formed, so skipped, not rejected.
//
// Threat is the Listingreason when the list has one ("Dridex C&C").
func LoadSSLBL(r io.Reader, opts LoadOptions) (LoadResult, error) {
	opts = opts.withDefaults(FormatSSLBL)
	return loadAbuseCSV(r, opts, abuseFeed{name: "sslbl csv", columns: sslblColumns(), keys: []string{"listingreason", "dstip", "ja3_md5"}, row: sslblRow})
}

// Reasons SSLBL entries are skipped for.
const (
	sslblCertSkip = "sslbl: TLS certificate SHA-1 fingerprint: homesoc has no certificate indicator type"
	sslblJA3Skip  = "sslbl: JA3 client fingerprint: homesoc has no JA3 indicator type"
)

func sslblRow(r abuseRow, opts LoadOptions) (event.Indicator, string, error) {
	_, hasIP := r["dstip"]
	_, hasSHA1 := r["sha1"]
	_, hasJA3 := r["ja3_md5"]
	switch {
	case hasIP:
	case hasSHA1:
		if _, _, err := Canonical("sha1", r.get("sha1")); err != nil {
			return event.Indicator{}, "", fmt.Errorf("bad sha1: %w", err)
		}
		return event.Indicator{}, sslblCertSkip, nil
	case hasJA3:
		if _, _, err := Canonical("md5", r.get("ja3_md5")); err != nil {
			return event.Indicator{}, "", fmt.Errorf("bad ja3_md5: %w", err)
		}
		return event.Indicator{}, sslblJA3Skip, nil
	default:
		return event.Indicator{}, "", fmt.Errorf("no dstip, sha1 or ja3_md5 column: not an SSLBL list")
	}
	raw := r.get("dstip")
	if raw == "" {
		return event.Indicator{}, "", fmt.Errorf("missing dstip")
	}
	typ, value, err := Canonical(event.IndicatorIP, raw)
	if err != nil {
		return event.Indicator{}, "", err
	}
	firstSeen, err := abuseTime(r, "firstseen")
	if err != nil {
		return event.Indicator{}, "", err
	}
	lastSeen, err := abuseTime(r, "lastseen")
	if err != nil {
		return event.Indicator{}, "", err
	}
	ind := newIndicator(opts.Feed, typ, value)
	ind.Threat = cleanText(r.get("listingreason"))
	abuseLife(&ind, firstSeen, lastSeen, true, opts.Now)
	fields := r.rest("dstip", "firstseen", "lastseen", "listingreason")
	if p, ok := fields["dstport"]; ok {
		delete(fields, "dstport")
		fields["port"] = strings.TrimSpace(p)
	}
	ind.Fields = fieldsJSON(fields)
	return ind, "", nil
}
