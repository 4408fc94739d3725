package detect_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/detect"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// BenchmarkEnrich attributes 10,000 alerts in one batch (the budget of
// issue 10: under 1 s on DuckDB) against 10,000 VPN sessions: 1,000 pool
// addresses given out ten times a day each, back to back. Nine in ten alerts are of a
// pool address; the rest of a private address no EDR reported, so both
// queries of attribution run.
func BenchmarkEnrich(b *testing.B) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pool := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 8, byte(i / 250), byte(1 + i%250)}) }
	var ivs []identity.Interval
	for a := range 1000 {
		for s := range 10 {
			start := day.Add(time.Duration(s) * 144 * time.Minute)
			id := event.NewID("bench", fmt.Appendf(nil, "%d/%d", a, s))
			ivs = append(ivs, identity.Interval{ID: id, Start: start, End: start.Add(144*time.Minute - time.Second), EndKind: identity.EndLogged,
				User: fmt.Sprintf("user%04d", (a*10+s)%3000), Group: "RA-Staff", RemoteIP: netip.AddrFrom4([4]byte{203, 0, 113, byte(s)}),
				AssignedIP: pool(a), SessionID: id.String()[:8], Sensor: "asa-edge", Format: "cisco-asa", Facts: []event.ID{id}})
		}
	}
	if _, err := st.ReplaceVPNIntervals(ctx, day, day.Add(24*time.Hour), ivs); err != nil {
		b.Fatal(err)
	}
	fs := make([]alert.Alert, 10000)
	for i := range fs {
		addr := pool(i % 1000)
		if i%10 == 9 {
			addr = netip.AddrFrom4([4]byte{192, 168, byte(i / 250 % 250), byte(1 + i%250)})
		}
		t := day.Add(time.Duration(i) * 8 * time.Second)
		fs[i] = alert.Alert{Detail: map[string]string{"host": addr.String()}, FirstSeen: t, LastSeen: t.Add(time.Minute)}
	}
	r := identity.NewResolver(st, identity.ResolverOptions{})
	b.ResetTimer()
	for b.Loop() {
		n, err := detect.Enrich(ctx, r, fs)
		if err != nil || n != len(fs) {
			b.Fatalf("%d attributed, %v", n, err)
		}
	}
	b.StopTimer()
	unknown := 0
	for _, f := range fs {
		if f.Identity.Status == identity.Unknown {
			unknown++
		}
	}
	if unknown != 1000 {
		b.Fatalf("%d of 10000 unknown, want the 1000 of no pool address", unknown)
	}
}
