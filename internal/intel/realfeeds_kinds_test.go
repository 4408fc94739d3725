package intel

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestRealFeedKinds loads the real samples with the feed formats made for
// them: every data line is loaded or, for SSLBL's certificate list, skipped
// with its reason; none is rejected (the READMEs call no line truncated,
// the DROP and SSLBL files being cut between lines).
func TestRealFeedKinds(t *testing.T) {
	if _, err := os.Stat(realLogs); err != nil {
		t.Skipf("no real logs: %v", err)
	}
	cases := []struct {
		file, format              string
		read, loaded, skipped     int
		reasons                   map[string]int
		firstType, firstValue     string
		firstThreat, firstFieldsT string
	}{
		{"spamhaus/pieterwentzel-spamhaus-drop-2023-02-20-head.txt", FormatSpamhaus, 61, 57, 4, nil,
			"cidr", "1.10.16.0/20", "", `{"reference":"SBL256894"}`},
		{"abusech/muchdogesec-urlhaus-csv-recent-2026-02-26.csv", FormatURLhaus, 19, 10, 9, nil,
			"url", "http://182.126.120.150:58801/i", "malware_download",
			`{"id":"3786237","reporter":"geenensp","tags":"32-bit,elf,mips,Mozi","url_status":"online","urlhaus_link":"https://urlhaus.abuse.ch/url/3786237/"}`},
		{"abusech/tenzir-docs-sslblacklist-2024-09-02-head.csv", FormatSSLBL, 17, 0, 17, map[string]int{sslblCertSkip: 8},
			"", "", "", ""},
		{"abusech/threatfox-recent-rows-2026-07-21.csv", FormatThreatFox, 10, 3, 7, nil,
			"ip", "157.20.182.81", "Tofsee",
			`{"anonymous":"0","fk_malware":"win.tofsee","ioc_id":"1854731","is_compromised":"False","malware_alias":"Gheg","port":"425","reference":"","reporter":"abuse_ch","tags":"Tofsee","threat_type":"botnet_cc"}`},
	}
	for _, tc := range cases {
		t.Run(tc.format+"/"+filepath.Base(tc.file), func(t *testing.T) {
			f, err := os.Open(filepath.Join(realLogs, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res, err := Load(tc.format, f, LoadOptions{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Rejected {
				t.Errorf("rejected %v: %s", r, r.Raw)
			}
			loaded := len(res.Indicators) + res.Duplicates
			if read := loaded + len(res.Rejected) + res.Skipped; read != tc.read || loaded != tc.loaded || res.Skipped != tc.skipped {
				t.Errorf("read %d, loaded %d, skipped %d; want %d, %d, %d", read, loaded, res.Skipped, tc.read, tc.loaded, tc.skipped)
			}
			if !reflect.DeepEqual(res.SkipReasons, tc.reasons) {
				t.Errorf("skip reasons %v, want %v", res.SkipReasons, tc.reasons)
			}
			for _, ind := range res.Indicators {
				if err := checkIndicator(ind); err != nil {
					t.Errorf("invalid indicator %+v: %v", ind, err)
				}
			}
			if len(res.Indicators) == 0 {
				return
			}
			first := res.Indicators[0]
			if first.Type != tc.firstType || first.Value != tc.firstValue || first.Threat != tc.firstThreat || first.Fields != tc.firstFieldsT {
				t.Errorf("first indicator %s %q %q %s, want %s %q %q %s", first.Type, first.Value, first.Threat, first.Fields,
					tc.firstType, tc.firstValue, tc.firstThreat, tc.firstFieldsT)
			}
		})
	}
}
