package config

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Feed is an intel feed homesoc serve fetches on a schedule (and
// homesoc intel update on demand). A built-in feed (BuiltinFeeds) is
// enabled by its name alone and takes its known url, format, interval and
// expire for any key it leaves out; any other feed needs url and format.
type Feed struct {
	// Name identifies the feed; it is stored with its indicators (a
	// renamed feed starts over with new ones).
	Name string `yaml:"name" json:"name"`
	// URL is where the feed is fetched from (http or https).
	URL URL `yaml:"url" json:"url"`
	// Format is the loader of its body: feodo, spamhaus, urlhaus,
	// threatfox, sslbl, or csv for any list (one indicator a line, or CSV
	// with a header row naming the value column; # and ; comments).
	Format string `yaml:"format" json:"format"`
	// Interval is how often it is fetched; default the built-in feed's,
	// else DefaultFeedInterval. At least 1m.
	Interval Duration `yaml:"interval" json:"interval_s"`
	// Expire says whether an indicator the feed no longer lists is made
	// inactive: true for a full list (the default), false for a list of
	// recent additions (URLhaus and ThreatFox recent), which drops entries
	// by age, not because they stopped being bad.
	Expire *bool `yaml:"expire" json:"expire"`
	// Headers are sent with every request (e.g. abuse.ch's Auth-Key).
	Headers map[string]Secret `yaml:"headers" json:"headers"`

	line int // of the feed's first key, for messages
}

// DefaultFeedInterval is the interval of a feed that is not built in.
const DefaultFeedInterval = Duration(time.Hour)

// minFeedInterval is the shortest interval a feed may have: feed operators
// (abuse.ch, Spamhaus) ban clients that fetch more often than their lists
// change.
const minFeedInterval = Duration(time.Minute)

// feedFormats are the formats of internal/intel's loaders (intel.Formats;
// config does not import intel, a test in internal/feeds keeps them equal).
var feedFormats = []string{"csv", "feodo", "spamhaus", "sslbl", "threatfox", "urlhaus"}

// FeedFormats returns the formats a feed may have, sorted.
func FeedFormats() []string { return append([]string(nil), feedFormats...) }

// BuiltinFeeds returns the feeds homesoc knows by name, with their urls,
// formats, intervals and expiry, sorted by name.
func BuiltinFeeds() []Feed {
	yes, no := true, false
	return []Feed{
		// Botnet C2 servers, every one listed with its status: a full list.
		{Name: "feodo", URL: "https://feodotracker.abuse.ch/downloads/ipblocklist.json", Format: "feodo",
			Interval: Duration(time.Hour), Expire: &yes},
		// Spamhaus DROP and EDROP: full lists, updated about once a day;
		// Spamhaus asks for no more than one fetch an hour.
		{Name: "spamhaus-drop", URL: "https://www.spamhaus.org/drop/drop.txt", Format: "spamhaus",
			Interval: Duration(12 * time.Hour), Expire: &yes},
		{Name: "spamhaus-edrop", URL: "https://www.spamhaus.org/drop/edrop.txt", Format: "spamhaus",
			Interval: Duration(12 * time.Hour), Expire: &yes},
		// SSLBL's botnet C2 IP list (the certificate and JA3 lists hold
		// nothing homesoc can match: their loader skips every entry).
		{Name: "sslbl", URL: "https://sslbl.abuse.ch/blacklist/sslipblacklist.csv", Format: "sslbl",
			Interval: Duration(time.Hour), Expire: &yes},
		// IoCs of the last 48 hours: recent additions, never expired.
		{Name: "threatfox", URL: "https://threatfox.abuse.ch/export/csv/recent/", Format: "threatfox",
			Interval: Duration(time.Hour), Expire: &no},
		// Malware URLs added in the last 30 days: recent additions.
		{Name: "urlhaus", URL: "https://urlhaus.abuse.ch/downloads/csv_recent/", Format: "urlhaus",
			Interval: Duration(time.Hour), Expire: &no},
	}
}

// builtinFeed returns the built-in feed of that name.
func builtinFeed(name string) (Feed, bool) {
	for _, f := range BuiltinFeeds() {
		if f.Name == name {
			return f, true
		}
	}
	return Feed{}, false
}

// builtinFeedNames lists the built-in feeds' names.
func builtinFeedNames() string {
	var names []string
	for _, f := range BuiltinFeeds() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// Line is the line of the feed's first key (0 for a feed built in code).
func (f *Feed) Line() int { return f.line }

// Expires reports whether the feed expires the indicators it drops
// (Expire, true when unset).
func (f *Feed) Expires() bool { return f.Expire == nil || *f.Expire }

// UnmarshalYAML reads a feed and remembers its line.
func (f *Feed) UnmarshalYAML(n *yaml.Node) error {
	type plain Feed
	err := n.Decode((*plain)(f))
	f.line = n.Line
	return err
}

var (
	feedName   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// checkFeeds adds the errors of the feeds section, and fills in what a
// feed leaves out (fillFeed): a file with errors is not returned, so only
// a good one's fill is seen.
func (p *parser) checkFeeds(fs []Feed) {
	names := map[string]int{}
	for i := range fs {
		f := &fs[i]
		if f.Name == "" {
			p.add(f.line, "feed %d has no name", i+1)
			continue
		}
		if !feedName.MatchString(f.Name) {
			p.add(f.line, "feed %q: bad name: use lower-case letters, digits, '-', '_' and '.'", f.Name)
			continue
		}
		if first, dup := names[f.Name]; dup {
			p.add(f.line, "duplicate feed %q (first at line %d)", f.Name, first)
			continue
		}
		names[f.Name] = f.line
		if _, ok := builtinFeed(f.Name); !ok && (f.URL == "" || f.Format == "") {
			p.add(f.line, "feed %q is not a built-in feed (%s): it needs url and format", f.Name, builtinFeedNames())
		}
		if f.Format != "" && !slices.Contains(feedFormats, f.Format) {
			p.add(f.line, "feed %q: unknown format %q (one of: %s)", f.Name, f.Format, strings.Join(feedFormats, ", "))
		}
		if f.Interval != 0 && f.Interval < minFeedInterval {
			p.add(f.line, "feed %q: interval %s is below 1m: feed servers ban clients that fetch that often", f.Name, f.Interval)
		}
		hs := make([]string, 0, len(f.Headers))
		for h := range f.Headers {
			hs = append(hs, h)
		}
		sort.Strings(hs)
		for _, h := range hs {
			if !headerName.MatchString(h) {
				p.add(f.line, "feed %q: bad header name %q", f.Name, h)
			}
		}
		fillFeed(f)
	}
}

// fillFeed gives a built-in feed the url, format, interval and expire it
// leaves out, and any feed the default interval.
func fillFeed(f *Feed) {
	if b, ok := builtinFeed(f.Name); ok {
		if f.URL == "" {
			f.URL = b.URL
		}
		if f.Format == "" {
			f.Format = b.Format
		}
		if f.Interval == 0 {
			f.Interval = b.Interval
		}
		if f.Expire == nil {
			f.Expire = b.Expire
		}
	}
	if f.Interval == 0 {
		f.Interval = DefaultFeedInterval
	}
	if f.Expire == nil {
		yes := true
		f.Expire = &yes
	}
}
