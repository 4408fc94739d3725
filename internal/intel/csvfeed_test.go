package intel

import (
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

func TestLoadCSV(t *testing.T) {
	const (
		ip     = event.IndicatorIP
		cidr   = event.IndicatorCIDR
		domain = event.IndicatorDomain
		url    = event.IndicatorURL
		hash   = event.IndicatorHash
	)
	runLoadCases(t, LoadCSV, []loadCase{
		{
			name: "header",
			file: "csv/indicators.csv",
			feed: "watchlist",
			wantValues: []string{"203.0.113.0/24", "198.51.100.7", "2001:db8::1", "evil.example.com",
				"http://malware.example.org/payload.exe?a=1&b=2", "d41d8cd98f00b204e9800998ecf8427e", "192.0.2.1"},
			want: []event.Indicator{
				// Listed twice: the span of both, as confident as either, the
				// fields of the entry seen last.
				ind("watchlist", cidr, "203.0.113.0/24", "ExampleBot", 80, ts("2023-11-15"), ts("2024-01-10"), true,
					`{"Note":"scanner subnet","Source":"honeypot"}`),
				ind("watchlist", ip, "198.51.100.7", "", DefaultConfidence, testNow, testNow, true,
					`{"Note":"listed as /32","Source":"partner"}`),
				ind("watchlist", ip, "2001:db8::1", "Sliver", 90, ts("2024-01-02 03:04:05"), ts("2024-01-02 03:04:05"), true,
					`{"Note":"","Source":"partner"}`),
				ind("watchlist", domain, "evil.example.com", "Phishing", DefaultConfidence, testNow, testNow, true,
					`{"Note":"","Source":""}`),
				ind("watchlist", url, "http://malware.example.org/payload.exe?a=1&b=2", "", DefaultConfidence, testNow, testNow, true,
					`{"Note":"quoted, with comma","Source":""}`),
				ind("watchlist", hash, "d41d8cd98f00b204e9800998ecf8427e", "", DefaultConfidence, testNow, testNow, true,
					`{"Note":"","Source":""}`),
				ind("watchlist", ip, "192.0.2.1", "", DefaultConfidence, testNow, testNow, true,
					`{"Note":"mapped","Source":""}`),
			},
			wantSkipped:    3,
			wantDuplicates: 1,
		},
		{
			name:       "header bad entries",
			file:       "csv/indicators.bad.csv",
			wantValues: []string{"198.51.100.9"},
			want: []event.Indicator{
				ind("csv", ip, "198.51.100.9", "Good", DefaultConfidence, testNow, testNow, true, `{}`),
			},
			wantRejected: []Rejected{
				{Line: 2, Reason: `cannot tell indicator type of "203.0.113.999"`},
				{Line: 3, Reason: `missing value`, Raw: `,ip,,,`},
				{Line: 4, Reason: `bad domain "203.0.113.5"`},
				{Line: 5, Reason: `cannot tell indicator type of "not a thing"`},
				{Line: 6, Reason: `bad hash "abcdef": 6 hex digits, want 32, 40 or 64`},
				{Line: 7, Reason: `bad confidence "150"`},
				{Line: 8, Reason: `bad first_seen "01/02/2024"`},
				{Line: 9, Reason: `wrong number of fields: got 3, want 5`},
				{Line: 10, Reason: `bad csv: extraneous or missing " in quoted-field`},
				{Line: 11, Reason: `cannot tell indicator type of "example.123"`},
				{Line: 12, Reason: `bad url "http://"`},
			},
			wantSkipped: 1,
		},
		{
			name: "plain list",
			file: "csv/blocklist.txt",
			wantValues: []string{"203.0.113.50", "198.51.100.0/25", "evil.example.net", "2001:db8:bad::/48",
				"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "https://phish.example.com/login?session=1"},
			want: []event.Indicator{
				ind("csv", ip, "203.0.113.50", "", DefaultConfidence, testNow, testNow, true, `{}`),
				ind("csv", cidr, "198.51.100.0/25", "", DefaultConfidence, testNow, testNow, true, `{"comment":"SBL000001"}`),
				ind("csv", domain, "evil.example.net", "", DefaultConfidence, testNow, testNow, true, `{"comment":"seen in phishing mail"}`),
				ind("csv", cidr, "2001:db8:bad::/48", "", DefaultConfidence, testNow, testNow, true, `{}`),
			},
			wantSkipped:    3,
			wantDuplicates: 1,
		},
		{
			name:       "plain list bad entries",
			file:       "csv/blocklist.bad.txt",
			wantValues: []string{"198.51.100.77"},
			wantRejected: []Rejected{
				{Line: 2, Reason: `cannot tell indicator type of "203.0.113.256"`},
				{Line: 3, Reason: `bad cidr "198.51.100.0/33"`},
				{Line: 4, Reason: `cannot tell indicator type of "-bad-.example.com"`},
				{Line: 5, Reason: `unexpected text after indicator: "extra words"`, Raw: `203.0.113.51 extra words`},
				{Line: 6, Reason: `cannot tell indicator type of "1.2.3.04"`},
				{Line: 7, Reason: `cannot tell indicator type of "abc"`},
			},
			wantSkipped: 1,
		},
		{
			name:        "feodo plain text",
			file:        "feodo/ipblocklist.txt",
			feed:        "feodo",
			wantValues:  []string{"203.0.113.10", "198.51.100.23", "192.0.2.77"},
			want:        []event.Indicator{ind("feodo", ip, "203.0.113.10", "", DefaultConfidence, testNow, testNow, true, `{}`)},
			wantSkipped: 10,
		},
		{
			name:       "header column preference and explicit types",
			input:      "domain,IP,type,malware,last_seen\nexample.net,203.0.113.9,cidr,X,2024-01-01T10:00:00+02:00\n",
			wantValues: []string{"203.0.113.9"},
			want: []event.Indicator{
				// "ip" outranks "domain" as the value column; a cidr of one
				// address is an ip; first_seen defaults to last_seen.
				ind("csv", ip, "203.0.113.9", "X", DefaultConfidence, ts("2024-01-01 08:00:00"), ts("2024-01-01 08:00:00"), true,
					`{"domain":"example.net"}`),
			},
			wantSkipped: 1,
		},
		{
			name:         "header with unknown type",
			input:        "ioc,type\n203.0.113.9,email\n",
			wantRejected: []Rejected{{Line: 2, Reason: `unknown indicator type "email"`}},
			wantSkipped:  1,
		},
		{
			name:         "line too long",
			input:        "203.0.113.1\n" + strings.Repeat("a", maxLine+10) + "\n198.51.100.1\n",
			wantValues:   []string{"203.0.113.1", "198.51.100.1"},
			wantRejected: []Rejected{{Line: 2, Reason: "line too long: 65546 bytes, over 65536; the first 65536 kept"}},
		},
		{
			name:       "no final newline, byte-order mark",
			input:      "\xef\xbb\xbf203.0.113.1",
			wantValues: []string{"203.0.113.1"},
		},
	})
}
