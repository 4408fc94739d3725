package identity_test

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

var t0 = time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func interval(user, assigned string, start, end int, kind string) identity.Interval {
	a := netip.MustParseAddr(assigned)
	iv := identity.Interval{Start: at(start), End: at(end), EndKind: kind, User: user, AssignedIP: a,
		RemoteIP: netip.MustParseAddr("198.51.100.7"), Sensor: "asa1", Format: "cisco-asa",
		Facts: []event.ID{event.NewID("test", []byte(user))}}
	iv.ID = identity.IntervalID(user, a, iv.Start)
	return iv
}

// counted counts the queries of a Source.
type counted struct {
	identity.Source
	vpn, edr int
}

func (c *counted) VPNIntervals(ctx context.Context, spans []identity.Query) ([]identity.Interval, error) {
	c.vpn++
	return c.Source.VPNIntervals(ctx, spans)
}

func (c *counted) DeviceRecords(ctx context.Context, addrs []netip.Addr, from, to time.Time) ([]identity.DeviceRecord, error) {
	c.edr++
	return c.Source.DeviceRecords(ctx, addrs, from, to)
}

// brief is an answer in one line: status, then each candidate's user or
// device and span.
func brief(a identity.Answer) string {
	var b strings.Builder
	b.WriteString(a.Status)
	for _, c := range a.Candidates {
		fmt.Fprintf(&b, "; %s %s%s %s-%s", c.Source, c.User, c.DeviceID, c.From.Format("15:04"), c.To.Format("15:04"))
		if c.Owner != "" {
			b.WriteString(" owner " + c.Owner)
		}
	}
	return b.String()
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ivs := []identity.Interval{
		interval("kimura", "172.16.1.10", 0, 62, identity.EndLogged),
		interval("sato", "172.16.1.10", 200, 680, identity.EndMax),
		interval("ueda", "172.16.1.12", 0, 60, identity.EndReassigned),
		interval("ono", "172.16.1.12", 30, 90, identity.EndLogged),
		interval("kimura", "172.16.1.13", 0, 30, identity.EndLogged),
		interval("kimura", "172.16.1.13", 40, 90, identity.EndLogged),
		interval("goto", "192.168.1.10", 300, 320, identity.EndLogged), // a pool in a private range
	}
	if _, err := st.ReplaceVPNIntervals(ctx, at(-60), at(1000), ivs); err != nil {
		t.Fatal(err)
	}
	home := netip.MustParseAddr("192.168.1.10")
	rec := func(raw, device string, addr netip.Addr, min int) event.EndpointState {
		return event.EndpointState{ID: event.NewID("test", []byte(raw)), Time: at(min), DeviceID: device,
			Hostname: device + "-host", Kind: event.StateInterface, Address: addr, Sensor: "defender", Format: "defender"}
	}
	if _, err := st.WriteEndpointStates(ctx, []event.EndpointState{
		rec("a1", "laptop-a", home, -50), rec("a2", "laptop-a", home, -5), rec("b1", "laptop-b", home, 10),
		rec("c1", "laptop-c", netip.MustParseAddr("192.168.1.20"), 20), rec("d1", "laptop-d", home, 200),
	}); err != nil {
		t.Fatal(err)
	}
	q := func(addr string, from, to int, device string) identity.Query {
		return identity.Query{Addr: netip.MustParseAddr(addr), From: at(from), To: at(to), DeviceID: device}
	}
	cases := []struct {
		q    identity.Query
		want string
	}{
		{q("172.16.1.10", 30, 30, ""), "resolved; vpn kimura 10:30-10:30"},
		{q("172.16.1.10", 62, 62, ""), "resolved; vpn kimura 11:02-11:02"}, // the second its end was logged
		{q("172.16.1.10", 63, 63, ""), "unknown"},                          // after it
		{q("172.16.1.12", 60, 60, ""), "resolved; vpn ono 11:00-11:00"},    // the second ueda's address passed to ono
		{q("172.16.1.10", 0, 240, ""), "several; vpn kimura 10:00-11:02; vpn sato 13:20-14:00"},
		{q("172.16.1.12", 45, 45, ""), "ambiguous; vpn ueda 10:45-10:45; vpn ono 10:45-10:45"},
		{q("172.16.1.12", 60, 70, ""), "resolved; vpn ono 11:00-11:10"},
		{q("172.16.1.13", 0, 90, ""), "resolved; vpn kimura 10:00-10:30; vpn kimura 10:40-11:30"},
		{q("192.168.1.10", 0, 0, ""), "ambiguous; edr laptop-a 09:55-09:55 owner ada; edr laptop-b 10:10-10:10"},
		{q("192.168.1.10", 0, 0, "laptop-b"), "resolved; edr laptop-b 10:10-10:10"},
		{q("192.168.1.10", 0, 0, "laptop-z"), "resolved; edr laptop-z 10:00-10:00"},
		{q("192.168.1.10", 310, 310, ""), "resolved; vpn goto 15:10-15:10"},
		{q("192.168.1.10", 500, 500, ""), "unknown"},
		// An EDR's event names its device: a VPN pool's session on the
		// same private address at that moment is another machine.
		{q("192.168.1.10", 310, 310, "laptop-d"), "resolved; edr laptop-d 15:10-15:10"},
		{q("192.168.1.20", 0, 0, ""), "resolved; edr laptop-c 10:20-10:20"},
		{q("198.51.100.9", 0, 0, ""), "unknown"},
		{q("::ffff:172.16.1.10", 30, 30, ""), "resolved; vpn kimura 10:30-10:30"},
	}
	src := &counted{Source: st}
	var owned []string
	r := identity.NewResolver(src, identity.ResolverOptions{Owners: func(_ context.Context, ids []string) (map[string]string, error) {
		owned = ids
		return map[string]string{"laptop-a": "ada"}, nil
	}})
	var qs []identity.Query
	for _, c := range cases {
		qs = append(qs, c.q)
	}
	as, err := r.Resolve(ctx, qs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if got := brief(as[i]); got != c.want {
			t.Errorf("%s %s-%s %s: %q, want %q", c.q.Addr, c.q.From.Format("15:04"), c.q.To.Format("15:04"), c.q.DeviceID, got, c.want)
		}
	}
	if src.vpn != 1 || src.edr != 1 {
		t.Errorf("%d VPN and %d EDR queries for one batch, want 1 and 1", src.vpn, src.edr)
	}
	if want := []string{"laptop-a", "laptop-b", "laptop-c", "laptop-d", "laptop-z"}; !reflect.DeepEqual(owned, want) {
		t.Errorf("owners asked for %q, want %q", owned, want)
	}
	// The evidence of a VPN answer: the session, its facts, its interval.
	c := as[0].Candidates[0]
	if c.Evidence != "cisco-asa session of kimura on asa1 from 2026-01-10T10:00:00Z to 2026-01-10T11:02:00Z (end logged), from 198.51.100.7" ||
		c.IntervalID != ivs[0].ID.String() || !reflect.DeepEqual(c.Records, []string{ivs[0].Facts[0].String()}) ||
		*c.Interval != (identity.Span{From: at(0), To: at(62)}) {
		t.Errorf("evidence %+v", c)
	}
	if e := as[8].Candidates[0].Evidence; e != "endpoint_states record of laptop-a (defender) holding 192.168.1.10 at 2026-01-10T09:55:00Z" {
		t.Errorf("EDR evidence %q", e)
	}
}
