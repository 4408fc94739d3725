package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store"
)

// RunRetention runs the retention suite (store.RetentionStore), each test
// on a store of its own from open, as Run does.
func RunRetention(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Retention", testRetention},
		{"RetentionPartial", testRetentionPartial},
		{"RetentionUnknownTable", testRetentionUnknownTable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// retentionDays are the ages (days before T0) of the rows of each event
// table: two months wholly before the cutoff (T0-30d), one in the
// cutoff's month but before it, one after it.
var retentionDays = []int{100, 40, 34, 1}

const retentionCutoffDays = 30

func daysBefore(d int) time.Time { return T0.Add(-time.Duration(d) * 24 * time.Hour) }

// fillRetention writes rows of every table that may expire, their times as
// retentionDays says, and the alerts, notifications and scans the suite
// expects to see deleted (ids with "old") or kept.
func fillRetention(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	var (
		evs  []event.Network
		sts  []event.EndpointState
		vs   []event.VPNSession
		hs   []event.HTTP
		rs   []event.Reject
		sigs []event.Sighting
	)
	for i, d := range retentionDays {
		at := daysBefore(d)
		ev := TestEvent(i)
		ev.Time = at
		evs = append(evs, ev)
		st := EndpointState(i)
		st.Time = at
		sts = append(sts, st)
		v := VPNSession(i)
		v.Time = at
		vs = append(vs, v)
		h := HTTPEvent(i)
		h.Time = at
		hs = append(hs, h)
		rs = append(rs, event.Reject{Time: at, Source: "retention.log", Line: int64(i + 1), Format: "netfilter", Reason: "bad", Raw: fmt.Sprint("bad ", i)})
		sigs = append(sigs, event.Sighting{EventID: ev.ID, IndicatorID: "ind-1", Time: at, MatchedIP: ev.SrcIP, PeerIP: ev.DstIP,
			Protocol: "udp", Action: "drop", Source: "ingest"})
	}
	check := func(what string, n int, err error) {
		t.Helper()
		if err != nil || n != len(retentionDays) {
			t.Fatalf("write %s: %d, %v", what, n, err)
		}
	}
	n, err := s.WriteNetwork(ctx, evs)
	check("network events", n, err)
	n, err = s.WriteEndpointStates(ctx, sts)
	check("endpoint states", n, err)
	n, err = s.WriteVPNSessions(ctx, vs)
	check("vpn sessions", n, err)
	n, err = s.WriteHTTP(ctx, hs)
	check("http events", n, err)
	if err := s.WriteRejects(ctx, rs); err != nil {
		t.Fatal(err)
	}
	n, err = s.WriteSightings(ctx, sigs)
	check("sightings", n, err)

	// Alerts: only a resolved alert whose last finding and change are past
	// the cutoff expires.
	mk := func(id string) alert.Alert {
		return alert.Alert{ID: id, RuleID: "port-scan", Title: "t", Severity: "high", Group: map[string]string{"host": id},
			FirstSeen: daysBefore(61), LastSeen: daysBefore(60), Events: 1, UpdatedAt: daysBefore(60)}
	}
	if _, err := s.UpsertAlerts(ctx, []alert.Alert{mk("old-resolved"), mk("open"), mk("acknowledged"), mk("resolved-lately")}); err != nil {
		t.Fatal(err)
	}
	move := func(id, state string, at time.Time) {
		t.Helper()
		moved, err := s.MoveAlerts(ctx, store.AlertFilter{IDs: []string{id}}, alert.Transition{State: state, Author: "anna", At: at, By: alert.ByOperator})
		if err != nil || len(moved) != 1 {
			t.Fatalf("move %s: %v, %v", id, moved, err)
		}
	}
	move("old-resolved", alert.StatusResolved, daysBefore(59))
	move("acknowledged", alert.StatusAcknowledged, daysBefore(59))
	move("resolved-lately", alert.StatusResolved, daysBefore(1))

	// Notifications: delivered and dead ones last updated before the
	// cutoff expire, a pending one never.
	var ns []notify.Notification
	for i, id := range []string{"old-delivered", "old-dead", "pending", "delivered-lately"} {
		ns = append(ns, outboxNote(id, "soc/webhook/0", i))
	}
	enqueue(t, s, len(ns), ns...)
	ns = outbox(t, s, store.NotificationFilter{})
	for i := range ns {
		ns[i].UpdatedAt = daysBefore(60)
		switch ns[i].Message.ID {
		case "old-delivered":
			ns[i].State, ns[i].DeliveredAt = notify.StateDelivered, daysBefore(60)
		case "old-dead":
			ns[i].State, ns[i].LastError = notify.StateDead, "410 gone"
		case "pending":
			ns[i].Attempts, ns[i].LastError = 7, "timeout"
		case "delivered-lately":
			ns[i].State, ns[i].UpdatedAt, ns[i].DeliveredAt = notify.StateDelivered, daysBefore(1), daysBefore(1)
		}
	}
	if err := s.UpdateNotifications(ctx, ns); err != nil {
		t.Fatal(err)
	}

	// Scans: the old ones expire unless newest of an address they hold.
	for i, sc := range []struct {
		args string
		days int
		only string // the one host, "" for TestScan's
	}{{"old-1", 100, ""}, {"old-2", 50, ""}, {"lately", 1, ""}, {"old-newest-of-its-host", 60, "127.0.0.9"}} {
		s1 := TestScan(i)
		s1.Args = sc.args
		s1.Started, s1.Finished = daysBefore(sc.days), daysBefore(sc.days).Add(time.Minute)
		for j := range s1.Hosts {
			s1.Hosts[j].Started, s1.Hosts[j].Finished = s1.Started, s1.Finished
		}
		if sc.only != "" {
			s1.Hosts = []scan.Host{{Addr: netip.MustParseAddr(sc.only), Status: "up", Started: s1.Started, Finished: s1.Finished}}
		}
		if _, err := s.WriteScan(ctx, s1); err != nil {
			t.Fatal(err)
		}
	}
}

// retentionCounts counts the rows the suite expires, per table, and the
// scans' hosts and ports.
func retentionCounts(t *testing.T, s store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range append(store.RetentionTables, "scan_hosts", "scan_ports") {
		out[table] = query(t, s, "SELECT count(*) FROM "+table)
	}
	return out
}

// retentionNames lists the alerts and scans (by args) left.
func retentionNames(t *testing.T, s store.Store) string {
	t.Helper()
	return query(t, s, "SELECT alert_id FROM alerts ORDER BY alert_id") +
		query(t, s, "SELECT args FROM scans ORDER BY args")
}

// scanChildren counts the hosts and ports of each scan, by scan id.
func scanChildren(t *testing.T, s store.Store) map[string][2]int64 {
	t.Helper()
	out := map[string][2]int64{}
	for i, table := range []string{"scan_hosts", "scan_ports"} {
		res, err := s.Query(context.Background(), "SELECT scan_id, count(*) FROM "+table+" GROUP BY scan_id")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Rows {
			c := out[fmt.Sprint(r[0])]
			c[i] = reflect.ValueOf(r[1]).Convert(reflect.TypeFor[int64]()).Int()
			out[fmt.Sprint(r[0])] = c
		}
	}
	return out
}

func testRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	fillRetention(t, s)
	if err := s.SaveWatermark(ctx, store.Watermark{Name: "rule:port-scan", Seq: 1, UpdatedAt: T0}); err != nil {
		t.Fatal(err)
	}
	spans, marks := ingestedSince(t, s, 0), watermarks(t, s)
	cutoff := daysBefore(retentionCutoffDays)
	cutoffs := map[string]time.Time{}
	for _, table := range store.RetentionTables {
		cutoffs[table] = cutoff
	}
	before := retentionCounts(t, s)
	children := scanChildren(t, s)

	dry, err := s.ApplyRetention(ctx, cutoffs, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := retentionCounts(t, s); !reflect.DeepEqual(got, before) {
		t.Fatalf("a dry run deleted rows:\n got %v\nwant %v", got, before)
	}
	res, err := s.ApplyRetention(ctx, cutoffs, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dry, res) {
		t.Errorf("the dry run said\n%+v\nthe run did\n%+v", dry, res)
	}
	if len(res) != len(store.RetentionTables) {
		t.Fatalf("results %+v, want one per table", res)
	}
	monthStart := time.Date(cutoff.Year(), cutoff.Month(), 1, 0, 0, 0, 0, time.UTC)
	after := retentionCounts(t, s)
	for i, r := range res {
		if r.Table != store.RetentionTables[i] || !r.Cutoff.Equal(cutoff) {
			t.Errorf("result %d: %+v, want table %s, cutoff %s", i, r, store.RetentionTables[i], cutoff)
			continue
		}
		var want int64
		switch r.Table {
		case "alerts", "notifications", "scans":
			want = map[string]int64{"alerts": 1, "notifications": 2, "scans": 2}[r.Table]
			if !r.Before.Equal(cutoff) {
				t.Errorf("%s: before %s, want the cutoff %s", r.Table, r.Before, cutoff)
			}
		default: // the event tables: by time, whole months or not
			if !r.Before.Equal(cutoff) && !r.Before.Equal(monthStart) {
				t.Errorf("%s: before %s, want %s or %s", r.Table, r.Before, cutoff, monthStart)
			}
			for _, d := range retentionDays {
				if daysBefore(d).Before(r.Before) {
					want++
				}
			}
			if len(r.Partitions) > 0 && r.Before.Equal(cutoff) {
				t.Errorf("%s: partitions %v dropped, but rows were deleted up to the cutoff", r.Table, r.Partitions)
			}
		}
		if r.Rows != want {
			t.Errorf("%s: %d rows deleted, want %d", r.Table, r.Rows, want)
		}
		if got := fmt.Sprintf("[[%d]]", int64(len(retentionDays))-want); r.Table != "alerts" && r.Table != "notifications" && r.Table != "scans" && after[r.Table] != got {
			t.Errorf("%s: %s rows left, want %s", r.Table, after[r.Table], got)
		}
	}
	if got, want := retentionNames(t, s), "[[acknowledged] [open] [resolved-lately]][[lately] [old-newest-of-its-host]]"; got != want {
		t.Errorf("alerts and scans left:\n got %s\nwant %s", got, want)
	}
	var left []string
	for _, n := range outbox(t, s, store.NotificationFilter{}) {
		left = append(left, n.Message.ID+" "+n.State)
	}
	if got, want := strings.Join(left, ", "), "pending pending, delivered-lately delivered"; got != want {
		t.Errorf("notifications left: %s, want %s", got, want)
	}
	// The scans left keep their hosts and ports, the others' are gone.
	res2, err := s.Query(ctx, "SELECT id FROM scans")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int64{}
	for _, r := range res2.Rows {
		want[fmt.Sprint(r[0])] = children[fmt.Sprint(r[0])]
	}
	if got := scanChildren(t, s); !reflect.DeepEqual(got, want) || len(want) != 2 {
		t.Errorf("hosts and ports by scan: %v, want %v", got, want)
	}
	// Detection's bookkeeping is untouched: no rule runs again.
	if got := ingestedSince(t, s, 0); !reflect.DeepEqual(got, spans) {
		t.Errorf("ingest spans changed:\n got %s\nwant %s", formatSpans(got), formatSpans(spans))
	}
	if got := watermarks(t, s); !reflect.DeepEqual(got, marks) {
		t.Errorf("watermarks changed: %v, want %v", got, marks)
	}
	// A rule that had evaluated everything sees the next write, and only
	// it: the ingest sequence goes on above its watermark.
	last := store.Through(0, spans)
	fresh := TestEvent(100)
	fresh.Time = T0
	if n, err := s.WriteNetwork(ctx, []event.Network{fresh}); err != nil || n != 1 {
		t.Fatalf("write after retention: %d, %v", n, err)
	}
	if got := ingestedSince(t, s, last); len(got) != 1 || !got[0].Min.Equal(T0) || got[0].Seq <= last {
		t.Errorf("spans after the watermark %d: %s, want the one write of %s", last, formatSpans(got), T0)
	}
	after = retentionCounts(t, s)

	// Again: nothing more expires.
	again, err := s.ApplyRetention(ctx, cutoffs, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Rows != 0 || len(r.Partitions) != 0 {
			t.Errorf("second run: %+v", r)
		}
	}
	if got := retentionCounts(t, s); !reflect.DeepEqual(got, after) {
		t.Errorf("second run changed counts: %v, want %v", got, after)
	}
}

// testRetentionPartial: only the tables given expire; the others keep
// every row, and an empty set of cutoffs does nothing.
func testRetentionPartial(t *testing.T, s store.Store) {
	ctx := context.Background()
	fillRetention(t, s)
	before := retentionCounts(t, s)
	if res, err := s.ApplyRetention(ctx, nil, false); err != nil || len(res) != 0 {
		t.Fatalf("no cutoffs: %+v, %v", res, err)
	}
	cutoff := daysBefore(retentionCutoffDays)
	res, err := s.ApplyRetention(ctx, map[string]time.Time{"rejects": cutoff, "alerts": cutoff}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Table != "rejects" || res[1].Table != "alerts" || res[1].Rows != 1 {
		t.Fatalf("results %+v", res)
	}
	after := retentionCounts(t, s)
	for table, n := range before {
		switch table {
		case "rejects":
			if after[table] == n {
				t.Errorf("rejects: none deleted")
			}
		case "alerts":
			if after[table] != "[[3]]" {
				t.Errorf("alerts: %s left, want 3", after[table])
			}
		default:
			if after[table] != n {
				t.Errorf("%s: %s rows, want %s: it has no cutoff", table, after[table], n)
			}
		}
	}
}

// testRetentionUnknownTable: a table that is state cannot expire; the call
// fails and deletes nothing.
func testRetentionUnknownTable(t *testing.T, s store.Store) {
	ctx := context.Background()
	fillRetention(t, s)
	before := retentionCounts(t, s)
	_, err := s.ApplyRetention(ctx, map[string]time.Time{"rejects": T0, "indicators": T0}, false)
	if err == nil || !strings.Contains(err.Error(), `table "indicators" cannot expire`) {
		t.Errorf("indicators: %v", err)
	}
	if got := retentionCounts(t, s); !reflect.DeepEqual(got, before) {
		t.Errorf("a failed call deleted rows: %v, want %v", got, before)
	}
}

// watermarks returns the saved watermarks.
func watermarks(t *testing.T, s store.Store) map[string]store.Watermark {
	t.Helper()
	w, err := s.Watermarks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return w
}
