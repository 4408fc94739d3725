package intel

import (
	"bytes"
	"testing"
)

// fuzzFeedKind fuzzes one of the abuse.ch and Spamhaus loaders: what holds
// for any loader (checkFuzzResult), every line accounted for, every
// indicator of the feed, and the skip reasons counting no more entries than
// were skipped.
func fuzzFeedKind(f *testing.F, format string, load Loader) {
	addSeeds(f, "abusech/*")
	addSeeds(f, "csv/*")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			t.Skip()
		}
		res, err := load(bytes.NewReader(data), LoadOptions{Now: testNow})
		checkFuzzResult(t, data, res, err, load)
		checkLineAccounting(t, data, res, err)
		for _, ind := range res.Indicators {
			if ind.Feed != format {
				t.Errorf("%s indicator of feed %q", format, ind.Feed)
			}
		}
		n := 0
		for reason, c := range res.SkipReasons {
			if reason == "" || c < 1 {
				t.Errorf("skip reason %q counted %d", reason, c)
			}
			n += c
		}
		if n > res.Skipped {
			t.Errorf("%d skips with a reason, %d skipped", n, res.Skipped)
		}
	})
}

func FuzzSpamhaus(f *testing.F)  { fuzzFeedKind(f, FormatSpamhaus, LoadSpamhaus) }
func FuzzURLhaus(f *testing.F)   { fuzzFeedKind(f, FormatURLhaus, LoadURLhaus) }
func FuzzThreatFox(f *testing.F) { fuzzFeedKind(f, FormatThreatFox, LoadThreatFox) }
func FuzzSSLBL(f *testing.F)     { fuzzFeedKind(f, FormatSSLBL, LoadSSLBL) }
