package intel

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// Confidence of abuse.ch indicators that carry no confidence of their own
// (URLhaus, SSLBL): an entry seen online at the feed's last check is
// certain; an offline one may have been cleaned up. As Feodo's.
const (
	abuseConfidenceOnline  = feodoConfidenceOnline
	abuseConfidenceOffline = feodoConfidenceOffline
)

// urlhausColumns are the columns of URLhaus' csv and csv_recent exports.
func urlhausColumns() []string {
	return []string{"id", "dateadded", "url", "url_status", "last_online", "threat", "tags", "urlhaus_link", "reporter"}
}

// LoadURLhaus loads an abuse.ch URLhaus CSV export (csv, csv_recent,
// csv_online), whose column line is a '#' comment (`# id,dateadded,url,...`).
// Each entry becomes a url indicator: Threat is the entry's threat
// ("malware_download"), FirstSeen its dateadded, LastSeen its last_online
// (never before FirstSeen). An entry is active when its url_status is
// "online" or its last_online lies within 30 days before opts.Now, as Feodo's
// C2s; confidence is 100 when online, 75 otherwise. Fields hold the other
// columns (id, tags, urlhaus_link, reporter, url_status).
func LoadURLhaus(r io.Reader, opts LoadOptions) (LoadResult, error) {
	opts = opts.withDefaults(FormatURLhaus)
	return loadAbuseCSV(r, opts, abuseFeed{name: "urlhaus csv", columns: urlhausColumns(), keys: []string{"urlhaus_link"}, row: urlhausRow})
}

func urlhausRow(r abuseRow, opts LoadOptions) (event.Indicator, string, error) {
	raw := r.get("url")
	if raw == "" {
		return event.Indicator{}, "", fmt.Errorf("missing url")
	}
	typ, value, err := Canonical(event.IndicatorURL, raw)
	if err != nil {
		return event.Indicator{}, "", err
	}
	added, err := abuseTime(r, "dateadded")
	if err != nil {
		return event.Indicator{}, "", err
	}
	lastOnline, err := abuseTime(r, "last_online")
	if err != nil {
		return event.Indicator{}, "", err
	}
	ind := newIndicator(opts.Feed, typ, value)
	ind.Threat = cleanText(r.get("threat"))
	online := strings.EqualFold(r.get("url_status"), "online")
	abuseLife(&ind, added, lastOnline, online, opts.Now)
	ind.Fields = fieldsJSON(r.rest("url", "dateadded", "last_online", "threat"))
	return ind, "", nil
}

// abuseLife sets an abuse.ch entry's times, activity and confidence from
// when it was added, when it was last online and whether it is online now.
// A missing added time is lastOnline, else now.
func abuseLife(ind *event.Indicator, added, lastOnline time.Time, online bool, now time.Time) {
	switch {
	case !added.IsZero():
	case !lastOnline.IsZero():
		added = lastOnline
	default:
		added = now
	}
	ind.FirstSeen, ind.LastSeen = added, added
	if lastOnline.After(added) {
		ind.LastSeen = lastOnline
	}
	recent := !lastOnline.IsZero() && !lastOnline.Before(now.Add(-feodoRecentlyOnline))
	ind.Active = online || recent
	ind.Confidence = abuseConfidenceOffline
	if online {
		ind.Confidence = abuseConfidenceOnline
	}
}
