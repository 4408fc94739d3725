package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

func testWriteNetworkDedup(t *testing.T, s store.Store) {
	ctx := context.Background()
	evs := []event.Network{TestEvent(1), TestEvent(2), TestEvent(1), TestEvent(3)}
	n, err := s.WriteNetwork(ctx, evs)
	if err != nil || n != 3 {
		t.Fatalf("first write: stored %d, %v; want 3 (one repeat within the batch)", n, err)
	}
	n, err = s.WriteNetwork(ctx, []event.Network{TestEvent(3), TestEvent(4)})
	if err != nil || n != 1 {
		t.Fatalf("second write: stored %d, %v; want 1", n, err)
	}
	if n, err := s.WriteNetwork(ctx, nil); err != nil || n != 0 {
		t.Fatalf("empty write: stored %d, %v", n, err)
	}
	got := query(t, s, `SELECT event_id, time, end_time, src_ip, dst_ip, dst_port, raw FROM network_events WHERE raw = 'line 2'`)
	e := TestEvent(2)
	want := fmt.Sprintf("[[%s %s %s 198.51.100.7 192.168.1.2 1900 line 2]]", e.ID, e.Time, e.Time)
	if got != want {
		t.Errorf("stored row\n got %s\nwant %s", got, want)
	}
	if c := counts(t, s)["network_events"]; c != 4 {
		t.Errorf("%d network events, want 4", c)
	}
}

// testWriteNetworkReingest writes the same batches twice, as ingesting a file
// again does: the second time stores nothing, and a batch half stored, half
// new (its new events repeated) stores the new ones once.
func testWriteNetworkReingest(t *testing.T, s store.Store) {
	ctx := context.Background()
	const batches, size = 3, 2000
	batch := func(b int) []event.Network {
		evs := make([]event.Network, size)
		for i := range evs {
			evs[i] = NetfilterEvent(b*size + i)
		}
		return evs
	}
	for pass, want := range []int{size, 0} {
		for b := range batches {
			if n, err := s.WriteNetwork(ctx, batch(b)); err != nil || n != want {
				t.Fatalf("pass %d batch %d: stored %d, %v; want %d", pass+1, b, n, err, want)
			}
		}
	}
	more := append(batch(batches - 1)[size/2:], batch(batches)...)
	more = append(more, batch(batches)[:size/4]...)
	if n, err := s.WriteNetwork(ctx, more); err != nil || n != size {
		t.Fatalf("overlapping batch: stored %d, %v; want %d", n, err, size)
	}
	total := (batches + 1) * size
	if got := query(t, s, `SELECT count(*), count(DISTINCT event_id) FROM network_events`); got != fmt.Sprintf("[[%d %d]]", total, total) {
		t.Errorf("count, distinct ids: %s; want %d of each", got, total)
	}
}

// testWriteNetworkMixed writes batches that vary every column, with repeats
// within and across batches, and checks exact counts and every stored value.
func testWriteNetworkMixed(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 5000
	evs := make([]event.Network, 0, n+n/10)
	for i := range n {
		evs = append(evs, MixedEvent(i))
		if i%10 == 9 {
			evs = append(evs, MixedEvent(i-5)) // a repeat within the batch
		}
	}
	for i, want := range []int{n, 0} { // the second write finds all stored
		got, err := s.WriteNetwork(ctx, evs)
		if err != nil || got != want {
			t.Fatalf("write %d: stored %d, %v; want %d", i+1, got, err, want)
		}
	}
	// Half stored, half new, the new ones repeated.
	more := make([]event.Network, 0, 3*n/2)
	for i := n / 2; i < 3*n/2; i++ {
		more = append(more, MixedEvent(i))
	}
	more = append(more, more[len(more)-n/2:]...)
	if got, err := s.WriteNetwork(ctx, more); err != nil || got != n/2 {
		t.Fatalf("third write: stored %d, %v; want %d", got, err, n/2)
	}
	if c := counts(t, s)["network_events"]; c != 3*n/2 {
		t.Fatalf("%d network events, want %d", c, 3*n/2)
	}
	if got := query(t, s, `SELECT count(DISTINCT event_id), count(*) FROM network_events`); got != fmt.Sprintf("[[%d %d]]", 3*n/2, 3*n/2) {
		t.Fatalf("distinct ids, rows: %s", got)
	}
	for _, i := range []int{0, 1, 2, 2047, 2048, 2049, 4095, 4096, 4999, 5000, 7499} {
		CheckStored(t, s, MixedEvent(i))
	}
	// Spot checks of the text forms, independent of AddrText.
	got := query(t, s, `SELECT src_ip, dst_ip, nat_ip, end_time, time FROM network_events
		WHERE raw IN ('`+MixedEvent(3).Raw+`', '`+MixedEvent(4).Raw+`', '`+MixedEvent(5).Raw+`') ORDER BY raw`)
	t3, t4, t5 := MixedEvent(3).Time, MixedEvent(4).Time, MixedEvent(5).Time
	if want := fmt.Sprintf("[[2001:db8::3 2001:db8::53 203.0.113.9 %s %s] [198.51.0.0 192.168.1.4  %s %s] [198.51.0.0 192.168.1.5  %s %s]]",
		t3.Add(3*time.Second), t3, t4, t4, t5, t5); got != want {
		t.Errorf("addresses and times\n got %s\nwant %s", got, want)
	}
}

