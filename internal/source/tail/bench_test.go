package tail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// discard confirms every batch at once.
type discard struct{}

func (discard) Submit(_ context.Context, _ []source.Record, done func(error)) error {
	done(nil)
	return nil
}
func (discard) Offer([]source.Record) bool { return true }

// BenchmarkTail measures lines per second from a file through the tailer,
// checkpoints included, into a sink that discards them.
func BenchmarkTail(b *testing.B) {
	dir := b.TempDir()
	log := filepath.Join(dir, "a.log")
	line := "Nov 28 10:00:00 fw kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.1 LEN=60 PROTO=TCP SPT=51000 DPT=22 SYN\n"
	f, err := os.Create(log)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 1<<20)
	for i := 0; i < b.N; i++ {
		buf = append(buf, line...)
		if len(buf) > 1<<20-len(line) || i == b.N-1 {
			f.Write(buf)
			buf = buf[:0]
		}
	}
	f.Close()
	tl, err := New(Config{Paths: []string{log}, Checkpoints: filepath.Join(dir, "cp.json"), Poll: time.Millisecond}, discard{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.SetBytes(int64(len(line)))
	b.ResetTimer()
	go func() { done <- tl.Run(ctx) }()
	for tl.Stats().Lines < int64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	if st := tl.Stats(); st.Lines != int64(b.N) {
		b.Fatal(fmt.Sprint(st))
	}
}
