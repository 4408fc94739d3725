package duckdb

import (
	"testing"

	"github.com/homesoc/homesoc/internal/store/storetest"
)

// BenchmarkAttribution measures whois lookups and a batch of 10,000
// attributions over 1,000,000 stored VPN intervals, without and with an
// ART index on vpn_intervals.assigned_ip.
//
//	go test ./internal/store/duckdb -run XXX -bench Attribution -benchtime 200x
func BenchmarkAttribution(b *testing.B) {
	s := open(b)
	const days = 16 // 16 * 65,536 = 1,048,576 intervals
	storetest.FillIntervals(b, s, days*storetest.BenchPool)
	b.Run("whois", func(b *testing.B) { storetest.BenchWhois(b, s, days) })
	b.Run("batch10k", func(b *testing.B) { storetest.BenchResolveBatch(b, s, days, 10_000) })
	if _, err := s.conn.ExecContext(b.Context(), `CREATE INDEX bench_assigned ON vpn_intervals (assigned_ip)`); err != nil {
		b.Fatal(err)
	}
	b.Run("whois-index", func(b *testing.B) { storetest.BenchWhois(b, s, days) })
	b.Run("batch10k-index", func(b *testing.B) { storetest.BenchResolveBatch(b, s, days, 10_000) })
}
