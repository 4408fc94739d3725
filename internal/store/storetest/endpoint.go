package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// EndpointState is state i of a device: kinds in turn interface (a private
// address), public_ip (a global IPv6 one), listen and device, one second
// after state i-1.
func EndpointState(i int) event.EndpointState {
	raw := fmt.Sprintf("state %d", i)
	st := event.EndpointState{
		ID: event.NewID("test", []byte(raw)), Time: T0.Add(time.Duration(i) * time.Second),
		DeviceID: fmt.Sprintf("aid-%d", i%2), Hostname: "laptop-ä", OS: "Windows 11", Platform: "Win",
		UserName: `CORP\alice`, Sensor: "crowdstrike", Format: "crowdstrike-fdr", Raw: raw,
	}
	switch i % 4 {
	case 0:
		st.Kind, st.Address = event.StateInterface, netip.AddrFrom4([4]byte{192, 168, 1, byte(i)})
		st.MAC, st.Interface = "52:54:00:aa:bb:cc", "Ethernet"
	case 1:
		st.Kind, st.Address = event.StatePublicIP, netip.MustParseAddr("2a00:1450:4001:81b::200e")
	case 2:
		st.Kind, st.Address = event.StateListen, netip.MustParseAddr("::ffff:0.0.0.0") // stored unmapped
		st.Port, st.Protocol = 3389, "tcp"
	case 3:
		st.Kind = event.StateDevice
	}
	return st
}

// checkState fails unless st is stored with every column as written.
func checkState(t *testing.T, s store.Store, st event.EndpointState, scope string) {
	t.Helper()
	res, err := s.Query(context.Background(), "SELECT "+store.EndpointColumns+
		fmt.Sprintf(" FROM endpoint_states WHERE raw = '%s'", st.Raw))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{st.ID.String(), st.Time, st.DeviceID, st.Hostname, st.Kind, AddrText(st.Address), scope,
		int32(st.Port), st.Protocol, st.MAC, st.Interface, st.OS, st.Platform, st.UserName, st.Sensor, st.Format, st.Raw}
	if got, want := fmt.Sprintf("%#v", res.Rows), fmt.Sprintf("%#v", [][]any{want}); got != want {
		t.Errorf("state %s:\n got %s\nwant %s", st.Raw, got, want)
	}
}

// testWriteEndpointStates stores states once each, repeats within a batch
// and across batches skipped, with every column and the address's scope,
// and records their ingest spans under endpoint_states.
func testWriteEndpointStates(t *testing.T, s store.Store) {
	ctx := context.Background()
	if n, err := s.WriteEndpointStates(ctx, nil); err != nil || n != 0 {
		t.Fatalf("empty batch: stored %d, %v", n, err)
	}
	batch := []event.EndpointState{EndpointState(0), EndpointState(1), EndpointState(0), EndpointState(2), EndpointState(3)}
	if n, err := s.WriteEndpointStates(ctx, batch); err != nil || n != 4 {
		t.Fatalf("stored %d, %v; want 4", n, err)
	}
	spans, err := s.IngestedSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 1 || spans[0].Table != "endpoint_states" || !spans[0].Min.Equal(T0) ||
		!spans[0].Max.Equal(T0.Add(3*time.Second)) || spans[0].Rows != 4 {
		t.Fatalf("spans %+v, want one of endpoint_states, 4 rows over %s..+3s", spans, T0)
	}
	// Again, with one new state: only that one is stored and spanned.
	n, err := s.WriteEndpointStates(ctx, []event.EndpointState{EndpointState(1), EndpointState(4), EndpointState(3)})
	if err != nil || n != 1 {
		t.Fatalf("second write stored %d, %v; want 1", n, err)
	}
	later, err := s.IngestedSince(ctx, spans[0].Seq)
	if err != nil {
		t.Fatal(err)
	}
	if len(later) != 1 || later[0].Rows != 1 || !later[0].Min.Equal(T0.Add(4*time.Second)) {
		t.Fatalf("second write's spans %+v, want one row at +4s", later)
	}
	// Nothing new: nothing stored, no span.
	if n, err := s.WriteEndpointStates(ctx, batch); err != nil || n != 0 {
		t.Fatalf("rewrite stored %d, %v; want 0", n, err)
	}
	if again, err := s.IngestedSince(ctx, later[0].Seq); err != nil || len(again) != 0 {
		t.Fatalf("rewrite recorded spans %+v, %v", again, err)
	}
	for i, scope := range []string{"private", "global", "unspecified", "", "private"} {
		checkState(t, s, EndpointState(i), scope)
	}
	if c := counts(t, s); c["endpoint_states"] != 5 || c["network_events"] != 0 {
		t.Errorf("counts %v, want 5 endpoint_states", c)
	}
}

