package storetest

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store"
)

// BenchPool is how many pool addresses FillIntervals spreads sessions
// over: 10.0.0.0/16.
const BenchPool = 1 << 16

// benchSession is session k of pool address a: a day apart, 7 hours long,
// starting at a minute that depends on the address.
func benchSession(a, k int) identity.Interval {
	addr := netip.AddrFrom4([4]byte{10, 0, byte(a >> 8), byte(a)})
	start := T0.Add(time.Duration(k)*24*time.Hour + time.Duration(a%60)*time.Minute)
	iv := identity.Interval{Start: start, End: start.Add(7 * time.Hour), EndKind: identity.EndLogged,
		User: "user" + addr.String(), Group: "RA", RemoteIP: netip.MustParseAddr("81.2.69.142"), RemotePort: 50000,
		AssignedIP: addr, Sensor: "asa1", Format: "cisco-asa", BytesIn: 1000, BytesOut: 2000,
		Facts: []event.ID{event.NewID("bench", []byte(addr.String()+start.String()))}}
	iv.ID = identity.IntervalID(addr.String(), addr, start)
	return iv
}

// FillIntervals stores n VPN intervals (n a multiple of BenchPool): for
// each of BenchPool pool addresses, n/BenchPool sessions one a day.
func FillIntervals(tb testing.TB, s store.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	for k := 0; k < n/BenchPool; k++ {
		ivs := make([]identity.Interval, BenchPool)
		for a := range ivs {
			ivs[a] = benchSession(a, k)
		}
		day := T0.Add(time.Duration(k) * 24 * time.Hour)
		if _, err := s.ReplaceVPNIntervals(ctx, day, day.Add(time.Hour), ivs); err != nil {
			tb.Fatal(err)
		}
	}
}

// benchQuery is a query of a random pool address at a random time within
// the sessions FillIntervals stored (days sessions a day).
func benchQuery(r *rand.Rand, days int) identity.Query {
	a := r.IntN(BenchPool)
	t := T0.Add(time.Duration(r.IntN(days*24*60)) * time.Minute)
	return identity.Query{Addr: netip.AddrFrom4([4]byte{10, 0, byte(a >> 8), byte(a)}), From: t, To: t}
}

// BenchWhois measures one lookup (whois) over the intervals FillIntervals
// stored for days days, and fails unless answers are right.
func BenchWhois(b *testing.B, s store.Store, days int) {
	ctx := context.Background()
	res := identity.NewResolver(s, identity.ResolverOptions{})
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		q := benchQuery(r, days)
		as, err := res.Resolve(ctx, []identity.Query{q})
		if err != nil {
			b.Fatal(err)
		}
		checkBenchAnswer(b, q, as[0])
	}
}

// BenchResolveBatch measures the attribution of a batch of n queries.
func BenchResolveBatch(b *testing.B, s store.Store, days, n int) {
	ctx := context.Background()
	res := identity.NewResolver(s, identity.ResolverOptions{})
	r := rand.New(rand.NewPCG(3, 4))
	qs := make([]identity.Query, n)
	for i := range qs {
		qs[i] = benchQuery(r, days)
	}
	for b.Loop() {
		as, err := res.Resolve(ctx, qs)
		if err != nil {
			b.Fatal(err)
		}
		for i := range as {
			checkBenchAnswer(b, qs[i], as[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/batch")
}

// checkBenchAnswer fails unless a is what FillIntervals' sessions say of
// q: its address's user while a session is up (7 of every 24 hours), else
// unknown (the pool is private: no EDR record either).
func checkBenchAnswer(b *testing.B, q identity.Query, a identity.Answer) {
	ai := int(q.Addr.As4()[2])<<8 | int(q.Addr.As4()[3])
	off := q.From.Sub(T0) - time.Duration(ai%60)*time.Minute
	up := off >= 0 && off%(24*time.Hour) < 7*time.Hour
	switch {
	case up && (a.Status != identity.Resolved || len(a.Candidates) != 1 || a.Candidates[0].User != "user"+q.Addr.String()):
		b.Fatalf("%s at %s: %+v, want resolved", q.Addr, q.From, a)
	case !up && a.Status != identity.Unknown:
		b.Fatalf("%s at %s: %+v, want unknown", q.Addr, q.From, a)
	}
}
