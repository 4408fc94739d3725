package feeds

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/intel"
)

// realLogs holds public feed samples shared between checkouts (not in the
// repository: their licences are not ours; see each folder's README.md).
const realLogs = "../../../shared/real-logs"

// TestRealFeeds serves each recorded real feed from a loopback server as
// its built-in feed would fetch it: the first fetch adds its indicators,
// the second is a 304, a forced third stores nothing new.
func TestRealFeeds(t *testing.T) {
	if _, err := os.Stat(realLogs); err != nil {
		t.Skipf("no real logs: %v", err)
	}
	for _, tc := range []struct {
		file, format   string
		added, skipped int
	}{
		{"spamhaus/pieterwentzel-spamhaus-drop-2023-02-20-head.txt", intel.FormatSpamhaus, 57, 4},
		{"abusech/muchdogesec-urlhaus-csv-recent-2026-02-26.csv", intel.FormatURLhaus, 10, 9},
		{"abusech/threatfox-recent-rows-2026-07-21.csv", intel.FormatThreatFox, 3, 7},
		{"abusech/tenzir-vast-docs-feodo-ipblocklist-2021-08-17-head.csv", intel.FormatFeodo, 6, 9},
		// The certificate list: well formed, nothing homesoc can match.
		{"abusech/tenzir-docs-sslblacklist-2024-09-02-head.csv", intel.FormatSSLBL, 0, 17},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			srv := newFeedServer(t, readFile(t, filepath.Join(realLogs, tc.file)))
			f := feed(tc.format, tc.format, srv)
			r, s := Fetch(ctx, st, f, State{}, false, Options{})
			if r.Status != StatusLoaded || r.Added != tc.added || r.Skipped != tc.skipped || r.Rejected != 0 {
				t.Fatalf("first fetch: %s added %d skipped %d rejected %d (%v %v), want %d added, %d skipped",
					r.Status, r.Added, r.Skipped, r.Rejected, r.Err, r.FirstRejects, tc.added, tc.skipped)
			}
			if tc.format == intel.FormatSSLBL && (len(r.SkipReasons) != 1 || r.SkipReasons[0].Count != 8 ||
				!strings.Contains(r.SkipReasons[0].Reason, "certificate")) {
				t.Errorf("skip reasons %+v, want the 8 certificates", r.SkipReasons)
			}
			if r2, _ := Fetch(ctx, st, f, s, false, Options{}); r2.Status != StatusNotModified {
				t.Errorf("second fetch: %s, want not modified", r2.Status)
			}
			r3, _ := Fetch(ctx, st, f, s, true, Options{})
			if r3.Status != StatusLoaded || r3.Added+r3.Updated+r3.Expired != 0 || r3.Unchanged != tc.added || r3.Active != r.Active {
				t.Errorf("forced fetch: %+v, want all %d unchanged", r3, tc.added)
			}
		})
	}
}
