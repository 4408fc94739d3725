package duckdb

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
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

// mixedEvent is event i of a batch that varies every column, with IPv6
// addresses, flows with an end time and NAT address, and repeats.
func mixedEvent(i int) event.Network {
	ev := netfilterEvent(i)
	switch i % 3 {
	case 0: // a flow over IPv6, with every field set
		ev.Kind, ev.Format, ev.Protocol, ev.Direction = event.KindFlow, "flowjson", "udp", event.DirOutbound
		ev.SrcIP = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)})
		ev.DstIP = netip.MustParseAddr("2001:db8::53")
		ev.EndTime = ev.Time.Add(time.Duration(i%50) * time.Second)
		ev.DurationS = float64(i%50) + 0.25
		ev.BytesOut, ev.BytesIn, ev.PacketsOut, ev.PacketsIn = uint64(i)<<20, uint64(i), uint64(i%7), 3
		ev.TCPFlags, ev.OutIface, ev.DeviceID, ev.Hostname = "", "eth1", fmt.Sprint("dev-", i%4), "host-ä"
		ev.UserName, ev.Status = "alice", "SF"
		ev.NATIP = netip.MustParseAddr("::ffff:203.0.113.9") // stored unmapped
	case 1: // IPv4-mapped IPv6 source, stored as IPv4
		ev.SrcIP = netip.AddrFrom16(ev.SrcIP.As16())
	}
	return ev
}

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
		evs = append(evs, mixedEvent(i))
		if i%10 == 9 {
			evs = append(evs, mixedEvent(i-5)) // a repeat within the batch
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
		more = append(more, mixedEvent(i))
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
		checkStored(t, s, mixedEvent(i))
	}
	// Spot checks of the text forms, independent of addrText.
	res, err = s.Query(ctx, `SELECT src_ip, dst_ip, nat_ip, date_diff('second', time, end_time) FROM network_events
		WHERE raw = '`+mixedEvent(3).Raw+`' OR raw = '`+mixedEvent(4).Raw+`' OR raw = '`+mixedEvent(5).Raw+`' ORDER BY raw`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(res.Rows), "[[2001:db8::3 2001:db8::53 203.0.113.9 3] [198.51.0.0 192.168.1.4  0] [198.51.0.0 192.168.1.5  0]]"; got != want {
		t.Errorf("addresses\n got %s\nwant %s", got, want)
	}
}

// TestWriteNetworkOne writes batches of one event, where every text column
// is constant.
func TestWriteNetworkOne(t *testing.T) {
	s := open(t)
	for i := range 3 {
		if n, err := s.WriteNetwork(context.Background(), []event.Network{mixedEvent(i)}); err != nil || n != 1 {
			t.Fatalf("event %d: stored %d, %v", i, n, err)
		}
		checkStored(t, s, mixedEvent(i))
	}
}

// checkStored checks that e is stored with all its values.
func checkStored(t *testing.T, s *Store, e event.Network) {
	t.Helper()
	res, err := s.Query(context.Background(), fmt.Sprintf(`SELECT event_id::VARCHAR, time, end_time, duration_s,
		kind, action, direction, protocol, src_ip, src_port, dst_ip, dst_port, bytes_out, bytes_in,
		packets_out, packets_in, ttl, tcp_flags, in_iface, out_iface, nat_ip, device_id, hostname,
		user_name, sensor, format, status, raw
		FROM network_events WHERE event_id = '%s'`, e.ID))
	if err != nil {
		t.Fatal(err)
	}
	end := e.EndTime
	if end.IsZero() {
		end = e.Time
	}
	want := []any{e.ID.String(), e.Time, end, e.DurationS, e.Kind, e.Action, e.Direction,
		e.Protocol, addrText(e.SrcIP), int32(e.SrcPort), addrText(e.DstIP), int32(e.DstPort),
		int64(e.BytesOut), int64(e.BytesIn), int64(e.PacketsOut), int64(e.PacketsIn), int32(e.TTL),
		e.TCPFlags, e.InIface, e.OutIface, addrText(e.NATIP), e.DeviceID, e.Hostname, e.UserName,
		e.Sensor, e.Format, e.Status, e.Raw}
	if got, want := fmt.Sprintf("%#v", res.Rows), fmt.Sprintf("%#v", [][]any{want}); got != want {
		t.Errorf("event %s:\n got %s\nwant %s", e.ID, got, want)
	}
}

// TestWriteNetworkConcurrent writes overlapping batches from several
// goroutines: each event is stored once and counted once.
func TestWriteNetworkConcurrent(t *testing.T) {
	s := open(t)
	const writers, batch = 4, 3000
	var wg sync.WaitGroup
	var stored atomic.Int64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := make([]event.Network, batch)
			for i := range evs {
				evs[i] = mixedEvent(w*batch/2 + i)
			}
			n, err := s.WriteNetwork(context.Background(), evs)
			if err != nil {
				t.Error(err)
			}
			stored.Add(int64(n))
		}()
	}
	wg.Wait()
	want := int64((writers + 1) * batch / 2)
	c, err := s.Counts(context.Background())
	if err != nil || stored.Load() != want || c["network_events"] != want {
		t.Fatalf("stored %d, counts %v, %v; want %d", stored.Load(), c, err, want)
	}
}

// TestWriteNetworkCancel checks that a cancelled context stops a write and
// stores nothing.
func TestWriteNetworkCancel(t *testing.T) {
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := s.WriteNetwork(ctx, []event.Network{mixedEvent(1)}); err == nil || n != 0 {
		t.Fatalf("stored %d, %v; want a context error", n, err)
	}
	if n, err := s.WriteNetwork(context.Background(), []event.Network{mixedEvent(1)}); err != nil || n != 1 {
		t.Fatalf("after cancel: stored %d, %v; want 1", n, err)
	}
}

// TestNetworkBatchFuncInternal checks that the table function cannot be read
// outside the writer.
func TestNetworkBatchFuncInternal(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.WriteNetwork(ctx, []event.Network{mixedEvent(1)}); err != nil {
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
			evs[j] = netfilterEvent(i*batch + j)
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
