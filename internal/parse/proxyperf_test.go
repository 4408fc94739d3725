package parse

import (
	"errors"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

// benchMixed runs p over every line of a fixture b.N times in all, as an
// ingest meets them: lines for other tables (ErrExtraOnly), skipped and
// rejected lines included, reporting lines/s and allocations per line.
func benchMixed(b *testing.B, p Parser, lines [][]byte) {
	b.Helper()
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	var ev event.Network
	for _, l := range lines { // warm the interners
		_ = p.Parse(l, &ev)
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.Parse(lines[i%len(lines)], &ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkSquidMixed parses every line of the Squid fixture: native lines
// (GET, CONNECT, denied, IPv6, parent hit, an error line), one behind a BSD
// syslog header, one behind RFC 5424, and the common log format ones.
func BenchmarkSquidMixed(b *testing.B) {
	lines := readLines(b, "squid/access.log")
	checkParses(b, newSquidParser(Options{}), lines)
	benchMixed(b, newSquidParser(Options{}), lines)
}

// BenchmarkFortiGateMixed parses every line of the FortiGate fixture: SSL
// VPN and IPsec events, traffic logs (space and comma separated, IPv6), a
// UTM line, a CEF line and the malformed ones.
func BenchmarkFortiGateMixed(b *testing.B) {
	lines := readLines(b, "fortigate/fortigate.log")
	checkParses(b, newFortiGateParser(Options{ModTime: utc(2024, 5, 1, 0, 0, 0)}), lines)
	benchMixed(b, newFortiGateParser(Options{ModTime: utc(2024, 5, 1, 0, 0, 0)}), lines)
}

// checkParses fails unless most lines of a fixture parse, so the benchmark
// measures parsing rather than the error path.
func checkParses(b *testing.B, p Parser, lines [][]byte) {
	b.Helper()
	ok := 0
	var ev event.Network
	for _, l := range lines {
		if err := p.Parse(l, &ev); err == nil || errors.Is(err, ErrExtraOnly) {
			ok++
		}
	}
	if ok*2 < len(lines) {
		b.Fatalf("only %d of %d lines parse", ok, len(lines))
	}
}
