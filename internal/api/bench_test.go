package api

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/pipeline"
)

// benchBatch is how many events a pushed batch holds.
const benchBatch = 100_000

// BenchmarkIngestGzip pushes gzip batches of new events through the
// handler (loopback HTTP, gzip decoding, the pipeline, DuckDB) and
// reports events/s; the batches are made outside the timer.
func BenchmarkIngestGzip(b *testing.B) {
	for _, c := range []struct {
		format string
		line   func(n int) string
	}{
		{"flow-json", func(n int) string {
			t := time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Millisecond)
			return fmt.Sprintf(`{"id":"f%011d","protocol":"TCP","src_addr":"10.%d.%d.%d","src_port":%d,"dst_addr":"203.0.113.%d","dst_port":443,"first_seen_at":"%s","last_seen_at":"%s","src_bytes":1520,"dst_bytes":48213,"src_packets":42,"dst_packets":51,"status":"closed"}`+"\n",
				n, n>>16&255, n>>8&255, n&255, 1024+n%60000, n%250, t.Format(time.RFC3339Nano), t.Add(12*time.Second).Format(time.RFC3339Nano))
		}},
		{"netfilter", func(n int) string {
			t := time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC).Add(time.Duration(n/50) * time.Second)
			return fmt.Sprintf("%s router kernel: DROP IN=ppp0 OUT= MAC= SRC=10.%d.%d.%d DST=203.0.113.7 LEN=60 TTL=50 PROTO=TCP SPT=%d DPT=23 SYN\n",
				t.Format("2006-01-02T15:04:05"), n>>16&255, n>>8&255, n&255, 1024+n%60000)
		}},
	} {
		for _, via := range []string{"http-gzip", "pipeline"} {
			b.Run(c.format+"/"+via, func(b *testing.B) {
				e := newEnv(b, nil)
				var raw, zipped int
				n := 0
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					var sb strings.Builder
					for range benchBatch {
						sb.WriteString(c.line(n))
						n++
					}
					raw += sb.Len()
					var st ingestReply
					if via == "pipeline" { // the same work without HTTP and gzip
						b.StartTimer()
						var err error
						st.Stats, err = pipeline.Run(context.Background(), e.st, pipeline.Source{Name: "bench", R: strings.NewReader(sb.String())},
							pipeline.Config{Format: c.format})
						if err != nil || st.Stored != benchBatch {
							b.Fatalf("%+v %v", st.Stats, err)
						}
						continue
					}
					body := gz(b, []byte(sb.String()))
					zipped += len(body)
					b.StartTimer()
					r := e.do("POST", "/api/v1/ingest?format="+c.format, bytes.NewReader(body), "Content-Encoding", "gzip")
					r.json(b, &st)
					if r.status != 200 || st.Stored != benchBatch {
						b.Fatalf("%d %.300s", r.status, r.body)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
				if zipped > 0 {
					b.ReportMetric(float64(raw)/float64(zipped), "gzip-ratio")
				}
			})
		}
	}
}