// testEndpointStatesConcurrent writes overlapping batches from several
// goroutines: each state is stored once and counted once.
func testEndpointStatesConcurrent(t *testing.T, s store.Store) {
	const writers, batch = 4, 200
	done := make(chan int, writers)
	for w := range writers {
		go func() {
			sts := make([]event.EndpointState, batch)
			for i := range sts {
				sts[i] = EndpointState(w*batch/2 + i)
			}
			n, err := s.WriteEndpointStates(context.Background(), sts)
			if err != nil {
				t.Error(err)
			}
			done <- n
		}()
	}
	total := 0
	for range writers {
		total += <-done
	}
	want := (writers + 1) * batch / 2
	if total != want {
		t.Errorf("stored %d in all, want %d", total, want)
	}
	if c := counts(t, s); c["endpoint_states"] != int64(want) {
		t.Errorf("count %d, want %d", c["endpoint_states"], want)
	}
}

// testScopeColumns checks that network events carry the scope of both
// addresses, as ingest writes it and as fixtures get it.
func testScopeColumns(t *testing.T, s store.Store) {
	ctx := context.Background()
	addrs := []struct{ src, dst, srcScope, dstScope string }{
		{"8.8.8.8", "192.168.1.10", "global", "private"},
		{"100.64.1.2", "203.0.113.7", "cgnat", "documentation"},
		{"2a00:1450:4001:81b::200e", "fd12:3456::1", "global", "ula"},
		{"::ffff:10.1.2.3", "fe80::1", "private", "link-local"},
		{"", "239.255.255.250", "", "multicast"},
	}
	var evs []event.Network
	for i, a := range addrs {
		ev := TestEvent(100 + i)
		ev.SrcIP, ev.DstIP = netip.Addr{}, netip.MustParseAddr(a.dst)
		if a.src != "" {
			ev.SrcIP = netip.MustParseAddr(a.src)
		}
		evs = append(evs, ev)
	}
	// A batch where they vary, and batches of one, where they are constant.
	if n, err := s.WriteNetwork(ctx, evs[:3]); err != nil || n != 3 {
		t.Fatalf("stored %d, %v", n, err)
	}
	for _, ev := range evs[3:] {
		if n, err := s.WriteNetwork(ctx, []event.Network{ev}); err != nil || n != 1 {
			t.Fatalf("stored %d, %v", n, err)
		}
	}
	for i, a := range addrs {
		got := query(t, s, fmt.Sprintf(`SELECT src_scope, dst_scope FROM network_events WHERE raw = '%s'`, evs[i].Raw))
		if want := fmt.Sprint([][]any{{a.srcScope, a.dstScope}}); got != want {
			t.Errorf("%s -> %s: got %s, want %s", a.src, a.dst, got, want)
		}
	}
	// Fixtures get the scope ingest would write, unless they give one.
	if err := s.LoadRows(ctx, "network_events", []map[string]any{
		{"time": T0, "raw": "fixture 1", "src_ip": "203.0.113.9", "dst_ip": "2001:4860:4860::8888"},
		{"time": T0, "raw": "fixture 2", "src_ip": "10.0.0.1", "src_scope": "global"},
	}); err != nil {
		t.Fatal(err)
	}
	if got := query(t, s, `SELECT raw, src_scope, dst_scope FROM network_events WHERE raw LIKE 'fixture%' ORDER BY raw`); got != "[[fixture 1 documentation global] [fixture 2 global ]]" {
		t.Errorf("fixtures: got %s", got)
	}
	if err := s.LoadRows(ctx, "endpoint_states", []map[string]any{
		{"time": T0, "device_id": "aid-9", "kind": "interface", "address": "81.2.69.142"},
		{"time": T0, "device_id": "aid-9", "kind": "interface", "address": "169.254.3.4", "port": 0},
		{"time": T0, "device_id": "aid-9", "kind": "device"},
	}); err != nil {
		t.Fatal(err)
	}
	if got := query(t, s, `SELECT address, address_scope, count(DISTINCT id) FROM endpoint_states
		GROUP BY address, address_scope ORDER BY address`); got != "[[  1] [169.254.3.4 link-local 1] [81.2.69.142 global 1]]" {
		t.Errorf("endpoint fixtures: got %s", got)
	}
}
