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

// VPNSession is fact i of a VPN session: kinds in turn start (from a
// global IPv4 address), assign (a CGNAT pool address, IPv4-mapped: stored
// unmapped) and end (with its counters, an IPv6 remote address), one
// second after fact i-1.
func VPNSession(i int) event.VPNSession {
	raw := fmt.Sprintf("vpn %d", i)
	v := event.VPNSession{
		ID: event.NewID("test", []byte(raw)), Time: T0.Add(time.Duration(i) * time.Second),
		User: "alice@corp", Group: "RA-Ä", SessionID: fmt.Sprintf("s-%d", i/3),
		Sensor: "asa1", Format: "cisco-asa", Raw: raw,
	}
	switch i % 3 {
	case 0:
		v.Kind, v.RemoteIP, v.RemotePort = event.VPNStart, netip.MustParseAddr("81.2.69.142"), 50123
		v.DeviceID, v.Hostname = "dev-1", "alice-laptop"
	case 1:
		v.Kind, v.AssignedIP = event.VPNAssign, netip.MustParseAddr("::ffff:100.64.0.7")
	case 2:
		v.Kind, v.RemoteIP = event.VPNEnd, netip.MustParseAddr("2a00:1450:4001:81b::200e")
		v.BytesIn, v.BytesOut, v.DurationS, v.Reason = 1<<40, 1<<64-1, 3723.5, "User Requested"
	}
	return v
}

// HTTPEvent is request i a proxy logged, one second after request i-1:
// even ones a CONNECT with no server address, odd ones a GET with every
// column given.
func HTTPEvent(i int) event.HTTP {
	raw := fmt.Sprintf("http %d", i)
	h := event.HTTP{
		ID: event.NewID("test", []byte(raw)), Time: T0.Add(time.Duration(i) * time.Second),
		DurationS: 0.25, SrcIP: netip.AddrFrom4([4]byte{192, 168, 1, byte(10 + i%200)}), SrcPort: 50000,
		User: "bob", Action: "TCP_TUNNEL", Sensor: "squid1", Format: "squid", Raw: raw,
	}
	if i%2 == 0 {
		h.Method, h.URL, h.Host, h.Status, h.BytesIn = "CONNECT", "example.com:443", "example.com", 200, 5120
		return h
	}
	h.Method, h.URL, h.Host, h.Status = "GET", "http://example.org/a?b=c'd", "example.org", 404
	h.DstIP, h.DstPort, h.BytesOut, h.BytesIn = netip.MustParseAddr("93.184.216.34"), 80, 312, 1256
	h.ContentType, h.UserAgent, h.Referrer = "text/html", "curl/8.5.0", "http://example.net/"
	h.Action, h.FlowUID = "TCP_MISS", "CHhAvVGS1DHFjwGM9"
	return h
}

// checkVPN fails unless v is stored with every column as written and the
// scopes of its addresses.
func checkVPN(t *testing.T, s store.Store, v event.VPNSession, remoteScope, assignedScope string) {
	t.Helper()
	res, err := s.Query(context.Background(), "SELECT "+store.VPNColumns+
		fmt.Sprintf(" FROM vpn_sessions WHERE raw = '%s'", v.Raw))
	if err != nil {
		t.Fatal(err)
	}
	bytesOut := int64(v.BytesOut)
	if v.BytesOut > 1<<63-1 {
		bytesOut = 1<<63 - 1 // kept at the maximum, not wrapped negative
	}
	want := []any{v.ID.String(), v.Time, v.Kind, v.User, v.Group, AddrText(v.RemoteIP), remoteScope,
		int32(v.RemotePort), AddrText(v.AssignedIP), assignedScope, v.SessionID, v.DeviceID, v.Hostname,
		int64(v.BytesIn), bytesOut, v.DurationS, v.Reason, v.Sensor, v.Format, v.Raw}
	if got, want := fmt.Sprintf("%#v", res.Rows), fmt.Sprintf("%#v", [][]any{want}); got != want {
		t.Errorf("vpn fact %s:\n got %s\nwant %s", v.Raw, got, want)
	}
}

// checkHTTP fails unless h is stored with every column as written.
func checkHTTP(t *testing.T, s store.Store, h event.HTTP, dstScope string) {
	t.Helper()
	res, err := s.Query(context.Background(), "SELECT "+store.HTTPColumns+
		fmt.Sprintf(" FROM http_events WHERE raw = '%s'", h.Raw))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{h.ID.String(), h.Time, h.DurationS, AddrText(h.SrcIP), "private", int32(h.SrcPort),
		AddrText(h.DstIP), dstScope, int32(h.DstPort), h.User, h.Method, h.URL, h.Host, int32(h.Status),
		int64(h.BytesOut), int64(h.BytesIn), h.ContentType, h.UserAgent, h.Referrer, h.Action, h.FlowUID,
		h.Sensor, h.Format, h.Raw}
	if got, want := fmt.Sprintf("%#v", res.Rows), fmt.Sprintf("%#v", [][]any{want}); got != want {
		t.Errorf("http request %s:\n got %s\nwant %s", h.Raw, got, want)
	}
}

