package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/source"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

func nfLine(i int, src string) []byte {
	return fmt.Appendf(nil, "2026-11-28T10:%02d:%02d router kernel: DROP IN=ppp0 OUT= MAC= SRC=%s DST=203.0.113.7 LEN=60 TTL=49 ID=%d PROTO=TCP SPT=%d DPT=22 SYN URGP=0",
		i/60%60, i%60, src, i, 1024+i)
}

const fgLine = `date=2026-11-28 time=10:00:01 devname="FGT60F" devid="FGT60FTK0000" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=192.168.1.10 srcport=51000 srcintf="internal" dstip=198.51.100.99 dstport=443 dstintf="wan1" proto=6 action="close" policyid=1 service="HTTPS" duration=10 sentbyte=100 rcvdbyte=200`

// runIngester starts an Ingester on a fresh DuckDB store and stops it at
// the test's end.
func runIngester(t *testing.T, cfg pipeline.LiveConfig) (*pipeline.Ingester, *duckdb.Store) {
	t.Helper()
	st, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	in := pipeline.NewIngester(st, cfg)
	ran := make(chan error, 1)
	go func() { ran <- in.Run(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := in.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := <-ran; err != nil {
			t.Error(err)
		}
		st.Close()
	})
	return in, st
}

func TestIngesterDetectsPerSenderAndFlushes(t *testing.T) {
	var writes atomic.Int64
	in, st := runIngester(t, pipeline.LiveConfig{FlushInterval: 50 * time.Millisecond,
		OnWrite: func(w pipeline.Written) { writes.Add(1) }})
	c2 := event.Indicator{ID: event.IndicatorID("feodo", "ip", "198.51.100.99"), Type: "ip", Value: "198.51.100.99", Feed: "feodo", Active: true}
	in.SetMatcher(intel.NewMatcher([]event.Indicator{c2}))
	now := time.Date(2026, 11, 28, 10, 5, 0, 0, time.UTC)
	recs := []source.Record{
		{Source: "syslog+udp://192.0.2.1", Line: nfLine(1, "198.51.100.1"), Received: now},
		{Source: "syslog+udp://192.0.2.2", Line: []byte(fgLine), Received: now},
		{Source: "syslog+udp://192.0.2.1", Line: []byte("this line is in no format"), Received: now},
		{Source: "syslog+udp://192.0.2.1", Line: nfLine(2, "198.51.100.2"), Received: now},
		{Source: "syslog+udp://192.0.2.3", Line: []byte("no format either"), Received: now},
		{Source: "netflow://192.0.2.9", Format: "netflow", Line: []byte("00ff"), Reject: "no template 256", Received: now},
	}
	done := make(chan error, 1)
	start := time.Now()
	if err := in.Submit(context.Background(), recs, func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("records not written within 5s")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a flush interval of 50ms took %v", took)
	}
	counts, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts["network_events"] != 3 || counts["sightings"] != 1 || counts["rejects"] != 3 {
		t.Errorf("counts %v, want 3 events (2 netfilter, 1 fortigate), 1 sighting, 3 rejects", counts)
	}
	s := in.Stats()
	want := map[pipeline.SourceKey]pipeline.SourceCounts{
		{Kind: "syslog+udp", Format: "netfilter"}: {Read: 3, Rejected: 1},
		{Kind: "syslog+udp", Format: "fortigate"}: {Read: 1},
		{Kind: "syslog+udp", Format: "unknown"}:   {Read: 1, Rejected: 1},
		{Kind: "netflow", Format: "netflow"}:      {Read: 1, Rejected: 1},
	}
	for k, w := range want {
		if g := s.Sources[k]; g == nil || *g != w {
			t.Errorf("%v: got %+v, want %+v", k, g, w)
		}
	}
	if len(s.Sources) != len(want) || s.Tables["network_events"].Stored != 3 || s.Sightings != 1 || writes.Load() == 0 {
		t.Errorf("stats %+v, writes %d", s, writes.Load())
	}
}

func TestIngesterBackPressureAndClose(t *testing.T) {
	st, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var recs []source.Record
	var room int64 // the first 100 records' share of the queue: its size here
	for i := range 141 {
		recs = append(recs, source.Record{Source: "syslog+tcp://192.0.2.1", Format: "netfilter",
			Line: nfLine(i, "198.51.100.1"), Received: time.Now()})
		if i < 100 {
			room += int64(len(recs[i].Line)) + 256
		}
	}
	in := pipeline.NewIngester(st, pipeline.LiveConfig{QueueBytes: room, BatchSize: 50, FlushInterval: time.Hour})
	// Not running yet, so the queue fills: Offer takes all or nothing.
	if !in.Offer(recs[:60]) || in.Offer(recs[60:101]) || !in.Offer(recs[60:100]) {
		t.Fatal("Offer: want 60 taken, 41 refused with 40 places free, then 40 taken")
	}
	if q := in.Stats().Queued; q != 100 {
		t.Errorf("queued %d, want 100", q)
	}
	submitted := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		submitted <- in.Submit(context.Background(), recs[100:], func(err error) { done <- err })
	}()
	select {
	case err := <-submitted:
		t.Fatalf("Submit returned (%v) while the queue was full", err)
	case <-time.After(100 * time.Millisecond):
	}
	ran := make(chan error, 1)
	go func() { ran <- in.Run(context.Background()) }()
	select {
	case err := <-submitted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Submit still blocked 5s after Run started")
	}
	// A flush interval of an hour: Close must write what is held.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("done: %v", err)
	}
	if err := in.Submit(context.Background(), recs[:1], nil); !errors.Is(err, pipeline.ErrClosed) {
		t.Errorf("Submit after Close: %v, want ErrClosed", err)
	}
	counts, err := st.Counts(context.Background())
	if err != nil || counts["network_events"] != 141 {
		t.Errorf("stored %d events, want all 141 (%v)", counts["network_events"], err)
	}
}

