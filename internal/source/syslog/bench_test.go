package syslog

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// countSink counts the records it takes and keeps none.
type countSink struct{ n atomic.Int64 }

func (s *countSink) Submit(_ context.Context, recs []source.Record, done func(error)) error {
	s.n.Add(int64(len(recs)))
	if done != nil {
		done(nil)
	}
	return nil
}

func (s *countSink) Offer(recs []source.Record) bool {
	s.n.Add(int64(len(recs)))
	return true
}

const benchMsg = "<4>Nov 28 10:00:00 router kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.5 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT=51234 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0"

func BenchmarkTCP(b *testing.B) {
	for _, framing := range []string{"newline", "octet"} {
		b.Run(framing, func(b *testing.B) {
			frame := benchMsg + "\n"
			if framing == "octet" {
				frame = fmt.Sprintf("%d %s", len(benchMsg), benchMsg)
			}
			const per = 1000
			chunk := make([]byte, 0, per*len(frame))
			for range per {
				chunk = append(chunk, frame...)
			}
			sink := &countSink{}
			l, _ := serve(b, Config{Listen: "tcp://127.0.0.1:0"}, sink)
			c := dial(b, "tcp", l)
			b.SetBytes(int64(len(frame)))
			b.ResetTimer()
			start := time.Now()
			for sent := 0; sent < b.N; sent += per {
				n := min(per, b.N-sent)
				if _, err := c.Write(chunk[:n*len(frame)]); err != nil {
					b.Fatal(err)
				}
			}
			for sink.n.Load() < int64(b.N) {
				time.Sleep(100 * time.Microsecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

func BenchmarkUDP(b *testing.B) {
	sink := &countSink{}
	l, _ := serve(b, Config{Listen: "udp://127.0.0.1:0"}, sink)
	c := dial(b, "udp", l).(*net.UDPConn)
	msg := []byte(benchMsg)
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
	}
	// Datagrams the kernel dropped never come: wait until none arrive.
	last, still := sink.n.Load(), time.Now()
	for sink.n.Load() < int64(b.N) && time.Since(still) < 50*time.Millisecond {
		time.Sleep(100 * time.Microsecond)
		if n := sink.n.Load(); n != last {
			last, still = n, time.Now()
		}
	}
	got := sink.n.Load()
	elapsed := time.Since(start)
	if got < int64(b.N) {
		elapsed = still.Sub(start)
	}
	b.ReportMetric(float64(got)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(100*float64(int64(b.N)-got)/float64(b.N), "%lost")
}
