package duckdb

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// netfilterEvent is event i as the netfilter parser makes it from a
// realistic kernel LOG line (~130 bytes of raw text).
func netfilterEvent(i int) event.Network {
	t := t0.Add(time.Duration(i) * time.Second)
	src := netip.AddrFrom4([4]byte{198, 51, byte(i >> 16), byte(i >> 8)})
	dst := netip.AddrFrom4([4]byte{192, 168, 1, byte(i)})
	sport, dport := uint16(1024+i%60000), uint16(22+i%7)
	raw := fmt.Sprintf("%s router kernel: DROP IN=ppp0 OUT= MAC= SRC=%s DST=%s LEN=60 TTL=242 ID=%d PROTO=TCP SPT=%d DPT=%d SYN",
		t.Format("2006-01-02T15:04:05"), src, dst, i%65536, sport, dport)
	return event.Network{
		ID: event.NewID("netfilter", []byte(raw)), Time: t,
		Kind: event.KindFirewall, Action: "drop", Direction: event.DirInbound, Protocol: "tcp",
		SrcIP: src, SrcPort: sport, DstIP: dst, DstPort: dport,
		TTL: 242, TCPFlags: "SYN", InIface: "ppp0", Sensor: "router", Format: "netfilter", Raw: raw,
	}
}

// BenchmarkWriteNetworkNetfilter writes batches of 100,000 realistic
// netfilter events, as an ingest does.
func BenchmarkWriteNetworkNetfilter(b *testing.B) {
	s := open(b)
	batch := 100_000
	if v, _ := strconv.Atoi(os.Getenv("BATCH")); v > 0 { // TEMP
		batch = v
	}
	evs := make([]event.Network, batch)
	if q := os.Getenv("BENCH_SQL"); q != "" { // TEMP
		if _, err := s.conn.ExecContext(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range evs {
			evs[j] = netfilterEvent(i*batch + j)
		}
		c0 := cpuTime()
		b.StartTimer()
		n, err := s.WriteNetwork(context.Background(), evs)
		b.StopTimer()
		cpu += cpuTime() - c0
		b.StartTimer()
		if err != nil {
			b.Fatal(err)
		}
		if n != batch {
			b.Fatalf("stored %d, want %d", n, batch)
		}
	}
	if os.Getenv("CKPT") != "" { // TEMP
		c0 := cpuTime()
		if _, err := s.conn.ExecContext(context.Background(), "CHECKPOINT"); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*batch), "cpu-ns/event")
}

// cpuTime is the CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
