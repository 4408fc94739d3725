package intel

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

// indicatorLine renders the parts of an indicator the feed loaders decide,
// one line, for exact comparison.
func indicatorLine(ind event.Indicator) string {
	return fmt.Sprintf("%s %s %q conf=%d %s..%s active=%v %s", ind.Type, ind.Value, ind.Threat, ind.Confidence,
		ind.FirstSeen.Format("2006-01-02 15:04:05"), ind.LastSeen.Format("2006-01-02 15:04:05"), ind.Active, ind.Fields)
}

// TestFeedFormats loads our fixtures of each abuse.ch and Spamhaus format
// and checks every indicator, rejection and skip exactly.
func TestFeedFormats(t *testing.T) {
	cases := []struct {
		format, file string
		want         []string // indicatorLine of each indicator
		rejected     []string // "line: reason"
		skipped, dup int
		reasons      map[string]int
	}{
		{
			format: FormatSpamhaus, file: "drop.txt",
			want: []string{
				`cidr 198.51.100.0/24 "" conf=90 2024-01-15 00:00:00..2024-01-15 00:00:00 active=true {"reference":"SBL000101"}`,
				`cidr 203.0.113.128/25 "" conf=90 2024-01-15 00:00:00..2024-01-15 00:00:00 active=true {"reference":"SBL000102"}`,
				`cidr 2001:db8:bad::/48 "" conf=90 2024-01-15 00:00:00..2024-01-15 00:00:00 active=true {"reference":"SBL000103"}`,
				`ip 192.0.2.7 "" conf=90 2024-01-15 00:00:00..2024-01-15 00:00:00 active=true {"reference":"SBL000104"}`,
				`cidr 203.0.113.0/24 "" conf=90 2024-01-15 00:00:00..2024-01-15 00:00:00 active=true {}`,
			},
			rejected: []string{`9: bad cidr "198.51.100.0/33"`, `10: bad cidr "0.0.0.0/4": broader than /8`},
			skipped:  4, dup: 1,
		},
		{
			format: FormatURLhaus, file: "urlhaus.csv",
			want: []string{
				`url http://198.51.100.150:58801/i "malware_download" conf=100 2024-01-14 12:05:20..2024-01-14 12:05:20 active=true {"id":"1001","reporter":"tester","tags":"32-bit,elf,mips,Mozi","url_status":"online","urlhaus_link":"https://urlhaus.abuse.ch/url/1001/"}`,
				`url https://files.example.com/a.msi?x=1&y=2 "malware_download" conf=75 2023-10-01 11:26:06..2023-10-01 11:26:06 active=false {"id":"1000","reporter":"tester","tags":"None","url_status":"offline","urlhaus_link":"https://urlhaus.abuse.ch/url/1000/"}`,
				`url http://203.0.113.7/bin.sh "malware_download" conf=75 2023-12-20 08:00:00..2023-12-30 09:00:00 active=true {"id":"999","reporter":"tester","tags":"","url_status":"offline","urlhaus_link":"https://urlhaus.abuse.ch/url/999/"}`,
			},
			rejected: []string{`9: bad url "not a url"`, `10: bad dateadded "yesterday"`,
				`11: wrong number of fields: got 4, want 9 (id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter)`},
			skipped: 5,
		},
		{
			format: FormatThreatFox, file: "threatfox.csv",
			want: []string{
				`ip 198.51.100.81 "Tofsee" conf=75 2024-01-14 05:35:20..2024-01-14 05:35:20 active=true {"anonymous":"0","fk_malware":"win.tofsee","ioc_id":"100005","is_compromised":"False","malware_alias":"Gheg","port":"425","reference":"","reporter":"abuse_ch","tags":"Tofsee","threat_type":"botnet_cc"}`,
				`domain c2.example.org "ClearFake" conf=100 2024-01-14 05:28:01..2024-01-14 06:00:00 active=true {"anonymous":"1","fk_malware":"js.clearfake","ioc_id":"100004","is_compromised":"False","malware_alias":"None","reference":"None","reporter":"anonymous","tags":"ClearFake,windows","threat_type":"payload_delivery"}`,
				`url http://payload.example.net/x.bin "Agent" conf=50 2024-01-14 05:21:34..2024-01-14 05:21:34 active=true {"anonymous":"0","fk_malware":"win.agent","ioc_id":"100003","is_compromised":"False","malware_alias":"","reference":"","reporter":"tester","tags":"","threat_type":"payload_delivery"}`,
				`hash e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 "Agent" conf=50 2024-01-14 05:20:00..2024-01-14 05:20:00 active=true {"anonymous":"0","fk_malware":"win.agent","ioc_id":"100002","is_compromised":"False","malware_alias":"","reference":"","reporter":"tester","tags":"","threat_type":"payload"}`,
			},
			rejected: []string{`11: bad ip:port "198.51.100.300:80"`, `12: bad confidence_level "101"`},
			skipped:  6,
			reasons:  map[string]int{`threatfox: ioc_type "envelope_from" has no homesoc indicator type`: 1},
		},
		{
			format: FormatSSLBL, file: "sslbl-ip.csv",
			want: []string{
				`ip 198.51.100.10 "" conf=100 2024-01-14 06:17:52..2024-01-14 06:17:52 active=true {"port":"443"}`,
				`ip 2001:db8::10 "" conf=100 2024-01-13 05:19:10..2024-01-13 05:19:10 active=true {"port":"8443"}`,
			},
			rejected: []string{`8: bad ip "198.51.100.999"`},
			skipped:  5,
		},
		{
			format: FormatSSLBL, file: "sslbl-cert.csv",
			rejected: []string{`8: bad sha1: bad hash "b785d1a9e5": 10 hex digits, want 40`},
			skipped:  7,
			reasons:  map[string]int{sslblCertSkip: 2},
		},
		{
			format: FormatSSLBL, file: "ja3.csv",
			skipped: 7,
			reasons: map[string]int{sslblJA3Skip: 2},
		},
		{
			// The column line without its '#', as Feodo's CSV has it.
			format: FormatFeodo, file: "feodo-header.csv",
			want: []string{
				`ip 198.51.100.205 "Dridex" conf=75 2024-01-10 07:30:05..2024-01-12 00:00:00 active=true {"c2_status":"offline","dst_ip":"198.51.100.205","dst_port":"443","first_seen_utc":"2024-01-10 07:30:05","last_online":"2024-01-12","malware":"Dridex"}`,
				`ip 203.0.113.32 "Dridex" conf=100 2024-01-11 07:44:46..2024-01-14 00:00:00 active=true {"c2_status":"online","dst_ip":"203.0.113.32","dst_port":"4643","first_seen_utc":"2024-01-11 07:44:46","last_online":"2024-01-14","malware":"Dridex"}`,
			},
			skipped: 5,
		},
	}
	for _, tc := range cases {
		t.Run(tc.format+"/"+tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "abusech", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res, err := Load(tc.format, f, LoadOptions{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			var got, rejected []string
			for _, ind := range res.Indicators {
				got = append(got, indicatorLine(ind))
				if ind.Feed != tc.format {
					t.Errorf("feed %q, want %q", ind.Feed, tc.format)
				}
				if err := checkIndicator(ind); err != nil {
					t.Errorf("invalid indicator %+v: %v", ind, err)
				}
			}
			for _, r := range res.Rejected {
				rejected = append(rejected, fmt.Sprintf("%d: %s", r.Line, r.Reason))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("indicators:\n%s\nwant:\n%s", lines(got), lines(tc.want))
			}
			if !reflect.DeepEqual(rejected, tc.rejected) {
				t.Errorf("rejected:\n%s\nwant:\n%s", lines(rejected), lines(tc.rejected))
			}
			if res.Skipped != tc.skipped || res.Duplicates != tc.dup {
				t.Errorf("skipped %d, duplicates %d; want %d, %d", res.Skipped, res.Duplicates, tc.skipped, tc.dup)
			}
			if !reflect.DeepEqual(res.SkipReasons, tc.reasons) {
				t.Errorf("skip reasons %v, want %v", res.SkipReasons, tc.reasons)
			}
		})
	}
}

func lines(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	return out
}
