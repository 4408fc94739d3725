package intel

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// testNow is the load time of every test: two weeks after the sample feeds'
// latest entries.
var testNow = time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)

// loadCase is one loader test: an input (a testdata file or inline text) and
// the exact outcome.
type loadCase struct {
	name  string
	file  string // path under testdata; empty to use input
	input string
	feed  string // LoadOptions.Feed

	wantValues     []string          // values of all indicators, in order
	want           []event.Indicator // exact indicators, found by value
	wantRejected   []Rejected        // exact; Raw is compared only when set
	wantSkipped    int
	wantDuplicates int
	wantErr        string // error text; empty for no error
}

// runLoadCases runs a table of loadCases through load.
func runLoadCases(t *testing.T, load Loader, cases []loadCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			input := tc.input
			if tc.file != "" {
				b, err := os.ReadFile(filepath.Join("testdata", tc.file))
				if err != nil {
					t.Fatal(err)
				}
				input = string(b)
			}
			res, err := load(strings.NewReader(input), LoadOptions{Feed: tc.feed, Now: testNow})
			if got := errText(err); got != tc.wantErr {
				t.Errorf("error = %q, want %q", got, tc.wantErr)
			}
			checkResult(t, res, tc)
		})
	}
}

func checkResult(t *testing.T, res LoadResult, tc loadCase) {
	t.Helper()
	var values []string
	byValue := map[string]event.Indicator{}
	for _, ind := range res.Indicators {
		values = append(values, ind.Value)
		byValue[ind.Value] = ind
		if err := checkIndicator(ind); err != nil {
			t.Errorf("invalid indicator %+v: %v", ind, err)
		}
	}
	if !reflect.DeepEqual(values, tc.wantValues) {
		t.Errorf("values:\n got %q\nwant %q", values, tc.wantValues)
	}
	for _, want := range tc.want {
		got, ok := byValue[want.Value]
		if !ok {
			t.Errorf("no indicator %q", want.Value)
			continue
		}
		if got != want {
			t.Errorf("indicator %q:\n got %+v\nwant %+v", want.Value, got, want)
		}
	}
	var rejected []Rejected
	for i, r := range res.Rejected {
		if i >= len(tc.wantRejected) || tc.wantRejected[i].Raw == "" {
			r.Raw = ""
		}
		rejected = append(rejected, r)
	}
	if !reflect.DeepEqual(rejected, tc.wantRejected) {
		t.Errorf("rejected:\n got %s\nwant %s", formatRejected(rejected), formatRejected(tc.wantRejected))
	}
	if res.Skipped != tc.wantSkipped {
		t.Errorf("skipped = %d, want %d", res.Skipped, tc.wantSkipped)
	}
	if res.Duplicates != tc.wantDuplicates {
		t.Errorf("duplicates = %d, want %d", res.Duplicates, tc.wantDuplicates)
	}
}

func formatRejected(rs []Rejected) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "\n\t%d: %s", r.Line, r.Reason)
		if r.Raw != "" {
			fmt.Fprintf(&b, " [%s]", r.Raw)
		}
	}
	return b.String()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkIndicator checks what every loaded indicator must satisfy: a known
// type, a value already canonical for it, the ID of (feed, type, value), and
// a JSON object in Fields.
func checkIndicator(ind event.Indicator) error {
	typ, value, err := Canonical(ind.Type, ind.Value)
	if err != nil {
		return fmt.Errorf("value does not parse as its type: %w", err)
	}
	if typ != ind.Type || value != ind.Value {
		return fmt.Errorf("not canonical: canonical form is %s %q", typ, value)
	}
	if want := event.IndicatorID(ind.Feed, ind.Type, ind.Value); ind.ID != want {
		return fmt.Errorf("ID %s, want %s", ind.ID, want)
	}
	if ind.Feed == "" {
		return fmt.Errorf("no feed")
	}
	if !strings.HasPrefix(ind.Fields, "{") || !strings.HasSuffix(ind.Fields, "}") {
		return fmt.Errorf("fields %q are not a JSON object", ind.Fields)
	}
	if ind.Confidence < 0 || ind.Confidence > 100 {
		return fmt.Errorf("confidence %d", ind.Confidence)
	}
	if ind.LastSeen.Before(ind.FirstSeen) {
		return fmt.Errorf("last seen %v before first seen %v", ind.LastSeen, ind.FirstSeen)
	}
	return nil
}

// ts parses a UTC time in the feeds' "2006-01-02 15:04:05" form, or a date.
func ts(s string) time.Time {
	layout := time.DateTime
	if len(s) == len(time.DateOnly) {
		layout = time.DateOnly
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// ind builds an expected indicator with its ID.
func ind(feed, typ, value, threat string, confidence int, first, last time.Time, active bool, fields string) event.Indicator {
	return event.Indicator{
		ID:         event.IndicatorID(feed, typ, value),
		Type:       typ,
		Value:      value,
		Feed:       feed,
		Threat:     threat,
		Confidence: confidence,
		FirstSeen:  first,
		LastSeen:   last,
		Active:     active,
		Fields:     fields,
	}
}

func TestLoaderFor(t *testing.T) {
	for _, format := range Formats() {
		if _, ok := LoaderFor(format); !ok {
			t.Errorf("LoaderFor(%q) = false", format)
		}
	}
	if _, ok := LoaderFor("stix"); ok {
		t.Error(`LoaderFor("stix") = true`)
	}
	_, err := Load("stix", strings.NewReader(""), LoadOptions{})
	if want := `unknown feed format "stix" (have [csv feodo spamhaus sslbl threatfox urlhaus])`; errText(err) != want {
		t.Errorf("Load(stix) error = %q, want %q", errText(err), want)
	}
}

// TestLoadTwice checks that IDs are deterministic: the same feed loaded twice,
// at different times, yields the same indicator IDs; another feed name
// yields other IDs.
func TestLoadTwice(t *testing.T) {
	for _, tc := range []struct{ format, file string }{
		{FormatFeodo, "feodo/ipblocklist.json"},
		{FormatFeodo, "feodo/ipblocklist.csv"},
		{FormatCSV, "feodo/ipblocklist.txt"},
		{FormatCSV, "csv/indicators.csv"},
		{FormatCSV, "csv/blocklist.txt"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			ids := func(feed string, now time.Time) []string {
				res, err := Load(tc.format, strings.NewReader(string(b)), LoadOptions{Feed: feed, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, ind := range res.Indicators {
					ids = append(ids, ind.ID)
				}
				return ids
			}
			first, second := ids("", testNow), ids("", testNow.Add(time.Hour))
			if len(first) == 0 || !reflect.DeepEqual(first, second) {
				t.Errorf("IDs differ between loads:\n%q\n%q", first, second)
			}
			other := ids("other", testNow)
			for i := range other {
				if other[i] == first[i] {
					t.Errorf("feed name does not change ID %s", other[i])
				}
			}
		})
	}
}