// A relay forwards several devices' lines from one address: each line is
// parsed in the format it shows, none rejected.
func TestIngesterSenderOfSeveralFormats(t *testing.T) {
	in, st := runIngester(t, pipeline.LiveConfig{FlushInterval: 20 * time.Millisecond})
	now := time.Now()
	var recs []source.Record
	for i, l := range [][]byte{nfLine(1, "198.51.100.1"), []byte(fgLine), nfLine(2, "198.51.100.2"), []byte(strings.Replace(fgLine, "srcport=51000", "srcport=51001", 1)), nfLine(3, "198.51.100.3")} {
		recs = append(recs, source.Record{Source: "syslog+tcp://192.0.2.50", Line: l, Received: now.Add(time.Duration(i))})
	}
	done := make(chan error, 1)
	if err := in.Submit(context.Background(), recs, func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s := in.Stats()
	nf, fg := s.Sources[pipeline.SourceKey{Kind: "syslog+tcp", Format: "netfilter"}], s.Sources[pipeline.SourceKey{Kind: "syslog+tcp", Format: "fortigate"}]
	if nf == nil || fg == nil || nf.Read != 3 || fg.Read != 2 || nf.Rejected+fg.Rejected != 0 {
		t.Errorf("by format: netfilter %+v, fortigate %+v; want 3 and 2 lines, none rejected", nf, fg)
	}
	if c, err := st.Counts(context.Background()); err != nil || c["network_events"] != 5 {
		t.Errorf("stored %v (%v), want 5 events", c["network_events"], err)
	}
}

// Many submitters waiting for room at once: each takes its room whole, so
// they cannot share the queue out between them and all wait for ever.
func TestIngesterSubmittersDoNotStarve(t *testing.T) {
	line := nfLine(1, "198.51.100.1")
	in, _ := runIngester(t, pipeline.LiveConfig{QueueBytes: 10 * int64(len(line)+256), BatchSize: 4, FlushInterval: time.Millisecond})
	var done atomic.Int64
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 25 {
					recs := make([]source.Record, 9)
					for j := range recs {
						recs[j] = source.Record{Source: "syslog+tcp://192.0.2.1", Line: nfLine(g*10000+i*10+j, "198.51.100.1"), Received: time.Now()}
					}
					if err := in.Submit(context.Background(), recs, nil); err != nil {
						t.Error(err)
						return
					}
					done.Add(1)
				}
			})
		}
		wg.Wait()
	}()
	select {
	case <-finished:
	case <-time.After(30 * time.Second):
		t.Fatalf("submitters stuck: %d of 200 submissions taken, %d records queued", done.Load(), in.Stats().Queued)
	}
}

// One router logs OpenVPN and firewall lines over one syslog stream: the
// OpenVPN parser it switches back to still knows who authenticated.
func TestIngesterSenderKeepsEachFormatsParser(t *testing.T) {
	in, st := runIngester(t, pipeline.LiveConfig{FlushInterval: 10 * time.Millisecond})
	vpn := []string{
		"2024-05-01 10:00:01 198.51.100.7:51234 TLS: Username/Password authentication succeeded for username 'kimura'",
		"2024-05-01 10:00:01 198.51.100.7:51234 [laptop-kimura] Peer Connection Initiated with [AF_INET]198.51.100.7:51234",
		"2024-05-01 10:00:01 laptop-kimura/198.51.100.7:51234 MULTI: Learn: 172.16.1.10 -> laptop-kimura/198.51.100.7:51234",
	}
	var recs []source.Record
	for i, l := range vpn {
		recs = append(recs, source.Record{Source: "syslog+udp://192.0.2.1", Line: []byte(l), Received: time.Now()},
			source.Record{Source: "syslog+udp://192.0.2.1", Line: nfLine(i, "198.51.100.1"), Received: time.Now()})
	}
	done := make(chan error, 1)
	if err := in.Submit(context.Background(), recs, func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	res, err := st.Query(context.Background(), "SELECT DISTINCT user_name FROM vpn_sessions WHERE user_name <> ''")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][0] != "kimura" {
		t.Errorf("VPN users %v, want only kimura: the OpenVPN parser forgot the authentication", res.Rows)
	}
}
