package intel

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// DefaultConfidence is the confidence of indicators from a generic feed that
// gives none: the feed was chosen by the operator, but we know nothing of
// how it vets its entries.
const DefaultConfidence = 50

// LoadCSV loads a generic indicator list. Lines whose first non-space byte is
// '#' or ';' are comments (Spamhaus DROP writes its banner after ';'); blank
// lines are skipped. The first other line decides the layout:
//
//   - a CSV header row, when one of its columns is named value, indicator,
//     ioc, ioc_value, ip, ip_address, dst_ip, domain, url, hash, sha256, sha1
//     or md5 (case-insensitive; the first of these in that order holds the
//     indicator, and a hash column's name is its type unless a type column
//     says otherwise). Optional columns: type (or ioc_type), threat (or
//     malware, malware_printable, listingreason), confidence (or
//     confidence_level, 0..100), first_seen (or dateadded, listingdate) and
//     last_seen (or last_online); every other column goes into Fields. An
//     empty type is inferred from the value.
//   - else the header row given as the last '#' comment before it with at
//     least two columns, one of them a value column, as abuse.ch writes
//     URLhaus, SSLBL and ThreatFox exports: `# id,dateadded,url,...`.
//   - otherwise a plain list: one indicator per line, its type inferred, with
//     an optional trailing comment after '#' or ';' (kept in Fields as
//     "comment"), as in Feodo's ipblocklist.txt or Spamhaus DROP.
//
// Types are inferred as Canonical does; the port of an ip:port (ThreatFox)
// is kept in Fields as "port". A time missing from the feed is opts.Now;
// LastSeen defaults to, and is never before, FirstSeen. Confidence defaults
// to DefaultConfidence. Every indicator is active.
func LoadCSV(r io.Reader, opts LoadOptions) (LoadResult, error) {
	opts = opts.withDefaults(FormatCSV)
	c := newCollector()
	lr := newLineReader(r)
	var (
		sp     fieldSplitter
		hdr    *csvHeader
		cmtHdr *csvHeader // the header row last given as a comment
		plain  bool
		decide = true
	)
	comment := func(line []byte) {
		if decide {
			if h := commentHeader(line, &sp); h != nil {
				cmtHdr = h
			}
		}
	}
	err := eachLine(lr, "csv feed", c, true, comment, func(line []byte) {
		if decide {
			decide = false
			if hdr = parseCSVHeader(line, &sp); hdr != nil {
				c.skip()
				return
			}
			hdr, plain = cmtHdr, cmtHdr == nil
		}
		var ind event.Indicator
		var err error
		if plain {
			ind, err = plainRecord(string(line), opts)
		} else {
			ind, err = hdr.record(line, &sp, opts)
		}
		if err != nil {
			c.reject(lr.n, err.Error(), string(line))
			return
		}
		c.add(ind)
	})
	return c.res, err
}

// plainRecord reads a line of a plain list: an indicator, then perhaps a
// comment.
func plainRecord(line string, opts LoadOptions) (event.Indicator, error) {
	line = strings.TrimSpace(line)
	value, rest := line, ""
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		value, rest = line[:i], line[i+1:]
	}
	fields := map[string]string{}
	if rest = strings.TrimSpace(rest); rest != "" {
		if rest[0] != '#' && rest[0] != ';' {
			return event.Indicator{}, fmt.Errorf("unexpected text after indicator: %s", quote(rest))
		}
		fields["comment"] = cleanText(rest[1:])
	}
	typ, canon, err := Canonical("", value)
	if err != nil {
		return event.Indicator{}, err
	}
	ind := newIndicator(opts.Feed, typ, canon)
	ind.Confidence = DefaultConfidence
	ind.FirstSeen, ind.LastSeen = opts.Now, opts.Now
	ind.Fields = fieldsJSON(fields)
	return ind, nil
}

// semicolonComment reports a line whose first non-space byte is ';', the
// comment mark of Spamhaus DROP ("; Spamhaus DROP List ...").
func semicolonComment(line []byte) bool {
	t := bytes.TrimLeft(line, " \t")
	return len(t) > 0 && t[0] == ';'
}

// commentHeader returns the layout described by a '#' comment that is a
// header row (`# id,dateadded,url,...`), or nil. It takes only rows of two
// columns or more: a one-word comment ("# url") is prose as often as a
// header.
func commentHeader(line []byte, sp *fieldSplitter) *csvHeader {
	text := bytes.TrimPrefix(bytes.TrimLeft(line, " \t"), []byte("#"))
	h := parseCSVHeader(text, sp)
	if h == nil || len(h.names) < 2 {
		return nil
	}
	return h
}

// csvHeader is the layout of a generic CSV feed, from its header row.
type csvHeader struct {
	names []string
	// Positions of the columns with a meaning; -1 when absent.
	value, typ, threat, confidence, firstSeen, lastSeen int
	// valueType is the type the value column's name implies ("sha1"), used
	// when there is no type column; "" to infer it.
	valueType string
}

// Column names of the value column, lower case, in order of preference.
func valueColumns() []string {
	return []string{"value", "indicator", "ioc", "ioc_value", "ip", "ip_address", "dst_ip", "domain", "url",
		"hash", "sha256", "sha1", "md5"}
}

