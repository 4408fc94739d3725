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
			// Spamhaus DROP: a ';' banner, then "CIDR ; SBL id".
			name:       "drop",
			file:       "csv/drop.txt",
			feed:       "drop",
			wantValues: []string{"198.51.100.0/24", "203.0.113.128/25"},
			want: []event.Indicator{
				ind("drop", cidr, "198.51.100.0/24", "", DefaultConfidence, testNow, testNow, true, `{"comment":"SBL000101"}`),
			},
			wantSkipped: 4,
		},
		{
			// abuse.ch exports give their header row as a '#' comment.
			name:       "urlhaus commented header",
			file:       "csv/urlhaus.csv",
			feed:       "urlhaus",
			wantValues: []string{"http://203.0.113.7:58801/i", "https://files.example.com/Zoom%20Setup.exe?dl=1&st=x"},
			want: []event.Indicator{
				ind("urlhaus", url, "http://203.0.113.7:58801/i", "malware_download", DefaultConfidence,
					ts("2024-01-14 12:05:20"), ts("2024-01-14 12:05:20"), true,
					`{"id":"1000002","reporter":"tester","tags":"32-bit,elf,mips,Mozi","url_status":"online","urlhaus_link":"https://urlhaus.abuse.ch/url/1000002/"}`),
				ind("urlhaus", url, "https://files.example.com/Zoom%20Setup.exe?dl=1&st=x", "malware_download", DefaultConfidence,
					ts("2024-01-14 11:26:06"), ts("2024-01-14 11:26:06"), true,
					`{"id":"1000001","reporter":"tester","tags":"None","url_status":"offline","urlhaus_link":"https://urlhaus.abuse.ch/url/1000001/"}`),
			},
			wantSkipped: 8,
		},
		{
			name:       "sslbl commented header, SHA1 column",
			file:       "csv/sslbl.csv",
			feed:       "sslbl",
			wantValues: []string{"4da14224452c1fe61f46b1112c43ecfd9f322c82", "b785d1a9e5784703b98a96698ad05dff5e07229a"},
			want: []event.Indicator{
				ind("sslbl", hash, "4da14224452c1fe61f46b1112c43ecfd9f322c82", "Rhadamanthys C&C", DefaultConfidence,
					ts("2024-01-14 06:17:52"), ts("2024-01-14 06:17:52"), true, `{}`),
			},
			wantSkipped: 6,
		},
		{
			// Quoted and space-padded; ioc_type says what ioc_value is.
			name: "threatfox commented header",
			file: "csv/threatfox.csv",
			feed: "threatfox",
			wantValues: []string{"198.51.100.81", "c2.example.org", "http://payload.example.net/x.bin",
				"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
			want: []event.Indicator{
				ind("threatfox", ip, "198.51.100.81", "Tofsee", 75, ts("2024-01-14 05:35:20"), ts("2024-01-14 05:35:20"), true,
					`{"anonymous":"0","fk_malware":"win.tofsee","ioc_id":"100003","is_compromised":"False","malware_alias":"Gheg","port":"425","reference":"","reporter":"abuse_ch","tags":"Tofsee","threat_type":"botnet_cc"}`),
				ind("threatfox", domain, "c2.example.org", "ClearFake", 100, ts("2024-01-14 05:28:01"), ts("2024-01-14 06:00:00"), true,
					`{"anonymous":"1","fk_malware":"js.clearfake","ioc_id":"100002","is_compromised":"False","malware_alias":"None","reference":"None","reporter":"anonymous","tags":"ClearFake,windows","threat_type":"payload_delivery"}`),
			},
			wantSkipped: 7,
		},
		{
			name:  "commented header needs two columns and a value column",
			input: "# url\n# a,b\nevil.example.com\n",
			// "# url" is prose: the file is a plain list.
			wantValues:  []string{"evil.example.com"},
			wantSkipped: 2,
		},
		{
			name:       "uncommented header outranks a commented one",
			input:      "# ip,note\nnote,domain\nx,evil.example.com\n",
			wantValues: []string{"evil.example.com"},
			want: []event.Indicator{
				ind("csv", domain, "evil.example.com", "", DefaultConfidence, testNow, testNow, true, `{"note":"x"}`),
			},
			wantSkipped: 2,
		},
		{
			name:       "threatfox types",
			input:      "ioc_value,ioc_type\n[2001:db8::1]:443,ip:port\n203.0.113.1,ip:port\nd41d8cd98f00b204e9800998ecf8427e,md5_hash\nabc,sha1_hash\n",
			wantValues: []string{"2001:db8::1", "d41d8cd98f00b204e9800998ecf8427e"},
			want: []event.Indicator{
				ind("csv", ip, "2001:db8::1", "", DefaultConfidence, testNow, testNow, true, `{"port":"443"}`),
			},
			wantRejected: []Rejected{
				{Line: 3, Reason: `bad ip:port "203.0.113.1"`},
				{Line: 5, Reason: `bad hash "abc": 3 hex digits, want 40`},
			},
			wantSkipped: 1,
		},
		{
			name:         "hash column name is its type",
			input:        "md5,note\n4da14224452c1fe61f46b1112c43ecfd9f322c82,x\n",
			wantRejected: []Rejected{{Line: 2, Reason: `bad hash "4da14224452c1fe61f46b1112c43ecfd9f322c82": 40 hex digits, want 32`}},
			wantSkipped:  1,
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
