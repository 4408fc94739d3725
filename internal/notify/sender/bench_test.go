package sender_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/sender"
)

// BenchmarkDeliver delivers 10,000 notifications of one integration to a
// receiver that accepts at once, through a DuckDB outbox: the sender's and
// the store's cost per notification (read in pages, one update each), and
// the heap in use after a run, which should not grow with the outbox.
func BenchmarkDeliver(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	var ns []notify.Notification
	for i := range n {
		ns = append(ns, note(fmt.Sprintf("m%05d", i), "file/jsonl/0"))
	}
	var sent int
	rcv := receiverFunc(func(context.Context, *notify.Notification) error { sent++; return nil })
	var heap uint64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		st := openStore(b)
		enqueue(b, st, ns...)
		s := sender.New(st, map[string]notify.Receiver{"file/jsonl/0": rcv}, sender.Options{})
		runtime.GC()
		b.StartTimer()
		rep, err := s.Deliver(ctx, time.Minute)
		b.StopTimer()
		if err != nil || rep.Delivered != n {
			b.Fatalf("%+v, %v", rep, err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = max(heap, ms.HeapInuse)
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/notification")
	b.ReportMetric(float64(heap)/(1<<20), "MiB-heap")
}