// testWriteNetworkOne writes batches of one event, where every text column
// is constant.
func testWriteNetworkOne(t *testing.T, s store.Store) {
	for i := range 3 {
		if n, err := s.WriteNetwork(context.Background(), []event.Network{MixedEvent(i)}); err != nil || n != 1 {
			t.Fatalf("event %d: stored %d, %v", i, n, err)
		}
		CheckStored(t, s, MixedEvent(i))
	}
}

// CheckStored checks that e is stored with all its values, as the Go types
// rules get them: UUID text, UTC times, int32 ports and TTL, int64 byte and
// packet counts, float64 duration, strings.
func CheckStored(t *testing.T, s store.Store, e event.Network) {
	t.Helper()
	res, err := s.Query(context.Background(), fmt.Sprintf(`SELECT event_id, time, end_time, duration_s,
		kind, action, direction, protocol, src_ip, src_port, dst_ip, dst_port, bytes_out, bytes_in,
		packets_out, packets_in, ttl, tcp_flags, in_iface, out_iface, nat_ip, device_id, hostname,
		user_name, sensor, format, status, raw
		FROM network_events WHERE raw = '%s'`, e.Raw))
	if err != nil {
		t.Fatal(err)
	}
	end := e.EndTime
	if end.IsZero() {
		end = e.Time
	}
	want := []any{e.ID.String(), e.Time, end, e.DurationS, e.Kind, e.Action, e.Direction,
		e.Protocol, AddrText(e.SrcIP), int32(e.SrcPort), AddrText(e.DstIP), int32(e.DstPort),
		int64(e.BytesOut), int64(e.BytesIn), int64(e.PacketsOut), int64(e.PacketsIn), int32(e.TTL),
		e.TCPFlags, e.InIface, e.OutIface, AddrText(e.NATIP), e.DeviceID, e.Hostname, e.UserName,
		e.Sensor, e.Format, e.Status, e.Raw}
	if got, want := fmt.Sprintf("%#v", res.Rows), fmt.Sprintf("%#v", [][]any{want}); got != want {
		t.Errorf("event %s:\n got %s\nwant %s", e.ID, got, want)
	}
}

// testWriteNetworkConcurrent writes overlapping batches from several
// goroutines: each event is stored once and counted once.
func testWriteNetworkConcurrent(t *testing.T, s store.Store) {
	const writers, batch = 4, 3000
	var wg sync.WaitGroup
	var stored atomic.Int64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := make([]event.Network, batch)
			for i := range evs {
				evs[i] = MixedEvent(w*batch/2 + i)
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
	if c := counts(t, s)["network_events"]; stored.Load() != want || c != want {
		t.Fatalf("stored %d, counted %d; want %d", stored.Load(), c, want)
	}
}

// testWriteNetworkCancel checks that a cancelled context stops a write and
// stores nothing.
func testWriteNetworkCancel(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := s.WriteNetwork(ctx, []event.Network{MixedEvent(1)}); err == nil || n != 0 {
		t.Fatalf("stored %d, %v; want a context error", n, err)
	}
	if n, err := s.WriteNetwork(context.Background(), []event.Network{MixedEvent(1)}); err != nil || n != 1 {
		t.Fatalf("after cancel: stored %d, %v; want 1", n, err)
	}
}

func testRejects(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := func(line int64, raw string, at time.Time) event.Reject {
		return event.Reject{Time: at, Source: "fw.log", Line: line, Format: "netfilter", Reason: "no SRC=", Raw: raw, RawEncoding: event.RawText}
	}
	first := []event.Reject{r(7, "bad 7", T0.Add(time.Minute)), r(3, "bad 3", T0), r(7, "bad 7", T0.Add(time.Minute)), r(9, "bad 9", T0.Add(time.Minute))}
	if err := s.WriteRejects(ctx, first); err != nil {
		t.Fatal(err)
	}
	// The same file again, and another line: only that one is new.
	again := append([]event.Reject{r(11, "bad 11", T0.Add(2*time.Minute))}, first...)
	for i := range again[1:] {
		again[i+1].Time = T0.Add(24 * time.Hour)
	}
	if err := s.WriteRejects(ctx, again); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteRejects(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got, total, err := s.Rejects(ctx, T0, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []event.Reject{r(3, "bad 3", T0), r(7, "bad 7", T0.Add(time.Minute)), r(9, "bad 9", T0.Add(time.Minute)), r(11, "bad 11", T0.Add(2*time.Minute))}
	if total != 4 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rejects: %d in all, %v\nwant 4, %v", total, got, want)
	}
	got, total, err = s.Rejects(ctx, T0.Add(time.Second), 2)
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || fmt.Sprint(got) != fmt.Sprint(want[1:3]) {
		t.Errorf("rejects since T0+1s, 2 of them: %d in all, %v\nwant 3, %v", total, got, want[1:3])
	}
	if got[0].Time.Location() != time.UTC {
		t.Errorf("reject time in %v, want UTC", got[0].Time.Location())
	}
	if c := counts(t, s)["rejects"]; c != 4 {
		t.Errorf("%d rejects counted, want 4", c)
	}
}
