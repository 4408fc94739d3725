package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

func proxyIndicator(feed, typ, value string, active bool) event.Indicator {
	return event.Indicator{ID: event.IndicatorID(feed, typ, value), Type: typ, Value: value, Feed: feed, Active: active}
}

// TestProxySightings ingests our proxy fixtures with indicators loaded
// before (matched at ingest) and after (found by the retro-hunt): both ways
// give the same sightings, exactly. Rows: indicator value, time, matched
// ip, peer ip, peer port, port, protocol, action, peer_is_src.
func TestProxySightings(t *testing.T) {
	const at = " 2024-05-01 10:00:0"
	tests := []struct {
		name, format, file string
		inds               []event.Indicator
		want               []string
	}{
		{"squid", "squid", "../parse/testdata/squid/access.log", []event.Indicator{
			proxyIndicator("feodo", "ip", "203.0.113.7", true),
			proxyIndicator("tf", "domain", "www.example.org", true), // the CONNECT's host
			proxyIndicator("feodo", "ip", "198.51.100.9", true),     // a CONNECT Squid denied
			proxyIndicator("tf", "domain", "example.net", true),     // cdn.example.net, no server address logged
			proxyIndicator("uh", "url", "HTTP://Example.COM:80/missing#top", true),
			proxyIndicator("tf", "domain", "ample.com", true),    // not example.com
			proxyIndicator("tf", "domain", "example.com", false), // inactive
		}, []string{
			"203.0.113.7" + at + "1 +0000 UTC 203.0.113.7 192.168.1.23 0 443 http allow 1",
			"www.example.org" + at + "1 +0000 UTC 203.0.113.7 192.168.1.23 0 443 http allow 1",
			"198.51.100.9" + at + "2 +0000 UTC 198.51.100.9 10.0.0.5 0 8443 http deny 1",
			"example.net" + at + "4 +0000 UTC  10.0.0.6 0 8080 http allow 1",
			"HTTP://Example.COM:80/missing#top" + at + "9 +0000 UTC 93.184.216.34 192.168.1.27 0 80 http allow 1",
		}},
		{"zeek http.log", "zeek-http", "../parse/testdata/zeek-http/http.log", []event.Indicator{
			proxyIndicator("tf", "domain", "example.com", true),
			proxyIndicator("uh", "url", "http://example.com/login", true), // Zeek logs host and uri apart
			proxyIndicator("feodo", "ip", "198.51.100.9", true),
			proxyIndicator("tf", "domain", "V6.Example", true),
		}, []string{
			"example.com" + at + "0 +0000 UTC 93.184.216.34 192.168.1.23 51514 80 http allow 1",
			"example.com" + at + "1 +0000 UTC 93.184.216.34 192.168.1.23 51514 80 http allow 1",
			"http://example.com/login" + at + "1 +0000 UTC 93.184.216.34 192.168.1.23 51514 80 http allow 1",
			"198.51.100.9" + at + "2 +0000 UTC 198.51.100.9 10.0.0.5 40000 8080 http allow 1",
			"V6.Example" + at + "3 +0000 UTC 2001:db8::80 2001:db8::5 50001 80 http allow 1",
		}},
		{"zeek-conn stream with http records", "zeek-conn", "../parse/testdata/zeek-http/mixed.json", []event.Indicator{
			proxyIndicator("feodo", "ip", "93.184.216.34", true),
		}, []string{
			"93.184.216.34" + at + "0 +0000 UTC 93.184.216.34 192.168.1.23 51514 80 http allow 1",
			"93.184.216.34" + at + "0 +0000 UTC 93.184.216.34 192.168.1.23 51514 80 tcp allow 1",
		}},
	}
	for _, tt := range tests {
		for _, mode := range []string{"ingest", "retro-hunt"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				got, n := proxySightings(t, tt.format, tt.file, tt.inds, mode == "retro-hunt")
				want := make([]string, len(tt.want))
				for i, w := range tt.want {
					want[i] = w + " " + mode
				}
				if !slices.Equal(got, want) {
					t.Errorf("sightings\n got %q\nwant %q", got, want)
				}
				if n != int64(len(want)) {
					t.Errorf("%d new sightings counted, want %d", n, len(want))
				}
			})
		}
	}
}

// proxySightings ingests file in format with inds loaded before, or after
// followed by a retro-hunt, and returns the stored sightings, sorted, and
// how many the ingest or the hunt counted.
func proxySightings(t *testing.T, format, file string, inds []event.Indicator, hunt bool) ([]string, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := pipeline.Config{Format: format, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
	if !hunt {
		if _, err := st.WriteIndicators(ctx, inds); err != nil {
			t.Fatal(err)
		}
		cfg.Matcher = intel.NewMatcher(inds)
	}
	stats, err := pipeline.Run(ctx, st, pipeline.Source{Name: file, R: f, ModTime: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Rejected != 0 || stats.Tables["http_events"].Stored == 0 {
		t.Fatalf("ingest: %+v", stats)
	}
	n := stats.Sightings
	if hunt {
		if n != 0 {
			t.Fatalf("%d sightings without indicators", n)
		}
		if _, err := st.WriteIndicators(ctx, inds); err != nil {
			t.Fatal(err)
		}
		res, err := intel.HuntNew(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		n = int64(res.Sightings)
	}
	res, err := st.Query(ctx, `SELECT i.value, s.time, s.matched_ip, s.peer_ip, s.peer_port, s.port, s.protocol,
		s.action, s.peer_is_src, s.source FROM sightings AS s JOIN indicators AS i ON s.indicator_id = i.id`)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range res.Rows {
		rows = append(rows, strings.TrimSuffix(strings.TrimPrefix(fmt.Sprint(r), "["), "]"))
	}
	slices.SortFunc(rows, func(a, b string) int { // by time, then as text
		ta, tb := a[strings.IndexByte(a, ' '):], b[strings.IndexByte(b, ' '):]
		return strings.Compare(ta[:21]+a, tb[:21]+b)
	})
	return rows, n
}
