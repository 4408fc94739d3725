package parse

import (
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

// benchLines runs p over lines b.N times in all, reporting bytes, lines/s
// and allocations per line.
func benchLines(b *testing.B, p Parser, lines [][]byte) {
	b.Helper()
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	var ev event.Network
	for _, l := range lines { // warm the interners and check the input
		if err := p.Parse(l, &ev); err != nil && err != ErrSkip {
			b.Fatalf("%q: %v", l, err)
		}
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.Parse(lines[i%len(lines)], &ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkNetfilter parses the mixed sample file: every variant, and a new
// stamp on nearly every line, so the stamp cache rarely helps.
func BenchmarkNetfilter(b *testing.B) {
	benchLines(b, newNetfilterParser(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)}), readLines(b, "netfilter.good.log"))
}

// BenchmarkZeekConnTSV parses the sample conn.log, headers included.
func BenchmarkZeekConnTSV(b *testing.B) {
	benchLines(b, newZeekConnParser(), readLines(b, "conn.log"))
}

// BenchmarkFlowJSON parses the sample flow records.
func BenchmarkFlowJSON(b *testing.B) {
	p, err := Lookup("flow-json")
	if err != nil {
		b.Fatal(err)
	}
	benchLines(b, p.New(Options{}), readLines(b, "flows.jsonl"))
}
