package view

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/store/duckdb"
)

var testNow = time.Date(2026, 4, 6, 16, 5, 29, 0, time.UTC)

// TestParseAgo: Go durations and days; "0d" is zero (the CLI's reading,
// which the API now shares), any other duration must be positive.
func TestParseAgo(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"7d": 7 * 24 * time.Hour, "0d": 0, "1d": 24 * time.Hour, "24h": 24 * time.Hour, "90m": 90 * time.Minute,
		"1h30m": 90 * time.Minute, "65535d": 65535 * 24 * time.Hour,
	} {
		if d, err := ParseAgo(s); err != nil || d != want {
			t.Errorf("ParseAgo(%q) = %v, %v; want %v", s, d, err, want)
		}
	}
	for _, s := range []string{"", "d", "0s", "0", "-1h", "-1d", "1.5d", "65536d", "1d12h", "soon", "7 d", " 7d"} {
		if d, err := ParseAgo(s); err == nil {
			t.Errorf("ParseAgo(%q) = %v, want an error", s, d)
		}
	}
}

// TestParseTime: each layout in UTC, an offset moved to UTC, durations
// before now, and the error naming what is taken.
func TestParseTime(t *testing.T) {
	for s, want := range map[string]time.Time{
		"2026-04-06T16:05:29Z":      time.Date(2026, 4, 6, 16, 5, 29, 0, time.UTC),
		"2026-04-06T18:05:29+02:00": time.Date(2026, 4, 6, 16, 5, 29, 0, time.UTC),
		"2026-04-06T16:05:29":       time.Date(2026, 4, 6, 16, 5, 29, 0, time.UTC),
		"2026-04-06 16:05:29":       time.Date(2026, 4, 6, 16, 5, 29, 0, time.UTC),
		"2026-04-06":                time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC),
		"24h":                       testNow.Add(-24 * time.Hour),
		"7d":                        testNow.Add(-7 * 24 * time.Hour),
		"0d":                        testNow,
	} {
		got, err := ParseTime(s, testNow.In(time.FixedZone("x", 3600)))
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v in UTC", s, got, err, want)
		}
	}
	_, err := ParseTime("soon", testNow)
	if err == nil || err.Error() != `"soon" is neither a time (2006-01-02T15:04:05Z, 2006-01-02 15:04:05, 2006-01-02) nor a duration ago (24h, 7d)` {
		t.Errorf("soon: %v", err)
	}
	for _, s := range []string{"", "0s", "-24h", "2026-13-01", "2026-04-06T25:00:00Z", "06/04/2026"} {
		if got, err := ParseTime(s, testNow); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", s, got)
		}
	}
}

// FuzzParseTime: any text is a UTC time or an error, never a panic; a
// duration ago is that long before now.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"24h", "7d", "0d", "2026-04-06", "2026-04-06 16:05:29", "2026-04-06T16:05:29Z", "soon", "-1h", "99999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, testNow)
		if err != nil {
			if !strings.Contains(err.Error(), "is neither a time") {
				t.Errorf("%q: error %v", s, err)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("%q: %v not in UTC", s, got)
		}
		if d, err := ParseAgo(s); err == nil && !got.Equal(testNow.Add(-d)) {
			t.Errorf("%q: %v, want %v before %v", s, got, d, testNow)
		}
	})
}

// TestQueryOfDuckDB: a real DuckDB result's values as JSON shows them:
// HUGEINT and DECIMAL as numbers, NaN and infinities as text, 64-bit
// integers past 2^53 whole, times in RFC 3339 UTC, lists and structs
// element by element, text BLOBs as text and others in base64, NULL as
// null; no columns is [] and no rows [].
func TestQueryOfDuckDB(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	res, err := st.ReadQuery(ctx, `SELECT 170141183460469231731687303715884105727::HUGEINT AS h, 12.50::DECIMAL(10,2) AS d,
		'nan'::DOUBLE AS n, '-inf'::FLOAT AS f, 1.5::DOUBLE AS x, 9007199254740993::BIGINT AS big,
		TIMESTAMPTZ '2026-04-06 18:05:29+02' AS t, [1, NULL, 3] AS l, {'a': TIMESTAMP '2026-04-06 16:05:29', 'b': 'x'} AS s,
		NULL AS z, 'text'::BLOB AS tb, '\xFF\x00'::BLOB AS bb, true AS ok`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(QueryOf(res))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"columns":["h","d","n","f","x","big","t","l","s","z","tb","bb","ok"],"rows":[[170141183460469231731687303715884105727,12.5,"NaN","-Inf",1.5,9007199254740993,"2026-04-06T16:05:29Z",[1,null,3],{"a":"2026-04-06T16:05:29Z","b":"x"},null,"text","/wA=",true]]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	res, err = st.ReadQuery(ctx, `SELECT 1 AS one WHERE false`)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(QueryOf(res)); string(b) != `{"columns":["one"],"rows":[]}` {
		t.Errorf("no rows: %s", b)
	}
}

// TestEventRowsDuckDB: each row an object of its columns, values as
// JSONValue gives them, in EventList's envelope.
func TestEventRowsDuckDB(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	res, err := st.ReadQuery(ctx, `SELECT * FROM (VALUES (TIMESTAMP '2026-04-06 16:05:29', 'drop', 22::USMALLINT),
		(TIMESTAMP '2026-04-06 16:05:30', NULL, 443::USMALLINT)) v(time, action, dst_port) ORDER BY time`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(EventList{Total: 7, Events: EventRows(res)})
	want := `{"total":7,"events":[{"action":"drop","dst_port":22,"time":"2026-04-06T16:05:29Z"},{"action":null,"dst_port":443,"time":"2026-04-06T16:05:30Z"}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

// openStore opens a DuckDB store in a temporary directory, closed at the
// test's end.
func openStore(t *testing.T) *duckdb.Store {
	t.Helper()
	st, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), "homesoc.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestNonNil: nil is [], anything else itself.
func TestNonNil(t *testing.T) {
	if b, _ := json.Marshal(NonNil[string](nil)); string(b) != "[]" {
		t.Errorf("nil: %s", b)
	}
	if b, _ := json.Marshal(NonNil([]int{1})); string(b) != "[1]" {
		t.Errorf("[1]: %s", b)
	}
}
