package duckdb

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// BenchmarkWriteScan writes and reads back a scan of 1,000 hosts with 10
// open ports each, the size of the 1,000-target run.
func BenchmarkWriteScan(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; b.Loop(); i++ {
		sc := scan.Scan{Source: scan.SourceHomesoc, Started: storetest.T0.Add(time.Duration(i) * time.Hour)}
		for h := range 1000 {
			host := scan.Host{Addr: netip.AddrFrom4([4]byte{127, 0, byte(1 + h>>8), byte(h)}), Status: "up",
				Closed: map[string]int{"tcp": 90}}
			for p := range 10 {
				host.Ports = append(host.Ports, scan.Port{Port: uint16(20 + p), Proto: "tcp", State: "open", Service: "ssh",
					Evidence: scan.Evidence{Banner: "SSH-2.0-OpenSSH_9.2p1"}})
			}
			sc.Hosts = append(sc.Hosts, host)
		}
		id, err := s.WriteScan(ctx, sc)
		if err != nil {
			b.Fatal(err)
		}
		got, err := s.Scan(ctx, id)
		if err != nil || len(got.Hosts) != 1000 {
			b.Fatalf("%d hosts, %v", len(got.Hosts), err)
		}
	}
}
