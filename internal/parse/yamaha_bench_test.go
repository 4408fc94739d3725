package parse

import "testing"

// BenchmarkYamahaRTX parses the sample file: every header shape, filter
// records and [INSPECT] sessions, IPv4 and IPv6.
func BenchmarkYamahaRTX(b *testing.B) {
	benchLines(b, newYamahaParser(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)}), readLines(b, "yamaha-rtx.log"))
}