// testRecords checks the dedup and ingest spans of a writer of records
// made by mk, stored in table: repeats within a batch and across batches
// are skipped, and spans are recorded for the rows stored only.
func testRecords[T any](t *testing.T, s store.Store, table string, mk func(int) T,
	write func(context.Context, []T) (int, error)) {
	ctx := context.Background()
	if n, err := write(ctx, nil); err != nil || n != 0 {
		t.Fatalf("empty batch: stored %d, %v", n, err)
	}
	batch := []T{mk(0), mk(1), mk(0), mk(2), mk(3)}
	if n, err := write(ctx, batch); err != nil || n != 4 {
		t.Fatalf("stored %d, %v; want 4", n, err)
	}
	spans, err := s.IngestedSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 1 || spans[0].Table != table || !spans[0].Min.Equal(T0) ||
		!spans[0].Max.Equal(T0.Add(3*time.Second)) || spans[0].Rows != 4 {
		t.Fatalf("spans %+v, want one of %s, 4 rows over %s..+3s", spans, table, T0)
	}
	// Again, with one new record: only that one is stored and spanned.
	n, err := write(ctx, []T{mk(1), mk(4), mk(3)})
	if err != nil || n != 1 {
		t.Fatalf("second write stored %d, %v; want 1", n, err)
	}
	later, err := s.IngestedSince(ctx, spans[0].Seq)
	if err != nil {
		t.Fatal(err)
	}
	if len(later) != 1 || later[0].Table != table || later[0].Rows != 1 || !later[0].Min.Equal(T0.Add(4*time.Second)) {
		t.Fatalf("second write's spans %+v, want one row at +4s", later)
	}
	// Nothing new: nothing stored, no span.
	if n, err := write(ctx, batch); err != nil || n != 0 {
		t.Fatalf("rewrite stored %d, %v; want 0", n, err)
	}
	if again, err := s.IngestedSince(ctx, later[0].Seq); err != nil || len(again) != 0 {
		t.Fatalf("rewrite recorded spans %+v, %v", again, err)
	}
	if c := counts(t, s); c[table] != 5 || c["network_events"] != 0 || c["endpoint_states"] != 0 {
		t.Errorf("counts %v, want 5 %s", c, table)
	}
}

// testWriteVPNSessions stores VPN facts once each, with every column and
// the scopes of both addresses.
func testWriteVPNSessions(t *testing.T, s store.Store) {
	testRecords(t, s, "vpn_sessions", VPNSession, s.WriteVPNSessions)
	for i, sc := range [][2]string{{"global", ""}, {"", "cgnat"}, {"global", ""}, {"global", ""}, {"", "cgnat"}} {
		checkVPN(t, s, VPNSession(i), sc[0], sc[1])
	}
}

// testWriteHTTP stores proxy requests once each, with every column.
func testWriteHTTP(t *testing.T, s store.Store) {
	testRecords(t, s, "http_events", HTTPEvent, s.WriteHTTP)
	for i, scope := range []string{"", "global", "", "global", ""} {
		checkHTTP(t, s, HTTPEvent(i), scope)
	}
}

// testVPNHTTPConcurrent writes overlapping batches of both kinds from
// several goroutines: each record is stored once and counted once.
func testVPNHTTPConcurrent(t *testing.T, s store.Store) {
	const writers, batch = 4, 150
	done := make(chan int, 2*writers)
	for w := range writers {
		go func() {
			vs := make([]event.VPNSession, batch)
			for i := range vs {
				vs[i] = VPNSession(w*batch/2 + i)
			}
			n, err := s.WriteVPNSessions(context.Background(), vs)
			if err != nil {
				t.Error(err)
			}
			done <- n
		}()
		go func() {
			hs := make([]event.HTTP, batch)
			for i := range hs {
				hs[i] = HTTPEvent(w*batch/2 + i)
			}
			n, err := s.WriteHTTP(context.Background(), hs)
			if err != nil {
				t.Error(err)
			}
			done <- n
		}()
	}
	total := 0
	for range 2 * writers {
		total += <-done
	}
	want := (writers + 1) * batch / 2
	if total != 2*want {
		t.Errorf("stored %d in all, want %d", total, 2*want)
	}
	if c := counts(t, s); c["vpn_sessions"] != int64(want) || c["http_events"] != int64(want) {
		t.Errorf("counts %v, want %d of each", c, want)
	}
}

// testVPNHTTPFixtures checks that rule fixtures of both tables get ids and
// the scopes ingest would write, unless they give them.
func testVPNHTTPFixtures(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.LoadRows(ctx, "vpn_sessions", []map[string]any{
		{"time": T0, "kind": "start", "user_name": "alice", "remote_ip": "81.2.69.142"},
		{"time": T0, "kind": "assign", "user_name": "alice", "assigned_ip": "10.8.0.2"},
		{"time": T0, "kind": "end", "user_name": "alice", "remote_ip": "10.1.1.1", "remote_scope": "global"},
	}); err != nil {
		t.Fatal(err)
	}
	if got := query(t, s, `SELECT kind, remote_scope, assigned_scope, count(DISTINCT id) FROM vpn_sessions
		GROUP BY kind, remote_scope, assigned_scope ORDER BY kind`); got != "[[assign  private 1] [end global  1] [start global  1]]" {
		t.Errorf("vpn fixtures: got %s", got)
	}
	if err := s.LoadRows(ctx, "http_events", []map[string]any{
		{"time": T0, "src_ip": "192.168.1.5", "dst_ip": "2001:4860:4860::8888", "host": "a.example"},
		{"time": T0, "src_ip": "fe80::1", "host": "b.example", "status": 200},
	}); err != nil {
		t.Fatal(err)
	}
	if got := query(t, s, `SELECT host, src_scope, dst_scope, count(DISTINCT id) FROM http_events
		GROUP BY host, src_scope, dst_scope ORDER BY host`); got != "[[a.example private global 1] [b.example link-local  1]]" {
		t.Errorf("http fixtures: got %s", got)
	}
}
