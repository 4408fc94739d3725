package intel

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// feodoRecentlyOnline is how long after its last_online date a Feodo C2 that
// is no longer online stays active: botnets move their C2s back and forth, so
// a server offline for a few days is still worth alerting on.
const feodoRecentlyOnline = 30 * 24 * time.Hour

// Confidence of Feodo indicators: a C2 seen online at the feed's last check
// is certain; an offline one may have been cleaned up or reassigned.
const (
	feodoConfidenceOnline  = 100
	feodoConfidenceOffline = 75
)

// LoadFeodo loads abuse.ch Feodo Tracker's botnet C2 IP blocklist. It reads
// the JSON form (ipblocklist.json, ipblocklist_recommended.json) when the
// first non-space byte is '[' (or '{', to refuse it as JSON), else the CSV form (ipblocklist.csv). The plain
// ipblocklist.txt is a list of addresses: load it with LoadCSV.
//
// Each entry becomes an ip indicator: Threat is the malware family,
// FirstSeen the entry's first_seen, LastSeen its last_online date (or
// FirstSeen when it has none, and never before FirstSeen). An entry is
// active when its status is "online" or its last_online lies within 30 days
// before opts.Now; confidence is 100 when online, 75 otherwise. Fields hold
// the entry's own fields.
func LoadFeodo(r io.Reader, opts LoadOptions) (LoadResult, error) {
	opts = opts.withDefaults(FormatFeodo)
	c := newCollector()
	br := bufio.NewReaderSize(r, 16<<10)
	isJSON, err := sniffJSON(br)
	if err != nil {
		return c.res, fmt.Errorf("feodo: %w", err)
	}
	if isJSON {
		err = loadFeodoJSON(br, opts, c)
	} else {
		err = loadFeodoCSV(newLineReader(br), opts, c)
	}
	return c.res, err
}

// sniffJSON reports whether the input starts as JSON (see startsJSON), reading
// nothing but a byte-order mark. An input that starts with more space than
// br can buffer is not JSON from any feed we know.
func sniffJSON(br *bufio.Reader) (bool, error) {
	b, err := br.Peek(br.Size())
	if err != nil && err != io.EOF {
		return false, err
	}
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		b = b[3:]
		if startsJSON(b) {
			_, _ = br.Discard(3) // the JSON decoder does not skip a BOM
			return true, nil
		}
		return false, nil
	}
	return startsJSON(b), nil
}

// startsJSON reports whether b's first non-space byte starts a JSON array or
// object. Feodo's JSON is an array; an object is taken as JSON too, so it is
// refused as such rather than as a page of CSV errors.
func startsJSON(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && (t[0] == '[' || t[0] == '{')
}

// feodoEntry is one Feodo blocklist entry, from JSON or CSV. The key fields
// name the entry's fields in rejection reasons, as the feed spells them.
type feodoEntry struct {
	ip, firstSeen, lastOnline, status, malware string
	ipKey, firstSeenKey, lastOnlineKey         string
	fields                                     string
}

// indicator turns the entry into an indicator, or returns why it cannot.
func (e feodoEntry) indicator(opts LoadOptions) (event.Indicator, error) {
	ipText := strings.TrimSpace(e.ip)
	if ipText == "" {
		return event.Indicator{}, fmt.Errorf("missing %s", e.ipKey)
	}
	addr, ok := parseAddr(ipText)
	if !ok {
		return event.Indicator{}, fmt.Errorf("bad %s %s", e.ipKey, quote(ipText))
	}
	firstText := strings.TrimSpace(e.firstSeen)
	if firstText == "" {
		return event.Indicator{}, fmt.Errorf("missing %s", e.firstSeenKey)
	}
	first, ok := parseTime(firstText)
	if !ok {
		return event.Indicator{}, fmt.Errorf("bad %s %s", e.firstSeenKey, quote(firstText))
	}
	var lastOnline time.Time
	if s := strings.TrimSpace(e.lastOnline); s != "" {
		if lastOnline, ok = parseTime(s); !ok {
			return event.Indicator{}, fmt.Errorf("bad %s %s", e.lastOnlineKey, quote(s))
		}
	}

	ind := newIndicator(opts.Feed, event.IndicatorIP, addr.String())
	ind.Threat = cleanText(e.malware)
	ind.FirstSeen = first
	ind.LastSeen = first
	if lastOnline.After(first) {
		ind.LastSeen = lastOnline
	}
	online := strings.EqualFold(strings.TrimSpace(e.status), "online")
	recent := !lastOnline.IsZero() && !lastOnline.Before(opts.Now.Add(-feodoRecentlyOnline))
	ind.Active = online || recent
	ind.Confidence = feodoConfidenceOffline
	if online {
		ind.Confidence = feodoConfidenceOnline
	}
	ind.Fields = e.fields
	return ind, nil
}

// cleanText trims a feed's free text and makes it valid UTF-8, so stores and
// JSON encoders downstream take it as it is.
func cleanText(s string) string {
	return strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
}
