package refresh

import (
	"context"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/geoip"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

var t0 = time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

var (
	remote = netip.MustParseAddr("198.51.100.7")
	pool   = netip.MustParseAddr("172.16.1.10")
)

func fact(name string, min int, kind, user string, f event.VPNSession) event.VPNSession {
	f.ID, f.Time, f.Kind, f.User, f.RemoteIP = event.NewID("test", []byte(name)), at(min), kind, user, remote
	f.Sensor, f.Format, f.Raw = "asa1", "cisco-asa", name
	return f
}

var (
	kStart  = fact("k-113039", 0, event.VPNStart, "kimura", event.VPNSession{})
	kAssign = fact("k-722051", 0, event.VPNAssign, "kimura", event.VPNSession{AssignedIP: pool})
	kEnd    = fact("k-113019", 62, event.VPNEnd, "kimura", event.VPNSession{DurationS: 3720, BytesIn: 10, BytesOut: 20})
	sStart  = fact("s-113039", 200, event.VPNStart, "sato", event.VPNSession{})
	sAssign = fact("s-722051", 200, event.VPNAssign, "sato", event.VPNSession{AssignedIP: pool})
)

func open(t *testing.T) store.Store {
	t.Helper()
	s, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// ingest writes facts in batches, updating after each, and returns the
// intervals stored and the last Update's result.
func ingest(t *testing.T, s store.Store, batches ...[]event.VPNSession) ([]identity.Interval, Result) {
	t.Helper()
	ctx := context.Background()
	var res Result
	for _, b := range batches {
		if _, err := s.WriteVPNSessions(ctx, b); err != nil {
			t.Fatal(err)
		}
		var err error
		if res, err = Update(ctx, s, identity.Options{MaxSession: 8 * time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	ivs, err := s.VPNIntervals(ctx, []identity.Query{{Addr: pool, From: at(-1000), To: at(2000)}})
	if err != nil {
		t.Fatal(err)
	}
	return ivs, res
}

func brief(ivs []identity.Interval) []string {
	var out []string
	for _, iv := range ivs {
		out = append(out, iv.User+" "+iv.Start.Format("15:04")+"-"+iv.End.Format("15:04")+" "+iv.EndKind)
	}
	return out
}

func TestUpdate(t *testing.T) {
	want := []string{"kimura 10:00-11:02 logged", "sato 13:20-21:20 max"}
	for _, c := range []struct {
		name    string
		batches [][]event.VPNSession
	}{
		{"all at once", [][]event.VPNSession{{kStart, kAssign, kEnd, sStart, sAssign}}},
		{"the end in a later ingest", [][]event.VPNSession{{kStart, kAssign}, {sStart, sAssign}, {kEnd}}},
		{"the end before the start", [][]event.VPNSession{{kEnd}, {sAssign, sStart}, {kAssign, kStart}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			ivs, _ := ingest(t, s, c.batches...)
			if got := brief(ivs); !reflect.DeepEqual(got, want) {
				t.Errorf("intervals %q, want %q", got, want)
			}
			// Nothing new: nothing read, nothing changed.
			again, res := ingest(t, s, nil)
			if res != (Result{}) || !reflect.DeepEqual(again, ivs) {
				t.Errorf("second update: %+v, intervals %q", res, brief(again))
			}
		})
	}
}

func TestUpdateReassigned(t *testing.T) {
	s := open(t)
	ivs, res := ingest(t, s, []event.VPNSession{kStart, kAssign})
	if got := brief(ivs); !reflect.DeepEqual(got, []string{"kimura 10:00-18:00 max"}) || res.Written != 1 {
		t.Errorf("intervals %q (%+v)", got, res)
	}
	ivs, res = ingest(t, s, []event.VPNSession{sStart, sAssign})
	if got := brief(ivs); !reflect.DeepEqual(got, []string{"kimura 10:00-13:20 reassigned", "sato 13:20-21:20 max"}) ||
		res != (Result{Ranges: 1, Facts: 4, IntervalCounts: store.IntervalCounts{Written: 2}}) {
		t.Errorf("intervals %q (%+v)", got, res)
	}
	// Its end comes: the id stays, the interval ends as logged.
	id := ivs[0].ID
	ivs, res = ingest(t, s, []event.VPNSession{kEnd})
	if got := brief(ivs); !reflect.DeepEqual(got, []string{"kimura 10:00-11:02 logged", "sato 13:20-21:20 max"}) ||
		res != (Result{Ranges: 1, Facts: 5, IntervalCounts: store.IntervalCounts{Written: 1}}) || ivs[0].ID != id {
		t.Errorf("intervals %q (%+v)", got, res)
	}
}

// TestUpdateGeoSource: intervals built before a GeoIP database was
// configured are located once it is; an update with the same databases
// rebuilds nothing, and other databases rebuild every interval again.
func TestUpdateGeoSource(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.WriteVPNSessions(ctx, []event.VPNSession{kStart, kAssign, kEnd}); err != nil {
		t.Fatal(err)
	}
	update := func(source, country string) (Result, string) {
		t.Helper()
		o := identity.Options{MaxSession: 8 * time.Hour, GeoSource: source}
		if country != "" {
			o.Geo = func(netip.Addr) (geoip.Info, bool) { return geoip.Info{Country: country}, true }
		}
		res, err := Update(ctx, s, o)
		if err != nil {
			t.Fatal(err)
		}
		ivs, err := s.VPNIntervals(ctx, []identity.Query{{Addr: pool, From: at(0), To: at(0)}})
		if err != nil || len(ivs) != 1 {
			t.Fatalf("intervals %+v, %v", ivs, err)
		}
		return res, ivs[0].Remote.Country
	}
	for _, step := range []struct {
		source, country string
		written         int
		want            string
	}{
		{"", "", 1, ""},
		{"GeoLite2-City 2026-11-20", "JP", 1, "JP"},
		{"GeoLite2-City 2026-11-20", "JP", 0, "JP"},
		{"GeoLite2-City 2026-11-27", "DE", 1, "DE"},
	} {
		res, got := update(step.source, step.country)
		if res.Written != step.written || got != step.want {
			t.Errorf("with %q: wrote %d, country %q; want %d, %q", step.source, res.Written, got, step.written, step.want)
		}
	}
}
