package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// TestWriteNetworkChunks writes batches larger than a DuckDB vector, with
// repeats within and across batches, and checks exact counts and rows, with
// stored duplicates excluded by the INSERT and by a separate probe.
func TestWriteNetworkChunks(t *testing.T) {
	for _, maxJoined := range []int64{maxJoinedStored, 0} {
		t.Run(fmt.Sprint("maxJoined=", maxJoined), func(t *testing.T) { testWriteNetworkChunks(t, maxJoined) })
	}
}

// testWriteNetworkChunks is TestWriteNetworkChunks with stored duplicates
// found by the INSERT if at most maxJoined are in a batch's range, else by a
// probe.
func testWriteNetworkChunks(t *testing.T, maxJoined int64) {
	ctx := context.Background()
	s := open(t)
	const n = 5000
	evs := make([]event.Network, 0, n+n/10)
	for i := range n {
		evs = append(evs, storetest.MixedEvent(i))
		if i%10 == 9 {
			evs = append(evs, storetest.MixedEvent(i-5)) // a repeat within the batch
		}
	}
	for i, want := range []int{n, 0} { // the second write finds all stored
		got, err := s.writeNetwork(ctx, evs, maxJoined)
		if err != nil || got != want {
			t.Fatalf("write %d: stored %d, %v; want %d", i+1, got, err, want)
		}
	}
	// Half stored, half new, the new ones repeated.
	more := make([]event.Network, 0, 3*n/2)
	for i := n / 2; i < 3*n/2; i++ {
		more = append(more, storetest.MixedEvent(i))
	}
	more = append(more, more[len(more)-n/2:]...)
	if got, err := s.writeNetwork(ctx, more, maxJoined); err != nil || got != n/2 {
		t.Fatalf("third write: stored %d, %v; want %d", got, err, n/2)
	}
	c, err := s.Counts(ctx)
	if err != nil || c["network_events"] != 3*n/2 {
		t.Fatalf("counts %v, %v; want %d network events", c, err, 3*n/2)
	}
	res, err := s.Query(ctx, `SELECT count(DISTINCT event_id), count(*) FROM network_events`)
	if err != nil || fmt.Sprint(res.Rows) != fmt.Sprintf("[[%d %d]]", 3*n/2, 3*n/2) {
		t.Fatalf("distinct ids: %v, %v", res, err)
	}

	for _, i := range []int{0, 1, 2, 2047, 2048, 2049, 4095, 4096, 4999, 5000, 7499} {
		storetest.CheckStored(t, s, storetest.MixedEvent(i))
	}
	// Spot checks of the text forms, independent of addrText.
	res, err = s.Query(ctx, `SELECT src_ip, dst_ip, nat_ip, date_diff('second', time, end_time) FROM network_events
		WHERE raw = '`+storetest.MixedEvent(3).Raw+`' OR raw = '`+storetest.MixedEvent(4).Raw+`' OR raw = '`+storetest.MixedEvent(5).Raw+`' ORDER BY raw`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(res.Rows), "[[2001:db8::3 2001:db8::53 203.0.113.9 3] [198.51.0.0 192.168.1.4  0] [198.51.0.0 192.168.1.5  0]]"; got != want {
		t.Errorf("addresses\n got %s\nwant %s", got, want)
	}
}

// TestNetworkBatchFuncInternal checks that the table function cannot be read
// outside the writer.
func TestNetworkBatchFuncInternal(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.WriteNetwork(ctx, []event.Network{storetest.MixedEvent(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Query(ctx, `SELECT * FROM `+networkBatchFunc+`()`); err == nil {
		t.Fatal("reading the table function from a query worked")
	}
}

// BenchmarkWriteNetworkNetfilter writes batches of 100,000 realistic
// netfilter events, as an ingest does, and then checkpoints, which an ingest
// does when it closes the store: DuckDB defers part of its work to it.
func BenchmarkWriteNetworkNetfilter(b *testing.B) {
	benchmarkWriteNetwork(b, open(b), 100_000)
}

func benchmarkWriteNetwork(b *testing.B, s *Store, batch int) {
	ctx := context.Background()
	evs := make([]event.Network, batch)
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range evs {
			evs[j] = storetest.NetfilterEvent(i*batch + j)
		}
		c0 := cpuTime()
		b.StartTimer()
		n, err := s.WriteNetwork(ctx, evs)
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
	c0 := cpuTime()
	if _, err := s.conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		b.Fatal(err)
	}
	cpu += cpuTime() - c0
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

// TestWriteNetworkDenseHour writes batches whose times all fall in the same
// hour, so every batch's range holds everything stored before it: the
// duplicate check must stay within the 80 MB buffer pool (it ran out at
// 400,000 stored events when the INSERT joined up to 1M of them).
func TestWriteNetworkDenseHour(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 600,000 events")
	}
	ctx := context.Background()
	s := open(t)
	t0 := time.Date(2026, 4, 6, 16, 0, 0, 0, time.UTC)
	const batches, size = 6, 100_000
	for b := range batches {
		evs := make([]event.Network, size)
		for j := range evs {
			i := b*size + j
			evs[j] = storetest.NetfilterEvent(i)
			evs[j].Time = t0.Add(time.Duration(i*7919%3600) * time.Second)
		}
		if got, err := s.WriteNetwork(ctx, evs); err != nil || got != size {
			t.Fatalf("batch %d: stored %d, %v; want %d", b+1, got, err, size)
		}
	}
}

// TestWriteBesideHeavyQuery runs a query that fills the buffer pool (distinct
// counts over millions of groups) again and again while batches are written.
// Beside such a query a write could not allocate the vectors it fills from
// Go, and DuckDB's exception, thrown through the Go frames of
// networkBatchFunc, aborted the process (serve, under port-scan-burst at
// 50,000 events/s). Queries and writes take turns: every write must land,
// and the queries may fail only for want of memory.
func TestWriteBesideHeavyQuery(t *testing.T) {
	ctx := context.Background()
	s, err := OpenLimit(ctx, filepath.Join(t.TempDir(), "homesoc.duckdb"), "48MB")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const batch, batches = 10_000, 40
	write := func(b int) {
		evs := make([]event.Network, batch)
		for j := range evs {
			evs[j] = storetest.NetfilterEvent(b*batch + j)
			evs[j].Raw += strings.Repeat(" padding", 8) // strings DuckDB cannot inline
		}
		if n, err := s.WriteNetwork(ctx, evs); err != nil || n != batch {
			t.Fatalf("batch %d: stored %d, %v", b, n, err)
		}
	}
	write(0)
	done := make(chan struct{})
	var queries, failed atomic.Int64
	go func() {
		defer close(done)
		for {
			_, err := s.Query(ctx, `SELECT raw, count(DISTINCT dst_port), count(DISTINCT src_port)
				FROM (SELECT raw || i AS raw, dst_port, src_port FROM network_events, range(8) AS r(i))
				GROUP BY raw ORDER BY 2 DESC LIMIT 1`)
			switch {
			case err == nil:
			case strings.Contains(err.Error(), "Out of Memory"):
				failed.Add(1)
			default:
				t.Errorf("query: %v", err)
				return
			}
			if queries.Add(1) >= batches {
				return
			}
		}
	}()
	for b := 1; b < batches; b++ {
		write(b)
	}
	<-done
	var n int64
	if err := s.conn.QueryRowContext(ctx, "SELECT count(*) FROM network_events").Scan(&n); err != nil || n != batch*batches {
		t.Fatalf("stored %d events, %v; want %d", n, err, batch*batches)
	}
	t.Logf("%d queries beside the writes, %d out of memory", queries.Load(), failed.Load())
}
