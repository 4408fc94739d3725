package feeds

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// activeValues returns the values of feed's active indicators, sorted.
func activeValues(t *testing.T, st Store, feed string) []string {
	t.Helper()
	inds, err := st.Indicators(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, in := range inds {
		if in.Feed == feed {
			out = append(out, in.Value)
		}
	}
	slices.Sort(out)
	return out
}

func wantCounts(t *testing.T, what string, r Result, status string, added, updated, expired, unchanged, active int) {
	t.Helper()
	if r.Status != status || r.Added != added || r.Updated != updated || r.Expired != expired || r.Unchanged != unchanged || r.Active != active {
		t.Errorf("%s: status %s added %d updated %d expired %d unchanged %d active %d (err %v), want %s %d %d %d %d %d",
			what, r.Status, r.Added, r.Updated, r.Expired, r.Unchanged, r.Active, r.Err, status, added, updated, expired, unchanged, active)
	}
}

// TestFetchETag: the first fetch loads the list and retro-hunts it (an
// event stored before touched one of its ranges); the second sends the
// ETag and gets 304; a forced one loads again and stores nothing new.
func TestFetchETag(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if _, err := st.WriteNetwork(ctx, []event.Network{storetest.TestEvent(1)}); err != nil { // from 198.51.100.7
		t.Fatal(err)
	}
	srv := newFeedServer(t, readFile(t, "testdata/drop.txt"))
	f := feed("drop", intel.FormatSpamhaus, srv)

	r1, s1 := Fetch(ctx, st, f, State{}, false, Options{})
	wantCounts(t, "first fetch", r1, StatusLoaded, 3, 0, 0, 0, 3)
	if r1.Sightings != 1 || r1.Entries != 3 || r1.Skipped != 4 || s1.ETag == "" || s1.Failures != 0 || s1.LastSuccess.IsZero() || s1.Active != 3 {
		t.Errorf("first fetch: %+v, state %+v", r1, s1)
	}
	if got := srv.lastHeader("If-None-Match"); got != "" {
		t.Errorf("first fetch sent If-None-Match %q", got)
	}

	r2, s2 := Fetch(ctx, st, f, s1, false, Options{})
	wantCounts(t, "second fetch", r2, StatusNotModified, 0, 0, 0, 0, -1)
	if srv.lastHeader("If-None-Match") != s1.ETag || s2.ETag != s1.ETag || s2.Active != 3 {
		t.Errorf("second fetch sent If-None-Match %q, state %+v; want %q", srv.lastHeader("If-None-Match"), s2, s1.ETag)
	}

	r3, _ := Fetch(ctx, st, f, s2, true, Options{})
	wantCounts(t, "forced fetch", r3, StatusLoaded, 0, 0, 0, 3, 3)
	if srv.lastHeader("If-None-Match") != "" || r3.Sightings != 0 {
		t.Errorf("forced fetch sent If-None-Match %q, sightings %d", srv.lastHeader("If-None-Match"), r3.Sightings)
	}

	// Another url is another source: its validators are not sent.
	f.URL += "?v=2"
	Fetch(ctx, st, f, s2, false, Options{})
	if got := srv.lastHeader("If-None-Match"); got != "" {
		t.Errorf("fetch of a new url sent If-None-Match %q", got)
	}
}

// TestFetchLastModified: a server without ETag gets If-Modified-Since.
func TestFetchLastModified(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv := newFeedServer(t, readFile(t, "testdata/drop.txt"))
	srv.etag = false
	srv.lastModified = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	f := feed("drop", intel.FormatSpamhaus, srv)
	r1, s1 := Fetch(ctx, st, f, State{}, false, Options{})
	if r1.Status != StatusLoaded || s1.LastModified != "Sat, 28 Nov 2026 06:00:00 GMT" || s1.ETag != "" {
		t.Fatalf("first fetch %+v, state %+v", r1, s1)
	}
	r2, _ := Fetch(ctx, st, f, s1, false, Options{})
	if r2.Status != StatusNotModified || srv.lastHeader("If-Modified-Since") != s1.LastModified {
		t.Errorf("second fetch %s, sent If-Modified-Since %q", r2.Status, srv.lastHeader("If-Modified-Since"))
	}
}

// TestFetchExpires: an indicator a full list drops is made inactive, and a
// matcher built from the active indicators no longer matches it; a feed of
// recent additions (expire: false) keeps it.
func TestFetchExpires(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv := newFeedServer(t, readFile(t, "testdata/drop.txt"))
	full := feed("drop", intel.FormatSpamhaus, srv)
	no := false
	recent := feed("drop-recent", intel.FormatSpamhaus, srv)
	recent.Expire = &no
	_, sFull := Fetch(ctx, st, full, State{}, false, Options{})
	_, sRecent := Fetch(ctx, st, recent, State{}, false, Options{})
	dropped := netip.MustParseAddr("192.0.2.7")
	if m := activeMatcher(t, st, "drop"); !m.Contains(dropped) {
		t.Fatal("192.0.2.7 not matched after the first fetch")
	}

	srv.set(readFile(t, "testdata/drop-next.txt"))
	r, _ := Fetch(ctx, st, full, sFull, false, Options{})
	wantCounts(t, "full list", r, StatusLoaded, 1, 0, 1, 2, 3)
	if got, want := activeValues(t, st, "drop"), []string{"198.51.100.0/24", "2001:db8:bad::/48", "203.0.113.128/25"}; !slices.Equal(got, want) {
		t.Errorf("active after the drop: %v, want %v", got, want)
	}
	if m := activeMatcher(t, st, "drop"); m.Contains(dropped) || !m.Contains(netip.MustParseAddr("198.51.100.9")) {
		t.Error("the matcher of the active indicators still matches 192.0.2.7, or no longer 198.51.100.9")
	}

	r, _ = Fetch(ctx, st, recent, sRecent, false, Options{})
	wantCounts(t, "recent list", r, StatusLoaded, 1, 0, 0, 2, 4)
	if got := activeValues(t, st, "drop-recent"); len(got) != 4 || !slices.Contains(got, "192.0.2.7") {
		t.Errorf("recent feed's active indicators: %v, want 4 with 192.0.2.7", got)
	}

	// Back on the list: active again, and counted as updated.
	srv.set(readFile(t, "testdata/drop.txt"))
	r, _ = Fetch(ctx, st, full, State{}, false, Options{})
	wantCounts(t, "back on the list", r, StatusLoaded, 0, 1, 1, 2, 3)
}

// activeMatcher is the matcher of feed's active indicators.
func activeMatcher(t *testing.T, st Store, feed string) *intel.Matcher {
	t.Helper()
	inds, err := st.Indicators(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	var mine []event.Indicator
	for _, in := range inds {
		if in.Feed == feed {
			mine = append(mine, in)
		}
	}
	return intel.NewMatcher(mine)
}

// TestFetchFailures: an HTTP error, a slow server, a huge body, an error
// page served with 200 and a cut JSON feed each fail with a clear error,
// count a failure and keep the validators; the last two expire nothing.
func TestFetchFailures(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv := newFeedServer(t, readFile(t, "testdata/drop.txt"))
	f := feed("drop", intel.FormatSpamhaus, srv)
	_, good := Fetch(ctx, st, f, State{}, false, Options{})

	slow := slowServer(t)
	for _, tt := range []struct {
		name  string
		setup func() (config.Feed, Options)
		err   string
	}{
		{"500", func() (config.Feed, Options) { srv.queue(500); return f, Options{} },
			"feed drop: GET " + srv.URL + "/drop: 500 Internal Server Error"},
		{"slow", func() (config.Feed, Options) {
			return config.Feed{Name: "drop", URL: config.URL(slow), Format: intel.FormatSpamhaus}, Options{Timeout: 200 * time.Millisecond}
		}, "timed out after 200ms"},
		{"huge", func() (config.Feed, Options) { return f, Options{MaxBytes: 100} },
			"feed drop: GET " + srv.URL + "/drop: read body: larger than the limit of 100 bytes"},
		{"error page", func() (config.Feed, Options) { srv.set(readFile(t, "testdata/error-page.html")); return f, Options{} },
			"feed drop: all 7 entries were rejected (is format spamhaus right? see homesoc rejects): expired none"},
		{"cut json", func() (config.Feed, Options) {
			srv.set(readFile(t, "testdata/feodo-cut.json"))
			f := f
			f.Format = intel.FormatFeodo
			return f, Options{}
		}, "at line 17: kept the 1 indicators before it, expired none"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, o := tt.setup()
			start := time.Now()
			r, s := Fetch(ctx, st, f, good, true, o)
			if r.Status != StatusFailed || r.Err == nil || !strings.Contains(r.Error, tt.err) {
				t.Errorf("status %s, error %q, want failed with %q", r.Status, r.Error, tt.err)
			}
			if s.Failures != 1 || s.LastError != r.Error || s.ETag != good.ETag || s.LastSuccess != good.LastSuccess {
				t.Errorf("state %+v after a failure, was %+v", s, good)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
			got := activeValues(t, st, "drop")
			for _, v := range []string{"192.0.2.7", "198.51.100.0/24", "203.0.113.128/25"} {
				if !slices.Contains(got, v) {
					t.Errorf("active indicators after the failure: %v, want the 3 of the list among them", got)
				}
			}
		})
	}
}

// slowServer is a server that answers only when the client gives up.
func slowServer(t *testing.T) string {
	srv := newFeedServer(t, nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	return srv.URL + "/slow"
}

// TestFetchCompressed: a gzip body and a one-file zip load as the plain
// file does; a zip of two files fails.
func TestFetchCompressed(t *testing.T) {
	ctx := context.Background()
	plain := readFile(t, "testdata/drop.txt")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	zipOf := func(names ...string) []byte {
		var b bytes.Buffer
		w := zip.NewWriter(&b)
		for _, n := range names {
			fw, _ := w.Create(n)
			fw.Write(plain)
		}
		w.Close()
		return b.Bytes()
	}
	for _, tt := range []struct {
		name string
		body []byte
		err  string
	}{
		{"gzip", gz.Bytes(), ""},
		{"zip", zipOf("drop.txt"), ""},
		{"zip of two", zipOf("a.txt", "b.txt"), "unzip: the archive holds 2 files, want 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			srv := newFeedServer(t, tt.body)
			r, _ := Fetch(ctx, st, feed("drop", intel.FormatSpamhaus, srv), State{}, false, Options{})
			if tt.err != "" {
				if !strings.Contains(r.Error, tt.err) {
					t.Errorf("error %q, want %q", r.Error, tt.err)
				}
				return
			}
			wantCounts(t, tt.name, r, StatusLoaded, 3, 0, 0, 0, 3)
			if r.Bytes != int64(len(plain)) {
				t.Errorf("bytes %d, want %d", r.Bytes, len(plain))
			}
		})
	}
}

// TestDecodeLimit: a small gzip that unpacks past the limit fails.
func TestDecodeLimit(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("0"), 1<<20))
	zw.Close()
	if _, err := Decode(gz.Bytes(), 1000); err == nil || !strings.Contains(err.Error(), "gunzip: larger than the limit of 1000 bytes") {
		t.Errorf("err = %v", err)
	}
}

// TestFormatsMatchIntel: the config's list of formats is intel's.
func TestFormatsMatchIntel(t *testing.T) {
	if got, want := config.FeedFormats(), intel.Formats(); !slices.Equal(got, want) {
		t.Errorf("config.FeedFormats() = %v, intel.Formats() = %v", got, want)
	}
	for _, f := range config.BuiltinFeeds() {
		if _, ok := intel.LoaderFor(f.Format); !ok {
			t.Errorf("built-in feed %s has format %s, which has no loader", f.Name, f.Format)
		}
	}
}
