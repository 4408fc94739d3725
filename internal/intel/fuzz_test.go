package intel

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/homesoc/homesoc/internal/event"
)

// maxFuzzInput caps fuzz inputs: loaders stream, so what a bigger input
// could find a smaller one finds faster.
const maxFuzzInput = 8 << 10

// addSeeds adds the testdata files matching pattern to the fuzz corpus.
func addSeeds(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds %s: %v", pattern, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzFeodo(f *testing.F) {
	addSeeds(f, "feodo/*")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			t.Skip()
		}
		res, err := LoadFeodo(bytes.NewReader(data), LoadOptions{Now: testNow})
		checkFuzzResult(t, data, res, err, LoadFeodo)
		for _, ind := range res.Indicators {
			if ind.Type != event.IndicatorIP || ind.Feed != FormatFeodo {
				t.Errorf("feodo indicator %+v", ind)
			}
		}
		if !startsJSON(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))) {
			checkLineAccounting(t, data, res, err)
		}
	})
}

func FuzzCSVFeed(f *testing.F) {
	addSeeds(f, "csv/*")
	addSeeds(f, "feodo/*.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			t.Skip()
		}
		res, err := LoadCSV(bytes.NewReader(data), LoadOptions{Now: testNow})
		checkFuzzResult(t, data, res, err, LoadCSV)
		checkLineAccounting(t, data, res, err)

		// Every loaded address and network matches itself.
		m := NewMatcher(res.Indicators)
		if m.Invalid() != 0 {
			t.Errorf("matcher found %d invalid indicators", m.Invalid())
		}
		for _, ind := range res.Indicators {
			pfx, ok := indicatorPrefix(ind.Type, ind.Value)
			if !ok {
				continue
			}
			found := false
			for _, got := range m.Match(pfx.Addr()) {
				found = found || got.ID == ind.ID
			}
			if !found {
				t.Errorf("%s %s does not match itself", ind.Type, ind.Value)
			}
		}
	})
}

// checkFuzzResult checks what must hold for any input: valid indicators with
// unique IDs, rejections with a line and a reason, the same result when
// loaded again.
func checkFuzzResult(t *testing.T, data []byte, res LoadResult, err error, load Loader) {
	t.Helper()
	ids := map[string]bool{}
	for _, ind := range res.Indicators {
		if err := checkIndicator(ind); err != nil {
			t.Errorf("invalid indicator %+v: %v", ind, err)
		}
		// Stores keep text: what FuzzImport checks through a store, at the
		// speed of a loader.
		for _, s := range []string{ind.ID, ind.Type, ind.Value, ind.Feed, ind.Threat, ind.Fields} {
			if !utf8.ValidString(s) {
				t.Errorf("indicator %+v: %q is not valid UTF-8", ind, s)
			}
		}
		if ids[ind.ID] {
			t.Errorf("ID %s twice", ind.ID)
		}
		ids[ind.ID] = true
	}
	for _, r := range res.Rejected {
		if r.Line < 1 || r.Reason == "" {
			t.Errorf("rejection without line or reason: %+v", r)
		}
	}
	again, err2 := load(bytes.NewReader(data), LoadOptions{Now: testNow})
	if !reflect.DeepEqual(res, again) || errText(err) != errText(err2) {
		t.Errorf("second load differs")
	}
}

// checkLineAccounting checks that every line of a line-oriented feed is an
// indicator, a duplicate, a rejection or skipped.
func checkLineAccounting(t *testing.T, data []byte, res LoadResult, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("line-oriented load failed: %v", err)
		return
	}
	lines := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	if got := len(res.Indicators) + res.Duplicates + len(res.Rejected) + res.Skipped; got != lines {
		t.Errorf("%d lines, but %d indicators + %d duplicates + %d rejected + %d skipped",
			lines, len(res.Indicators), res.Duplicates, len(res.Rejected), res.Skipped)
	}
}
