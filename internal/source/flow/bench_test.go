package flow

import (
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// discardSink takes everything and keeps nothing.
type discardSink struct{}

func (discardSink) Offer([]source.Record) bool { return true }

// BenchmarkDecode decodes datagrams of 30 records (v9: 17 fields IPv4 with
// NAT and NSEL counters; IPFIX: 13 fields IPv6) into a discarding sink.
func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct {
		name    string
		tpl, dg []byte
	}{
		{"v9", v9Datagram(100000, secs, 7, 1, v9Tpl), v9Datagram(100000, secs, 8, 1, dataSet(256, repeat(v9Fields, 30)...))},
		{"ipfix", ipfixDatagram(secs, 1, 9, ipfixTpl), ipfixDatagram(secs, 2, 9, dataSet(300, repeat(ipfixFields, 30)...))},
	} {
		b.Run(c.name, func(b *testing.B) {
			d := newDecoder(ProtocolNetFlow)
			from := netip.MustParseAddr("192.0.2.1")
			now := time.Unix(secs, 0)
			d.datagram(from, c.tpl, now, nil)
			var out []source.Record
			var sink discardSink
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				out = d.datagram(from, c.dg, now, out[:0])
				sink.Offer(out)
			}
			if len(out) != 30 {
				b.Fatalf("%d records", len(out))
			}
			b.ReportMetric(float64(d.st.Records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func repeat(fields []field, n int) [][]field {
	r := make([][]field, n)
	for i := range r {
		r[i] = fields
	}
	return r
}
