package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// BenchmarkWriteNetwork writes batches of realistic netfilter events, as an
// ingest does: a first ingest (the dedup check finds the batch's time range
// empty and costs one count), a re-ingest (every event is found stored and
// nothing is written), and the insert alone, without the check. Batch sizes
// vary, and the path: the native protocol, with LZ4 or without, or HTTP in
// RowBinary (a server of the benchmark's own unless
// $HOMESOC_TEST_CLICKHOUSE_HTTP_PORT names the shared server's).
func BenchmarkWriteNetwork(b *testing.B) {
	server := chtest.URL(b)
	for _, bc := range []struct {
		name     string
		batch    int
		compress bool
	}{
		{"batch=10k", 10_000, false},
		{"batch=50k", 50_000, false},
		{"batch=100k", 100_000, false},
		{"batch=200k", 200_000, false},
		{"batch=100k/lz4", 100_000, true},
		{"batch=100k/http", 100_000, false},
		{"batch=200k/http", 200_000, false},
	} {
		addr := server
		if bc.compress {
			addr = withParam(b, server, "compress", "lz4")
		}
		if strings.HasSuffix(bc.name, "/http") {
			addr = withHTTP(b, server)
		}
		b.Run(bc.name+"/first", func(b *testing.B) {
			s := openTemp(b, addr)
			benchmarkWrite(b, bc.batch, func(evs []event.Network) (int, error) {
				return s.WriteNetwork(context.Background(), evs)
			})
		})
		if bc.compress {
			continue
		}
		b.Run(bc.name+"/insert-only", func(b *testing.B) {
			s := openTemp(b, addr)
			rows := make([]int32, bc.batch)
			for i := range rows {
				rows[i] = int32(i)
			}
			benchmarkWrite(b, bc.batch, func(evs []event.Network) (int, error) {
				return len(evs), s.insertNetwork(context.Background(), evs, rows)
			})
		})
		b.Run(bc.name+"/reingest", func(b *testing.B) {
			s := openTemp(b, addr)
			// Store b.N batches first; then write each again.
			evs := make([]event.Network, bc.batch)
			for i := 0; i < b.N; i++ {
				fill(evs, i)
				if _, err := s.WriteNetwork(context.Background(), evs); err != nil {
					b.Fatal(err)
				}
			}
			benchmarkWrite(b, bc.batch, func(evs []event.Network) (int, error) {
				n, err := s.WriteNetwork(context.Background(), evs)
				if n != 0 {
					return n, fmt.Errorf("re-ingest stored %d events", n)
				}
				return len(evs), err
			})
		})
	}
}

// benchmarkWrite times write over b.N batches of size events, the i-th
// holding netfilter events i*size..., and reports events/s and the client's
// CPU time per event. write returns how many events it handled.
func benchmarkWrite(b *testing.B, size int, write func([]event.Network) (int, error)) {
	evs := make([]event.Network, size)
	var cpu, wall time.Duration
	for i := 0; i < b.N; i++ {
		fill(evs, i)
		c0, t0 := cpuTime(), time.Now()
		n, err := write(evs)
		wall += time.Since(t0)
		cpu += cpuTime() - c0
		if err != nil {
			b.Fatal(err)
		}
		if n != size {
			b.Fatalf("wrote %d events, want %d", n, size)
		}
	}
	b.ReportMetric(float64(b.N*size)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*size), "client-cpu-ns/event")
	b.ReportMetric(0, "ns/op") // the loop includes building the events
}

// fill sets evs to batch i of netfilter events.
func fill(evs []event.Network, i int) {
	for j := range evs {
		evs[j] = storetest.NetfilterEvent(i*len(evs) + j)
	}
}

// cpuTime is the CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClusterWriteNetwork writes batches of 100k netfilter events to a
// cluster of two shards on this host, through the Distributed table with
// insert_distributed_sync, natively and over HTTP.
func BenchmarkClusterWriteNetwork(b *testing.B) {
	chtest.URL(b)
	servers := chtest.StartCluster(b, "hs", 2)
	for _, bc := range []struct{ name, url string }{
		{"native", withParam(b, servers[0].URL(), "cluster", "hs")},
		{"http", withParam(b, httpURL(b, servers[0]), "cluster", "hs")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := openTemp(b, bc.url)
			benchmarkWrite(b, 100_000, func(evs []event.Network) (int, error) {
				return s.WriteNetwork(context.Background(), evs)
			})
		})
	}
}
