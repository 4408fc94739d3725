package detect_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/detect"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// day is a day long ago: detection must not depend on the wall clock.
var day = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

var scanner = netip.MustParseAddr("192.0.2.200")

// probe is a firewall event of src probing port on our router at t.
func probe(src netip.Addr, port int, t time.Time) event.Network {
	raw := fmt.Sprintf("%s %s %d", t.Format(time.RFC3339), src, port)
	return event.Network{ID: event.NewID("test", []byte(raw)), Time: t, Kind: event.KindFirewall, Action: "drop",
		Protocol: "tcp", SrcIP: src, SrcPort: 40000, DstIP: netip.MustParseAddr("203.0.113.7"), DstPort: uint16(port),
		Format: "netfilter", Raw: raw}
}

// scan is src probing n ports from `from`, one a second.
func scan(src netip.Addr, from time.Time, first, n int) []event.Network {
	var evs []event.Network
	for i := range n {
		evs = append(evs, probe(src, first+i, from.Add(time.Duration(i)*time.Second)))
	}
	return evs
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func builtin(t *testing.T) []*rules.Rule {
	t.Helper()
	rs, err := rules.LoadAll(rules.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func write(t *testing.T, st store.Store, evs []event.Network) {
	t.Helper()
	if _, err := st.WriteNetwork(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, st store.Store, rs []*rules.Rule) detect.Result {
	t.Helper()
	res, err := detect.Run(context.Background(), st, rs, time.Time{})
	if err != nil || res.Failed > 0 {
		t.Fatalf("detect: %+v, %v", res, err)
	}
	return res
}

// alerts renders the stored alerts: rule, group, first and last seen, count.
func alerts(t *testing.T, st store.Store) string {
	t.Helper()
	as, err := st.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var s string
	for _, a := range as {
		s += fmt.Sprintf("%s %s %s..%s count %d events %d; ", a.RuleID, alert.GroupJSON(a.Group),
			a.FirstSeen.Format(time.DateTime), a.LastSeen.Format(time.DateTime), a.Count, a.Events)
	}
	return s
}

// TestDetectOldData: a day-old log gets its alert without a time given,
// with the data's times; a second pass with no new data evaluates nothing
// and changes nothing; more of the same scan updates the same alert.
func TestDetectOldData(t *testing.T) {
	st, rs := openStore(t), builtin(t)
	start := day.Add(10*time.Hour + 2*time.Minute)
	write(t, st, scan(scanner, start, 1, 20))
	res := run(t, st, rs)
	if res.Opened != 1 || res.UpToDate {
		t.Fatalf("first pass: %+v; want one alert opened", res)
	}
	want := "port-scan-burst {\"source\":\"192.0.2.200\"} 2025-03-01 10:02:00..2025-03-01 10:02:19 count 1 events 20; "
	if got := alerts(t, st); got != want {
		t.Fatalf("alerts\n got %s\nwant %s", got, want)
	}

	res = run(t, st, rs)
	if !res.UpToDate || res.Opened+res.Updated != 0 {
		t.Fatalf("second pass: %+v; want every rule up to date", res)
	}
	for _, r := range res.Rules {
		if !r.UpToDate || r.Evaluations != 0 {
			t.Errorf("second pass: rule %+v evaluated", r)
		}
	}
	write(t, st, scan(scanner, start, 1, 20)) // the same lines again store nothing
	if res = run(t, st, rs); !res.UpToDate {
		t.Fatalf("after a re-ingest: %+v; want every rule up to date", res)
	}

	// The scan goes on a few minutes later: new evidence for the same alert.
	write(t, st, scan(scanner, start.Add(3*time.Minute), 100, 20))
	res = run(t, st, rs)
	if res.Opened != 0 || res.Updated != 1 {
		t.Fatalf("more of the scan: %+v; want one alert updated", res)
	}
	want = "port-scan-burst {\"source\":\"192.0.2.200\"} 2025-03-01 10:02:00..2025-03-01 10:05:19 count 2 events 40; "
	if got := alerts(t, st); got != want {
		t.Fatalf("alerts\n got %s\nwant %s", got, want)
	}
}

// TestDetectBatchAsLive: the same events give the same alerts whether they
// are ingested at once, long after, or batch by batch with a pass after
// each, as they would stream in live (in time order: data that arrives
// after newer data of the same finding adds no count).
func TestDetectBatchAsLive(t *testing.T) {
	rs := builtin(t)
	var batches [][]event.Network
	start := day.Add(9 * time.Hour)
	for i := range 12 {
		from := start.Add(time.Duration(i)*4*time.Minute + time.Duration(i/5)*2*time.Hour) // quiet gaps
		evs := scan(scanner, from, 10*i, 30)
		evs = append(evs, scan(netip.MustParseAddr("198.51.100.9"), from.Add(2*time.Minute), 1, 3)...) // too few to matter
		batches = append(batches, evs)
	}
	live := openStore(t)
	for _, b := range batches {
		write(t, live, b)
		run(t, live, rs)
	}
	once := openStore(t)
	var all []event.Network
	for _, b := range batches {
		all = append(all, b...)
	}
	write(t, once, all)
	run(t, once, rs)
	got, want := alerts(t, once), alerts(t, live)
	if got != want || want == "" {
		t.Errorf("ingested at once:\n %s\nstreamed:\n %s", got, want)
	}
}

// TestDetectBurstAcrossStep: a burst that straddles the boundary of two
// steps is found whole, and counted once.
func TestDetectBurstAcrossStep(t *testing.T) {
	st, rs := openStore(t), builtin(t)
	// Steps of port-scan-burst fall on multiples of 5 minutes: 10:05 is one.
	write(t, st, scan(scanner, day.Add(10*time.Hour+4*time.Minute+50*time.Second), 1, 20))
	if res := run(t, st, rs); res.Opened != 1 {
		t.Fatalf("%+v: want one alert", res)
	}
	want := "port-scan-burst {\"source\":\"192.0.2.200\"} 2025-03-01 10:04:50..2025-03-01 10:05:09 count 1 events 20; "
	if got := alerts(t, st); got != want {
		t.Fatalf("alerts\n got %s\nwant %s", got, want)
	}
}

// TestDetectHuntOfOldEvents: an indicator loaded after the events it
// matches makes the retro-hunt record old sightings, and ioc-contact then
// evaluates their time; a second pass hunts nothing.
func TestDetectHuntOfOldEvents(t *testing.T) {
	ctx := context.Background()
	st, rs := openStore(t), builtin(t)
	host, c2 := netip.MustParseAddr("192.168.1.23"), netip.MustParseAddr("198.51.100.77")
	beacon := probe(host, 443, day.Add(3*time.Hour))
	beacon.DstIP, beacon.Action = c2, "allow"
	write(t, st, []event.Network{beacon})
	run(t, st, rs)
	if got := alerts(t, st); got != "" {
		t.Fatalf("before the indicator: %s", got)
	}
	in := event.Indicator{ID: event.IndicatorID("feodo", event.IndicatorIP, c2.String()), Type: event.IndicatorIP,
		Value: c2.String(), Feed: "feodo", Threat: "QakBot", Active: true}
	if _, err := st.WriteIndicators(ctx, []event.Indicator{in}); err != nil {
		t.Fatal(err)
	}
	res := run(t, st, rs)
	if res.Hunt.Indicators != 1 || res.Hunt.Sightings != 1 || res.Opened != 1 {
		t.Fatalf("after the indicator: %+v; want one indicator hunted, one sighting, one alert", res)
	}
	want := "ioc-contact {\"host\":\"192.168.1.23\",\"indicator\":\"198.51.100.77\"} 2025-03-01 03:00:00..2025-03-01 03:00:00 count 1 events 1; "
	if got := alerts(t, st); got != want {
		t.Fatalf("alerts\n got %s\nwant %s", got, want)
	}
	if res = run(t, st, rs); res.Hunt.Indicators != 0 || !res.UpToDate {
		t.Fatalf("second pass: %+v; want nothing hunted, every rule up to date", res)
	}
}

// TestDetectAt: --now evaluates once at that time and leaves the
// watermarks, so the next pass still evaluates what was ingested.
func TestDetectAt(t *testing.T) {
	st, rs := openStore(t), builtin(t)
	write(t, st, scan(scanner, day.Add(10*time.Hour), 1, 20))
	res, err := detect.Run(context.Background(), st, rs, day.Add(10*time.Hour+5*time.Minute))
	if err != nil || res.Opened != 1 || res.At == nil {
		t.Fatalf("at a time: %+v, %v", res, err)
	}
	if res = run(t, st, rs); res.UpToDate || res.Opened+res.Updated != 0 {
		t.Fatalf("then over the data: %+v; want it evaluated, the alert unchanged", res)
	}
}

// TestDetectHuntNewOnly: events stored after an indicator was loaded were
// matched at ingest, so the pass that follows hunts nothing, and
// ioc-contact still finds the contact; only a newly loaded indicator is
// hunted, over all history.
func TestDetectHuntNewOnly(t *testing.T) {
	ctx := context.Background()
	st, rs := openStore(t), builtin(t)
	host := netip.MustParseAddr("192.168.1.23")
	ind := func(v string) event.Indicator {
		return event.Indicator{ID: event.IndicatorID("feodo", event.IndicatorIP, v), Type: event.IndicatorIP,
			Value: v, Feed: "feodo", Threat: "QakBot", Active: true}
	}
	if _, err := st.WriteIndicators(ctx, []event.Indicator{ind("198.51.100.77")}); err != nil {
		t.Fatal(err)
	}
	if res := run(t, st, rs); res.Hunt.Indicators != 1 {
		t.Fatalf("first pass: %+v; want the indicator hunted", res.Hunt)
	}
	inds, err := st.Indicators(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	log := ""
	for i, dst := range []string{"198.51.100.77", "198.51.100.78"} {
		log += fmt.Sprintf("2025-03-01T0%d:00:00 router kernel: ACCEPT IN=br0 OUT=ppp0 SRC=%s DST=%s LEN=60 TTL=64 ID=1 PROTO=TCP SPT=50000 DPT=443 SYN\n",
			i+3, host, dst)
	}
	stats, err := pipeline.Run(ctx, st, pipeline.Source{Name: "fw.log", R: strings.NewReader(log), ModTime: day},
		pipeline.Config{Format: "netfilter", Location: time.UTC, BatchSize: 100, Matcher: intel.NewMatcher(inds)})
	if err != nil || stats.Stored != 2 || stats.Sightings != 1 {
		t.Fatalf("ingest: %+v, %v; want 2 events stored, 1 sighting at ingest", stats, err)
	}
	res := run(t, st, rs)
	if res.Hunt.Indicators != 0 || res.Opened != 1 {
		t.Fatalf("after the ingest: %+v; want nothing hunted, the contact found", res)
	}
	if _, err := st.WriteIndicators(ctx, []event.Indicator{ind("198.51.100.78")}); err != nil {
		t.Fatal(err)
	}
	res = run(t, st, rs)
	if res.Hunt.Indicators != 1 || res.Hunt.Sightings != 1 || res.Opened != 1 {
		t.Fatalf("a new indicator: %+v; want it alone hunted, its old contact found", res)
	}
}

// TestDetectRuleWithoutTimes: a rule that returns no first_seen/last_seen
// gets the data's times all the same, its window clipped to the data, and
// the windows stepping past the data find nothing newer.
func TestDetectRuleWithoutTimes(t *testing.T) {
	st := openStore(t)
	rs, err := rules.Load(fstest.MapFS{"sources.sql": {Data: []byte(`-- id: sources
-- title: t
-- severity: low
-- window: 10m
-- group_by: [source]
SELECT src_ip AS source, count(*) AS events FROM network_events
WHERE time >= {{window_start}} AND time <= {{now}} GROUP BY src_ip
`)}}, ".")
	if err != nil {
		t.Fatal(err)
	}
	write(t, st, scan(scanner, day.Add(10*time.Hour+2*time.Minute), 1, 20))
	if res := run(t, st, rs); res.Opened != 1 || res.Rules[0].Evaluations != 2 {
		t.Fatalf("%+v: want two windows, one alert", res)
	}
	want := "sources {\"source\":\"192.0.2.200\"} 2025-03-01 10:02:00..2025-03-01 10:02:19 count 1 events 20; "
	if got := alerts(t, st); got != want {
		t.Fatalf("alerts\n got %s\nwant %s", got, want)
	}
}
