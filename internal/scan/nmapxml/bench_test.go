package nmapxml

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode imports the largest real sample (55 hosts, 254 ports,
// 132 KB), or our fixture when the samples are absent.
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(realSamples, "nmap-ndiff_test-scans_random-1.xml"))
	if err != nil {
		if data, err = os.ReadFile("testdata/homesoc.xml"); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
