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
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
)

// TestDetectResolveAfter: a rule's resolve_after resolves its alerts,
// acknowledged ones too, that had no new evidence for that long before the
// evaluation, by detect; new evidence reopens them, by detect.
func TestDetectResolveAfter(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	rs, err := rules.Load(fstest.MapFS{"sources.sql": {Data: []byte(`-- id: sources
-- title: t
-- severity: low
-- window: 10m
-- resolve_after: 1h
-- group_by: [source]
SELECT src_ip AS source, count(*) AS events, min(time) AS first_seen, max(time) AS last_seen FROM network_events
WHERE time >= {{window_start}} AND time <= {{now}} GROUP BY src_ip
`)}}, ".")
	if err != nil {
		t.Fatal(err)
	}
	other := netip.MustParseAddr("198.51.100.9")
	write(t, st, scan(scanner, day.Add(10*time.Hour), 1, 20))
	write(t, st, scan(other, day.Add(11*time.Hour+30*time.Minute), 1, 20))
	at := func(h, m int) detect.Result {
		t.Helper()
		res, err := detect.Run(ctx, st, rs, day.Add(time.Duration(h)*time.Hour+time.Duration(m)*time.Minute))
		if err != nil || res.Failed > 0 {
			t.Fatalf("detect: %+v, %v", res, err)
		}
		return res
	}
	if res := at(10, 5); res.Opened != 1 || res.Resolved != 0 {
		t.Fatalf("10:05: %+v", res)
	}
	if _, err := st.MoveAlerts(ctx, store.AlertFilter{Rules: []string{"sources"}},
		alert.Transition{State: alert.StatusAcknowledged, Author: "anna", At: day, By: alert.ByOperator}); err != nil {
		t.Fatal(err)
	}
	// 11:35: the scanner's alert, last seen 10:00:19, is older than 1h.
	if res := at(11, 35); res.Opened != 1 || res.Resolved != 1 || res.Rules[0].Resolved != 1 {
		t.Fatalf("11:35: %+v", res)
	}
	// 12:05: the scanner is back (reopened); the other, seen 11:30:19, is not 1h old.
	write(t, st, scan(scanner, day.Add(12*time.Hour), 30, 5))
	if res := at(12, 5); res.Updated != 1 || res.Resolved != 0 {
		t.Fatalf("12:05: %+v", res)
	}
	// 13:00: both are: one query resolves both.
	if res := at(13, 0); res.Resolved != 1 {
		t.Fatalf("13:00: %+v; want the other resolved (the scanner's 12:00:04 is not an hour old)", res)
	}
	as, err := st.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range as {
		var h []string
		for _, tr := range a.History {
			h = append(h, fmt.Sprintf("%s by %s (%s)", tr.State, tr.By, tr.Comment))
		}
		got = append(got, fmt.Sprintf("%s %s %d: %s", a.Group["source"], a.Status, a.Count, strings.Join(h, ", ")))
	}
	want := []string{
		"192.0.2.200 open 2: acknowledged by operator (), resolved by detect (no match for resolve_after), open by detect (new evidence)",
		"198.51.100.9 resolved 1: resolved by detect (no match for resolve_after)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
