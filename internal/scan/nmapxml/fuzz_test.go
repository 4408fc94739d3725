package nmapxml

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/homesoc/homesoc/internal/scan"
)

// FuzzNmapXML: no input makes Decode panic, and what it accepts is a scan
// a store takes: every host with an address, every port tcp or udp, counts
// of tcp or udp only and never negative, port sets in compact form.
// Seeded from testdata (corpus in testdata/fuzz/FuzzNmapXML); inputs are
// capped at 64 KiB.
func FuzzNmapXML(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.xml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		s, _, err := Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		if s.Source != scan.SourceNmap {
			t.Fatalf("source %q", s.Source)
		}
		for _, l := range []string{s.TCPPorts, s.UDPPorts} {
			if p, err := scan.ParsePortSet(l); err != nil || p.String() != l {
				t.Fatalf("port set %q: %v, want its compact form", l, err)
			}
		}
		for _, h := range s.Hosts {
			if !h.Addr.IsValid() || h.Addr.Is4In6() {
				t.Fatalf("host address %v", h.Addr)
			}
			for _, p := range h.Ports {
				if p.Proto != scan.TCP && p.Proto != scan.UDP {
					t.Fatalf("port %d proto %q", p.Port, p.Proto)
				}
			}
			for _, m := range []map[string]int{h.Closed, h.Filtered} {
				for k, v := range m {
					if (k != scan.TCP && k != scan.UDP) || v <= 0 {
						t.Fatalf("count %s=%d", k, v)
					}
				}
			}
		}
	})
}