// valueColumnType is the indicator type a value column's name implies: a
// column of SHA-1 hashes holds nothing else. Other names leave the type to
// inference, as they always have (an "ip" column may hold a CIDR).
func valueColumnType(name string) string {
	switch name {
	case "sha256", "sha1", "md5":
		return name
	}
	return ""
}

func roleOf(name string) string {
	switch name {
	case "type", "ioc_type", "indicator_type":
		return "type"
	case "threat", "malware", "malware_family", "malware_printable", "listingreason":
		return "threat"
	case "confidence", "confidence_level":
		return "confidence"
	case "first_seen", "first_seen_utc", "firstseen", "dateadded", "listingdate":
		return "first_seen"
	case "last_seen", "last_seen_utc", "lastseen", "last_online":
		return "last_seen"
	}
	return ""
}

// parseCSVHeader returns the layout described by a header row, or nil when
// line is not one (it names no value column).
func parseCSVHeader(line []byte, sp *fieldSplitter) *csvHeader {
	rec, err := sp.split(line)
	if err != nil {
		return nil
	}
	h := &csvHeader{names: make([]string, len(rec)), value: -1, typ: -1, threat: -1, confidence: -1, firstSeen: -1, lastSeen: -1}
	lower := make([]string, len(rec))
	for i, n := range rec {
		h.names[i] = n
		lower[i] = strings.ToLower(n)
	}
	for _, want := range valueColumns() {
		for i, n := range lower {
			if n == want && h.value < 0 {
				h.value = i
			}
		}
	}
	if h.value < 0 {
		return nil
	}
	h.valueType = valueColumnType(lower[h.value])
	for i, n := range lower {
		if i == h.value {
			continue
		}
		switch roleOf(n) {
		case "type":
			h.typ = first(h.typ, i)
		case "threat":
			h.threat = first(h.threat, i)
		case "confidence":
			h.confidence = first(h.confidence, i)
		case "first_seen":
			h.firstSeen = first(h.firstSeen, i)
		case "last_seen":
			h.lastSeen = first(h.lastSeen, i)
		}
	}
	return h
}

// record turns one data row into an indicator.
func (h *csvHeader) record(line []byte, sp *fieldSplitter, opts LoadOptions) (event.Indicator, error) {
	rec, err := sp.split(line)
	if err != nil {
		return event.Indicator{}, err
	}
	if len(rec) != len(h.names) {
		return event.Indicator{}, fmt.Errorf("wrong number of fields: got %d, want %d", len(rec), len(h.names))
	}
	if rec[h.value] == "" {
		return event.Indicator{}, fmt.Errorf("missing %s", h.names[h.value])
	}
	typName := field(rec, h.typ)
	if h.typ < 0 {
		typName = h.valueType
	}
	typ, value, err := Canonical(typName, rec[h.value])
	if err != nil {
		return event.Indicator{}, err
	}
	ind := newIndicator(opts.Feed, typ, value)
	ind.Threat = cleanText(field(rec, h.threat))
	ind.Confidence = DefaultConfidence
	if s := field(rec, h.confidence); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 100 {
			return event.Indicator{}, fmt.Errorf("bad %s %s", h.names[h.confidence], quote(s))
		}
		ind.Confidence = n
	}
	firstSeen, err := h.time(rec, h.firstSeen)
	if err != nil {
		return event.Indicator{}, err
	}
	lastSeen, err := h.time(rec, h.lastSeen)
	if err != nil {
		return event.Indicator{}, err
	}
	switch {
	case !firstSeen.IsZero():
	case !lastSeen.IsZero():
		firstSeen = lastSeen
	default:
		firstSeen = opts.Now
	}
	if lastSeen.Before(firstSeen) {
		lastSeen = firstSeen
	}
	ind.FirstSeen, ind.LastSeen = firstSeen, lastSeen

	fields := make(map[string]string, len(rec))
	for i, v := range rec {
		switch i {
		case h.value, h.typ, h.threat, h.confidence, h.firstSeen, h.lastSeen:
			continue
		}
		fields[h.names[i]] = cleanText(v)
	}
	if port, ok := portOf(typName, rec[h.value]); ok && fields["port"] == "" {
		fields["port"] = port // the canonical ip drops it
	}
	ind.Fields = fieldsJSON(fields)
	return ind, nil
}

// portOf returns the port of an ip:port value.
func portOf(typ, value string) (string, bool) {
	if !strings.EqualFold(strings.TrimSpace(typ), typeIPPort) {
		return "", false
	}
	_, port, err := net.SplitHostPort(strings.TrimSpace(value))
	return port, err == nil
}

// time parses the time in column i, zero when the column is absent or empty.
func (h *csvHeader) time(rec []string, i int) (time.Time, error) {
	s := field(rec, i)
	if s == "" {
		return time.Time{}, nil
	}
	t, ok := parseTime(s)
	if !ok {
		return time.Time{}, fmt.Errorf("bad %s %s", h.names[i], quote(s))
	}
	return t, nil
}
