package intel

import (
	"os"
	"path/filepath"
	"testing"
)

// realLogs holds public feed samples shared between checkouts (not in the
// repository: their licences are not ours). Each folder's README.md names
// the source of every file and which of its lines, if any, are cut short.
const realLogs = "../../../shared/real-logs"

// TestRealFeeds loads the real feed samples: no line may be rejected but
// those their README calls truncated, and the counts pin that data lines are
// loaded, not skipped. The READMEs call the DROP file TRUNCATED and the
// Feodo and SSLBL files heads: each is cut between lines, so no line of any
// sample is truncated.
func TestRealFeeds(t *testing.T) {
	if _, err := os.Stat(realLogs); err != nil {
		t.Skipf("no real logs: %v", err)
	}
	cases := []struct {
		file, format    string
		loaded, skipped int
		truncated       []int // lines the README calls truncated
	}{
		{"spamhaus/pieterwentzel-spamhaus-drop-2023-02-20-head.txt", FormatCSV, 57, 4, nil},
		{"abusech/muchdogesec-urlhaus-csv-recent-2026-02-26.csv", FormatCSV, 10, 9, nil},
		{"abusech/tenzir-docs-sslblacklist-2024-09-02-head.csv", FormatCSV, 8, 9, nil},
		{"abusech/threatfox-recent-rows-2026-07-21.csv", FormatCSV, 3, 7, nil},
		{"abusech/tenzir-vast-docs-feodo-ipblocklist-2021-08-17-head.csv", FormatFeodo, 6, 9, nil},
		{"abusech/tenzir-vast-docs-feodo-ipblocklist-2021-08-17-head.csv", FormatCSV, 6, 9, nil},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.file] = true
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
			truncated := map[int]bool{}
			for _, n := range tc.truncated {
				truncated[n] = true
			}
			for _, r := range res.Rejected {
				if !truncated[r.Line] {
					t.Errorf("rejected %v: %s", r, r.Raw)
				}
			}
			if got := len(res.Indicators) + res.Duplicates; got != tc.loaded || res.Skipped != tc.skipped {
				t.Errorf("loaded %d, skipped %d; want %d, %d", got, res.Skipped, tc.loaded, tc.skipped)
			}
			for _, ind := range res.Indicators {
				if err := checkIndicator(ind); err != nil {
					t.Errorf("invalid indicator %+v: %v", ind, err)
				}
			}
		})
	}
	// A sample added to the folders must be added here too.
	for _, dir := range []string{"spamhaus", "abusech"} {
		files, err := filepath.Glob(filepath.Join(realLogs, dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			rel := filepath.Join(dir, filepath.Base(file))
			if filepath.Base(file) != "README.md" && !covered[rel] {
				t.Errorf("real feed %s is not tested", rel)
			}
		}
	}
}
