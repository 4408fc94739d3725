package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/intended"
	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store"
)

// scanTests are the conformance tests of store.ScanStore, run by Run.
var scanTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"ScanRoundTrip", testScanRoundTrip},
	{"ScanRewrite", testScanRewrite},
	{"ScansFilter", testScansFilter},
	{"ScanTargets", testScanTargets},
	{"ScanNotFound", testScanNotFound},
	{"ScanInvalid", testScanInvalid},
	{"LatestScans", testLatestScans},
	{"Allowances", testAllowances},
	{"Mappings", testMappings},
	{"ScanCounts", testScanCounts},
	{"ScanPortSets", testScanPortSets},
}

// TestScan is a scan of everything a scan holds: an IPv4 host (written
// IPv4-mapped) with TCP and UDP ports of every state and evidence of every
// kind, an IPv6 host with none listed but counts of closed and filtered
// ports, times and durations finer than stores keep, and port sets not in
// their compact form. It starts at T0 plus i hours.
func TestScan(i int) scan.Scan {
	start := T0.Add(time.Duration(i)*time.Hour + 400*time.Millisecond).In(time.FixedZone("CEST", 2*3600))
	return scan.Scan{
		ID: "ignored", Source: scan.SourceHomesoc, Args: fmt.Sprintf("homesoc scan --udp 127.0.0.1 ::1 # %d", i),
		Started: start, Finished: start.Add(2500 * time.Millisecond),
		TCPPorts: "8080,22-23,443,1-21,10-30", UDPPorts: "1900, 51820,53",
		Hosts: []scan.Host{
			{
				Addr: netip.MustParseAddr("::ffff:127.0.0.1"), Hostname: "localhost", Status: "up",
				Started: start, Finished: start.Add(2 * time.Second), SRTT: 1234567 * time.Nanosecond,
				Closed: map[string]int{"tcp": 97, "udp": 0}, Filtered: map[string]int{"udp": 2},
				Ports: []scan.Port{
					{Port: 22, Proto: scan.TCP, State: scan.Open, Reason: "syn-ack", Service: "ssh", Product: "OpenSSH",
						Version: "9.2p1", Info: "Debian 2+deb12u3; protocol 2.0", OS: "Linux",
						Evidence: scan.Evidence{Banner: `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n`},
						RTT:      1500 * time.Microsecond, ProbeTime: 20*time.Millisecond + 999*time.Microsecond},
					{Port: 443, Proto: scan.TCP, State: scan.Open, Reason: "syn-ack", Service: "https", Product: "nginx",
						Evidence: scan.Evidence{
							HTTP: &scan.HTTPInfo{Status: 302, Server: "nginx", Title: "Login – Router", Location: "/cgi-bin/luci", Admin: "OpenWrt LuCI"},
							TLS: &scan.TLSInfo{Version: "TLS 1.3", ALPN: "h2", Subject: "CN=router.lan", Issuer: "CN=router.lan",
								DNSNames: []string{"router.lan"}, NotBefore: T0.Add(-24 * time.Hour), NotAfter: T0.AddDate(1, 0, 0).In(time.FixedZone("X", 3600)), SelfSign: true},
						}},
					{Port: 8080, Proto: scan.TCP, State: scan.Filtered, Reason: "no-response", Service: "http-proxy", Guessed: true},
					{Port: 1900, Proto: scan.UDP, State: scan.Open, Reason: "udp-response", Service: "upnp", Product: "MiniUPnPd", Version: "2.3.3",
						Evidence: scan.Evidence{Fields: map[string]string{"ssdp_server": "Linux/5.10 UPnP/1.1 MiniUPnPd/2.3.3", "upnp_friendly_name": "Router"}}},
					{Port: 51820, Proto: scan.UDP, State: scan.OpenFiltered, Reason: "no-response", Evidence: scan.Evidence{Fields: map[string]string{}}},
				},
			},
			{Addr: netip.MustParseAddr("::1"), Status: "up", Started: start, Finished: start.Add(time.Second),
				Closed: map[string]int{"tcp": 100}, Filtered: map[string]int{"udp": 5}},
			{Addr: netip.MustParseAddr("127.0.0.3"), Status: "down"},
		},
	}
}

func testScanRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := TestScan(0)
	id, err := s.WriteScan(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := "20260406T160529Z-"; !strings.HasPrefix(id, want) || !regexp.MustCompile(`^\d{8}T\d{6}Z-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("id %q, want %s and 12 hex digits", id, want)
	}
	if id != store.ScanID(in) {
		t.Errorf("id %q, want ScanID's %q", id, store.ScanID(in))
	}
	got, err := s.Scan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := store.NormalScan(in)
	want.ID = id
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("read back\n%s\nwant\n%s\n(durations: %v)", g, w, durationsOf(got))
	}
	// What NormalScan promises, spelled out, so a bug there cannot hide one
	// here.
	h0, h1 := got.Hosts[0], got.Hosts[1]
	for _, c := range []struct{ name, got, want string }{
		{"started", got.Started.Format(time.RFC3339Nano), "2026-04-06T16:05:29Z"},
		{"finished", got.Finished.Format(time.RFC3339Nano), "2026-04-06T16:05:31Z"},
		{"addr", h0.Addr.String(), "127.0.0.1"},
		{"srtt", h0.SRTT.String(), "1ms"},
		{"rtt, probe", fmt.Sprint(h0.Ports[0].RTT, h0.Ports[0].ProbeTime), "1ms 20ms"},
		{"counts", fmt.Sprint(h0.Closed, h0.Filtered, h1.Closed, h1.Filtered), "map[tcp:97] map[udp:2] map[tcp:100] map[udp:5]"},
		{"ports of ::1", fmt.Sprintf("%#v", h1.Ports), "[]scan.Port{}"},
		{"down host", fmt.Sprintf("%s %v %v", got.Hosts[2].Status, got.Hosts[2].Started.IsZero(), got.Hosts[2].Closed), "down true map[]"},
		{"not after", h0.Ports[1].Evidence.TLS.NotAfter.Format(time.RFC3339), "2027-04-06T16:05:29Z"},
		{"guessed", fmt.Sprint(h0.Ports[2].Guessed, h0.Ports[0].Guessed), "true false"},
		{"empty fields", fmt.Sprint(h0.Ports[4].Evidence.Fields == nil), "true"},
		{"title", h0.Ports[1].Evidence.HTTP.Title, "Login – Router"},
		{"port sets", got.TCPPorts + " " + got.UDPPorts, "1-30,443,8080 53,1900,51820"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", c.name, c.got, c.want)
		}
	}
	// SQL sees the rows as the schema documents them.
	q := `SELECT addr, port, proto, state, service, guessed, rtt_s, probe_s FROM scan_ports ORDER BY host_index, port_index`
	if got, want := query(t, s, q), "[[127.0.0.1 22 tcp open ssh 0 0.001 0.02] [127.0.0.1 443 tcp open https 0 0 0] "+
		"[127.0.0.1 8080 tcp filtered http-proxy 1 0 0] [127.0.0.1 1900 udp open upnp 0 0 0] [127.0.0.1 51820 udp open|filtered  0 0 0]]"; got != want {
		t.Errorf("%s\n got %s\nwant %s", q, got, want)
	}
	q = `SELECT hosts, hosts_up, listed_ports, open_ports, tcp_ports, udp_ports FROM scans`
	if got, want := query(t, s, q), "[[3 2 5 3 1-30,443,8080 53,1900,51820]]"; got != want {
		t.Errorf("%s: %s, want %s", q, got, want)
	}
}

// durationsOf lists the JSON-hidden durations of s.
func durationsOf(s scan.Scan) []time.Duration {
	var out []time.Duration
	for _, h := range s.Hosts {
		out = append(out, h.SRTT)
		for _, p := range h.Ports {
			out = append(out, p.RTT, p.ProbeTime)
		}
	}
	return out
}

func testScanRewrite(t *testing.T, s store.Store) {
	ctx := context.Background()
	id1, err := s.WriteScan(ctx, TestScan(0))
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.WriteScan(ctx, TestScan(0))
	if err != nil {
		t.Fatal(err)
	}
	other := TestScan(0)
	other.Hosts[0].Ports[0].RTT = 7 * time.Millisecond // a different scan at the same second
	id3, err := s.WriteScan(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 || id1 == id3 || id1[:17] != id3[:17] {
		t.Errorf("ids %s %s %s: want the first two equal, the third another of the same second", id1, id2, id3)
	}
	c := counts(t, s)
	if c["scans"] != 2 || c["scan_hosts"] != 6 || c["scan_ports"] != 10 {
		t.Errorf("counts %v: want 2 scans, 6 hosts, 10 ports", c)
	}
}

func testScansFilter(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		sc := TestScan(i)
		if i == 1 { // the middle scan looks at another address only, without port sets
			sc.Hosts = sc.Hosts[2:]
			sc.Source = scan.SourceNmap
			sc.TCPPorts, sc.UDPPorts = "", ""
		}
		id, err := s.WriteScan(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, tc := range []struct {
		name string
		f    store.ScanFilter
		want []string
	}{
		{"all", store.ScanFilter{}, []string{ids[2], ids[1], ids[0]}},
		{"limit", store.ScanFilter{Limit: 2}, []string{ids[2], ids[1]}},
		{"target", store.ScanFilter{Target: netip.MustParseAddr("127.0.0.1")}, []string{ids[2], ids[0]}},
		{"mapped target", store.ScanFilter{Target: netip.MustParseAddr("::ffff:127.0.0.3")}, []string{ids[2], ids[1], ids[0]}},
		{"ipv6 target, since", store.ScanFilter{Target: netip.MustParseAddr("::1"), Since: T0.Add(time.Hour)}, []string{ids[2]}},
		{"since", store.ScanFilter{Since: T0.Add(time.Hour)}, []string{ids[2], ids[1]}},
		{"no match", store.ScanFilter{Target: netip.MustParseAddr("127.0.0.9")}, []string{}},
	} {
		got, err := s.Scans(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		gotIDs := []string{}
		for _, g := range got {
			gotIDs = append(gotIDs, g.ID)
		}
		if !reflect.DeepEqual(gotIDs, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, gotIDs, tc.want)
		}
	}
	got, err := s.Scans(ctx, store.ScanFilter{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got[1])
	want := fmt.Sprintf(`{"id":%q,"source":"nmap","args":"homesoc scan --udp 127.0.0.1 ::1 # 1","tcp_ports":"","udp_ports":"","started":"2026-04-06T17:05:29Z",`+
		`"finished":"2026-04-06T17:05:31Z","hosts":1,"hosts_up":0,"ports":0,"open_ports":0,"targets":["127.0.0.3"]}`, ids[1])
	if string(b) != want {
		t.Errorf("summary\n%s\nwant\n%s", b, want)
	}
	if b, _ := json.Marshal(got[0]); !strings.Contains(string(b), `"hosts":3,"hosts_up":2,"ports":5,"open_ports":3,"targets":["127.0.0.1","::1","127.0.0.3"]}`) ||
		!strings.Contains(string(b), `"tcp_ports":"1-30,443,8080","udp_ports":"53,1900,51820",`) {
		t.Errorf("summary %s: want port sets, 3 hosts, 2 up, 5 ports, 3 open", b)
	}
}

func testScanTargets(t *testing.T, s store.Store) {
	ctx := context.Background()
	sc := scan.Scan{Source: scan.SourceHomesoc, Started: T0}
	for i := range 7 {
		sc.Hosts = append(sc.Hosts, scan.Host{Addr: netip.AddrFrom4([4]byte{127, 0, 1, byte(7 - i)}), Status: "up"})
	}
	if _, err := s.WriteScan(ctx, sc); err != nil {
		t.Fatal(err)
	}
	got, err := s.Scans(ctx, store.ScanFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || fmt.Sprint(got[0].Targets) != "[127.0.1.7 127.0.1.6 127.0.1.5 127.0.1.4 127.0.1.3]" || got[0].Hosts != 7 {
		t.Errorf("summary %+v: want 7 hosts, the first 5 as targets in scan order", got)
	}
}

func testScanNotFound(t *testing.T, s store.Store) {
	_, err := s.Scan(context.Background(), "20260406T160529Z-000000000000")
	if !errors.Is(err, store.ErrNotFound) || err.Error() != `scan "20260406T160529Z-000000000000": not found` {
		t.Errorf("err = %v, want scan ...: not found", err)
	}
}

func testScanInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, tc := range []struct {
		edit func(*scan.Scan)
		want string
	}{
		{func(sc *scan.Scan) { sc.Started = time.Time{} }, "write scan: no start time"},
		{func(sc *scan.Scan) { sc.Source = "" }, "write scan: no source"},
		{func(sc *scan.Scan) { sc.Hosts[1].Addr = netip.Addr{} }, "write scan: host 2 has no address"},
		{func(sc *scan.Scan) { sc.Hosts[0].Ports[1].Proto = "sctp" }, `write scan: host 127.0.0.1 port 443: protocol "sctp": want tcp or udp`},
		{func(sc *scan.Scan) { sc.Hosts[1].Closed["sctp"] = 1 }, `write scan: host ::1: closed ports of protocol "sctp": want tcp or udp`},
		{func(sc *scan.Scan) { sc.TCPPorts = "top100" }, `write scan: tcp_ports: port list "top100": "top100" is not a port 0-65535`},
		{func(sc *scan.Scan) { sc.UDPPorts = "53,70000" }, `write scan: udp_ports: port list "53,70000": "70000" is not a port 0-65535`},
	} {
		sc := TestScan(0)
		tc.edit(&sc)
		if _, err := s.WriteScan(ctx, sc); err == nil || err.Error() != tc.want {
			t.Errorf("err = %v, want %s", err, tc.want)
		}
	}
	if c := counts(t, s); c["scans"]+c["scan_hosts"]+c["scan_ports"] != 0 {
		t.Errorf("invalid scans stored rows: %v", c)
	}
}

func testLatestScans(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		id, err := s.WriteScan(ctx, TestScan(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	target := netip.MustParseAddr("::1")
	got, err := s.LatestScans(ctx, target, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != ids[2] || got[1].ID != ids[1] {
		t.Fatalf("latest scans %v, want %s %s", scanIDs(got), ids[2], ids[1])
	}
	for _, sc := range got {
		if len(sc.Hosts) != 1 || sc.Hosts[0].Addr != target || sc.Hosts[0].Closed["tcp"] != 100 {
			t.Errorf("scan %s: hosts %+v, want ::1's only", sc.ID, sc.Hosts)
		}
	}
	got, err = s.LatestScans(ctx, netip.MustParseAddr("127.0.0.1"), 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(got[2].Hosts) != 1 || len(got[2].Hosts[0].Ports) != 5 {
		t.Errorf("latest scans of 127.0.0.1: %v, want 3 with its 5 ports", scanIDs(got))
	}
	if d, err := scan.Diff(got[1], got[0], netip.MustParseAddr("127.0.0.1")); err != nil || d.Changes() != 0 || len(d.Unchanged) != 3 {
		t.Errorf("diff of two stored scans: %+v, %v; want 3 unchanged", d, err)
	}
}

// scanIDs lists the ids of ss.
func scanIDs(ss []scan.Scan) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func testAllowances(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := store.Now()
	add := func(a intended.Allowance) intended.Allowance {
		t.Helper()
		got, err := s.AddAllowance(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	byAddr := add(intended.Allowance{Address: netip.MustParseAddr("::ffff:127.0.0.1"), Port: 8443, Proto: "TCP",
		Reason: "VPN portal", Author: "alice", Created: T0.Add(500 * time.Millisecond)})
	byDev := add(intended.Allowance{DeviceID: "dev-1", Port: 53, Proto: "udp", Reason: "dns", Author: "bob",
		Created: T0.Add(time.Hour), Expires: now.Add(30 * 24 * time.Hour)})
	expired := add(intended.Allowance{User: "carol", Port: 22, Proto: "tcp", Reason: "until the move", Author: "bob",
		Created: T0.Add(2 * time.Hour), Expires: T0.Add(3 * time.Hour)})
	defaulted := add(intended.Allowance{ID: "al-mine", User: "dave", Port: 80, Proto: "tcp", Reason: "web"})

	wantAddr := intended.Allowance{ID: intended.NewID(intended.Allowance{Address: netip.MustParseAddr("127.0.0.1"), Port: 8443, Proto: "tcp", Created: T0}),
		Address: netip.MustParseAddr("127.0.0.1"), Port: 8443, Proto: "tcp", Reason: "VPN portal", Author: "alice", Created: T0}
	if !reflect.DeepEqual(byAddr, wantAddr) {
		t.Errorf("added %+v\nwant  %+v", byAddr, wantAddr)
	}
	if defaulted.ID != "al-mine" || defaulted.Created.Before(now) || defaulted.Created.After(store.Now()) {
		t.Errorf("added %+v: want its own id, created now", defaulted)
	}
	list := func(includeExpired bool) []intended.Allowance {
		t.Helper()
		got, err := s.Allowances(ctx, includeExpired)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got, want := list(false), []intended.Allowance{byAddr, byDev, defaulted}; !reflect.DeepEqual(got, want) {
		t.Errorf("allowances\n%+v\nwant\n%+v", got, want)
	}
	if got, want := list(true), []intended.Allowance{byAddr, byDev, expired, defaulted}; !reflect.DeepEqual(got, want) {
		t.Errorf("allowances with expired\n%+v\nwant\n%+v", got, want)
	}
	if err := s.RemoveAllowance(ctx, byDev.ID); err != nil {
		t.Fatal(err)
	}
	if got, want := list(true), []intended.Allowance{byAddr, expired, defaulted}; !reflect.DeepEqual(got, want) {
		t.Errorf("allowances after removal\n%+v\nwant\n%+v", got, want)
	}
	err := s.RemoveAllowance(ctx, byDev.ID)
	if !errors.Is(err, store.ErrNotFound) || err.Error() != fmt.Sprintf("remove allowance %q: not found", byDev.ID) {
		t.Errorf("removing twice: %v", err)
	}
	if c := counts(t, s); c["allowances"] != 3 {
		t.Errorf("count %d, want 3", c["allowances"])
	}
	_, err = s.AddAllowance(ctx, intended.Allowance{Address: netip.MustParseAddr("127.0.0.1"), User: "x", Port: 1, Proto: "tcp", Reason: "r"})
	if err == nil || err.Error() != "allowance 1/tcp: name exactly one of address, device or user (got 2)" {
		t.Errorf("invalid allowance: %v", err)
	}
	// Adding the same entry again changes it in place.
	again := byAddr
	again.Reason = "VPN portal, moved"
	if _, err := s.AddAllowance(ctx, again); err != nil {
		t.Fatal(err)
	}
	if got := list(false); len(got) != 2 || got[0] != again {
		t.Errorf("after re-adding: %+v", got)
	}
}

func testMappings(t *testing.T, s store.Store) {
	ctx := context.Background()
	igdA, igdB := "http://127.0.0.1:5000/ctl/IPConn", "http://127.0.0.1:5001/ctl/IPConn"
	m := func(port uint16, proto, client string) scan.PortMapping {
		return scan.PortMapping{ExternalPort: port, Proto: proto, InternalClient: client, InternalPort: port,
			Enabled: true, Description: fmt.Sprintf("app %d", port), Lease: 3600 * time.Second}
	}
	write := func(igd string, seen time.Time, ms ...scan.PortMapping) {
		t.Helper()
		if err := s.WriteMappings(ctx, store.MappingListing{IGD: igd, Seen: seen, ExternalIP: "::ffff:127.0.0.9", Mappings: ms}); err != nil {
			t.Fatal(err)
		}
	}
	write(igdA, T0, m(8080, "tcp", "192.168.1.10"), m(3074, "udp", "192.168.1.20"))
	later := m(32400, "tcp", "192.168.1.30")
	later.RemoteHost, later.Enabled, later.Lease = "198.51.100.7", false, 0
	write(igdA, T0.Add(time.Hour+300*time.Millisecond), later, m(8080, "tcp", "192.168.1.10"))
	write(igdB, T0, m(443, "tcp", "192.168.1.40"))
	write(igdB, T0.Add(time.Hour))                              // B's mappings are gone
	write(igdA, T0.Add(time.Hour), m(1, "tcp", "192.168.1.99")) // the same listing again: skipped

	show := func(ls []store.MappingListing) string {
		var b strings.Builder
		for _, l := range ls {
			fmt.Fprintf(&b, "%s@%s(%s):", l.IGD[17:21], l.Seen.Format("15:04:05"), l.ExternalIP)
			for _, m := range l.Mappings {
				if m.IGD != l.IGD || m.Seen != l.Seen {
					fmt.Fprintf(&b, " (igd %s, seen %s)", m.IGD, m.Seen)
				}
				fmt.Fprintf(&b, " %d/%s>%s:%d %v %q %q %s", m.ExternalPort, m.Proto, m.InternalClient, m.InternalPort,
					m.Enabled, m.Description, m.RemoteHost, m.Lease)
			}
			b.WriteString("; ")
		}
		return b.String()
	}
	for _, tc := range []struct {
		igd   string
		since time.Time
		want  string
	}{
		{"", time.Time{}, `5000@17:05:29(127.0.0.9): 8080/tcp>192.168.1.10:8080 true "app 8080" "" 1h0m0s 32400/tcp>192.168.1.30:32400 false "app 32400" "198.51.100.7" 0s; ` +
			`5001@17:05:29(127.0.0.9):; `},
		{igdA, time.Time{}, `5000@17:05:29(127.0.0.9): 8080/tcp>192.168.1.10:8080 true "app 8080" "" 1h0m0s 32400/tcp>192.168.1.30:32400 false "app 32400" "198.51.100.7" 0s; `},
		{igdB, T0.Add(time.Hour), `5001@17:05:29(127.0.0.9):; `},
		{"", T0.Add(time.Hour + time.Second), ``},
		{"http://127.0.0.1:9/none", time.Time{}, ``},
	} {
		got, err := s.Mappings(ctx, tc.igd, tc.since)
		if err != nil {
			t.Fatal(err)
		}
		if show(got) != tc.want {
			t.Errorf("Mappings(%q, %v)\n got %s\nwant %s", tc.igd, tc.since, show(got), tc.want)
		}
		if got == nil {
			t.Errorf("Mappings(%q, %v) = nil, want []", tc.igd, tc.since)
		}
	}
	if c := counts(t, s); c["upnp_listings"] != 4 || c["upnp_mappings"] != 5 {
		t.Errorf("counts %v: want 4 listings, 5 mappings", c)
	}
	for _, tc := range []struct {
		igd  string
		ms   []scan.PortMapping
		want string
		ext  string
	}{
		{"", nil, "write mappings: no IGD", ""},
		{igdA, nil, "write mappings of " + igdA + `: external address "router": ParseAddr("router"): unable to parse IP`, "router"},
		{igdA, []scan.PortMapping{{IGD: igdB, ExternalPort: 1, Proto: "tcp"}},
			"write mappings of " + igdA + ": mapping of port 1/tcp names IGD " + igdB, ""},
		{igdA, []scan.PortMapping{{ExternalPort: 1, Proto: "icmp"}}, "write mappings of " + igdA + `: port 1: protocol "icmp": want tcp or udp`, ""},
	} {
		if err := s.WriteMappings(ctx, store.MappingListing{IGD: tc.igd, Seen: T0.Add(5 * time.Hour), ExternalIP: tc.ext, Mappings: tc.ms}); err == nil || err.Error() != tc.want {
			t.Errorf("err = %v, want %s", err, tc.want)
		}
	}
}

// testScanPortSets: the port sets a stored scan read back with keep a diff
// from calling a port it never tried closed; a scan stored without them
// diffs as before.
func testScanPortSets(t *testing.T, s store.Store) {
	ctx := context.Background()
	target := netip.MustParseAddr("127.0.0.1")
	if _, err := s.WriteScan(ctx, TestScan(0)); err != nil { // 22, 443 tcp and 1900 udp open
		t.Fatal(err)
	}
	rescan := func(i int, tcp, udp string) scan.Scan {
		t.Helper()
		sc := TestScan(i)
		sc.TCPPorts, sc.UDPPorts = tcp, udp
		sc.Hosts = sc.Hosts[:1]
		sc.Hosts[0].Ports = sc.Hosts[0].Ports[:1] // 22 only
		if _, err := s.WriteScan(ctx, sc); err != nil {
			t.Fatal(err)
		}
		latest, err := s.LatestScans(ctx, target, 1)
		if err != nil || len(latest) != 1 {
			t.Fatalf("latest scans: %v, %v", latest, err)
		}
		return latest[0]
	}
	list := func(ps []scan.PortDiff) string {
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("%d/%s", p.Port, p.Proto))
		}
		return strings.Join(out, " ")
	}
	base, err := s.LatestScans(ctx, target, 1)
	if err != nil || len(base) != 1 {
		t.Fatalf("latest scans: %v, %v", base, err)
	}
	for i, tc := range []struct {
		name, tcp, udp, closed, notScanned string
	}{
		{"tcp 1-100, no udp", "1-100", "", "", "443/tcp 1900/udp"},
		{"tcp 1-1024, udp 1900", "1-1024", "1900", "443/tcp 1900/udp", ""},
		{"not recorded", "", "", "443/tcp 1900/udp", ""},
	} {
		b := rescan(i+1, tc.tcp, tc.udp)
		if b.TCPPorts != tc.tcp || b.UDPPorts != tc.udp {
			t.Errorf("%s: read back port sets %q %q", tc.name, b.TCPPorts, b.UDPPorts)
		}
		d, err := scan.Diff(base[0], b, target)
		if err != nil {
			t.Fatal(err)
		}
		if list(d.Closed) != tc.closed || list(d.NotScanned) != tc.notScanned || list(d.Unchanged) != "22/tcp" {
			t.Errorf("%s: closed %q not scanned %q unchanged %q; want %q, %q, 22/tcp", tc.name,
				list(d.Closed), list(d.NotScanned), list(d.Unchanged), tc.closed, tc.notScanned)
		}
	}
}

func testScanCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.WriteScan(ctx, TestScan(0)); err != nil {
		t.Fatal(err)
	}
	c := counts(t, s)
	got := fmt.Sprint(c["scans"], c["scan_hosts"], c["scan_ports"], c["allowances"], c["upnp_listings"], c["upnp_mappings"])
	if got != "1 3 5 0 0 0" {
		t.Errorf("counts of scans, hosts, ports, allowances, listings, mappings: %s, want 1 3 5 0 0 0", got)
	}
}
