package clickhouse

import (
	"testing"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// BenchmarkAttribution measures whois lookups and a batch of 10,000
// attributions over 1,000,000 stored VPN intervals, as DuckDB's does.
//
//	go test ./internal/store/clickhouse -run XXX -bench Attribution -benchtime 2s
func BenchmarkAttribution(b *testing.B) {
	s := openTemp(b, chtest.URL(b))
	const days = 16 // 16 * 65,536 = 1,048,576 intervals
	storetest.FillIntervals(b, s, days*storetest.BenchPool)
	b.Run("whois", func(b *testing.B) { storetest.BenchWhois(b, s, days) })
	b.Run("batch10k", func(b *testing.B) { storetest.BenchResolveBatch(b, s, days, 10_000) })
}
