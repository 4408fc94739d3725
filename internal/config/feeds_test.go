package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestFeedsBuiltinByName: a built-in feed's name alone gives its url,
// format, interval and expiry; a key it gives wins; a custom feed takes
// the default interval and expires.
func TestFeedsBuiltinByName(t *testing.T) {
	c, err := Parse("f.yaml", []byte(`feeds:
  - name: feodo
  - name: urlhaus
    interval: 2h
  - name: spamhaus-drop
    url: https://mirror.example.org/drop.txt
    expire: false
  - name: blocklist-de
    url: https://lists.blocklist.de/lists/all.txt
    format: csv
    headers:
      Auth-Key: ${FEED_KEY}
`), func(n string) (string, bool) { return "s3cr3t-key", n == "FEED_KEY" })
	if err != nil {
		t.Fatal(err)
	}
	fs := c.Feeds
	if len(fs) != 4 {
		t.Fatalf("%d feeds, want 4", len(fs))
	}
	want := []struct {
		url, format string
		interval    time.Duration
		expire      bool
		line        int
	}{
		{"https://feodotracker.abuse.ch/downloads/ipblocklist.json", "feodo", time.Hour, true, 2},
		{"https://urlhaus.abuse.ch/downloads/csv_recent/", "urlhaus", 2 * time.Hour, false, 3},
		{"https://mirror.example.org/drop.txt", "spamhaus", 12 * time.Hour, false, 5},
		{"https://lists.blocklist.de/lists/all.txt", "csv", time.Hour, true, 8},
	}
	for i, w := range want {
		f := fs[i]
		if string(f.URL) != w.url || f.Format != w.format || time.Duration(f.Interval) != w.interval || f.Expires() != w.expire || f.Line() != w.line {
			t.Errorf("feed %s = %s %s %s expire %v line %d, want %+v", f.Name, f.URL, f.Format, f.Interval, f.Expires(), f.Line(), w)
		}
	}
	if got := fs[3].Headers["Auth-Key"].Reveal(); got != "s3cr3t-key" {
		t.Errorf("Auth-Key = %q", got)
	}
	b, _ := json.Marshal(fs[3])
	if strings.Contains(string(b), "s3cr3t-key") || !strings.Contains(string(b), `"Auth-Key":"\u003csecret\u003e"`) {
		t.Errorf("JSON of the feed: %s", b)
	}
}

// TestFeedsBad: every mistake of the feeds section is reported at its
// feed's line, naming the feed.
func TestFeedsBad(t *testing.T) {
	_, err := Parse("f.yaml", []byte(`feeds:
  - name: feodo
  - name: feodo
  - name: my-list
    url: https://example.org/list.txt
  - name: other
    url: https://example.org/x.csv
    format: stix
  - name: fast
    url: https://example.org/y.txt
    format: csv
    interval: 30s
  - url: https://example.org/z.txt
    format: csv
  - name: Bad Name
  - name: hdr
    url: https://example.org/h.txt
    format: csv
    headers:
      "Auth Key": x
`), nil)
	want := []string{
		`f.yaml:3: duplicate feed "feodo" (first at line 2)`,
		`f.yaml:4: feed "my-list" is not a built-in feed (feodo, spamhaus-drop, spamhaus-edrop, sslbl, threatfox, urlhaus): it needs url and format`,
		`f.yaml:6: feed "other": unknown format "stix" (one of: csv, feodo, spamhaus, sslbl, threatfox, urlhaus)`,
		`f.yaml:9: feed "fast": interval 30s is below 1m: feed servers ban clients that fetch that often`,
		`f.yaml:13: feed 6 has no name`,
		`f.yaml:15: feed "Bad Name": bad name: use lower-case letters, digits, '-', '_' and '.'`,
		`f.yaml:16: feed "hdr": bad header name "Auth Key"`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("err =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

// TestFeedsBadKeys: a key the loaders have no use for (a column mapping)
// and a URL that is not http are errors at their line.
func TestFeedsBadKeys(t *testing.T) {
	_, err := Parse("f.yaml", []byte(`feeds:
  - name: a
    url: ftp://example.org/a.txt
    format: csv
    columns: {value: 2}
`), nil)
	want := "f.yaml:3: URL \"ftp://example.org/a.txt\" must start with http:// or https://\n" +
		"f.yaml:5: unknown key \"columns\" in feeds"
	if err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
}

// TestBuiltinFeedsValid: every built-in feed is itself a good feed.
func TestBuiltinFeedsValid(t *testing.T) {
	for _, f := range BuiltinFeeds() {
		if checkURL(string(f.URL)) != "" || !strings.HasPrefix(string(f.URL), "https://") || f.Interval < minFeedInterval || f.Expire == nil {
			t.Errorf("built-in feed %+v", f)
		}
		p := &parser{file: "x"}
		p.checkFeeds([]Feed{{Name: f.Name}})
		if len(p.errs) > 0 {
			t.Errorf("%s alone: %v", f.Name, p.errs)
		}
	}
}
