package parse

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/homesoc/homesoc/internal/event"
)

// vpnWant is what one line must give: session facts, or the exact error (a
// skip when it ends in ": nothing to store").
type vpnWant struct {
	facts []event.VPNSession
	err   string
}

// skipWant is a skip with its reason.
func skipWant(reason string) vpnWant { return vpnWant{err: reason + ": nothing to store"} }

// fact is a vpnWant of one fact.
func fact(f event.VPNSession) vpnWant { return vpnWant{facts: []event.VPNSession{f}} }

// ap is an address and port.
func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// runVPN parses lines with p and checks each against want. Expected facts
// get the line as Raw, format and their id.
func runVPN(t *testing.T, p Parser, format string, lines [][]byte, want []vpnWant) {
	t.Helper()
	if len(lines) != len(want) {
		t.Fatalf("%d lines, %d expectations", len(lines), len(want))
	}
	xp := p.(ExtraParser)
	for i, line := range lines {
		t.Run(fmt.Sprint("line", i+1), func(t *testing.T) {
			var ev event.Network
			err := p.Parse(line, &ev)
			got := xp.Extra().VPNSessions
			w := want[i]
			if w.err != "" {
				checkLineError(t, err, w.err, len(got))
				return
			}
			if !errors.Is(err, ErrExtraOnly) {
				t.Fatalf("error = %v, want ErrExtraOnly", err)
			}
			if ev != (event.Network{}) {
				t.Errorf("network event filled: %+v", ev)
			}
			if len(got) != len(w.facts) {
				t.Fatalf("got %d facts, want %d: %+v", len(got), len(w.facts), got)
			}
			for j, f := range w.facts {
				f.Raw, f.Format = string(line), format
				f.ID = vpnID(format, &f)
				if d := diffFields(f, got[j]); len(d) > 0 {
					t.Errorf("fact %d: %s", j, strings.Join(d, "; "))
				}
			}
		})
	}
}

// vpnOpts is the input of the fixtures: written on 2 May 2024, UTC.
var vpnOpts = Options{ModTime: utc(2024, 5, 2, 0, 0, 0)}

func TestOpenVPN(t *testing.T) {
	kimura := ap("198.51.100.7:51234")
	ito := ap("203.0.113.9:40000")
	sato := ap("[2001:db8:5::7]:50000")
	start := func(tm time.Time, user string, r netip.AddrPort, sensor string) vpnWant {
		return fact(event.VPNSession{Time: tm, Kind: event.VPNStart, User: user, RemoteIP: r.Addr(), RemotePort: r.Port(), Sensor: sensor})
	}
	assign := func(tm time.Time, user string, r netip.AddrPort, a, sensor string) vpnWant {
		return fact(event.VPNSession{Time: tm, Kind: event.VPNAssign, User: user, RemoteIP: r.Addr(), RemotePort: r.Port(),
			AssignedIP: addr(a), Sensor: sensor})
	}
	end := func(tm time.Time, user string, r netip.AddrPort, reason, sensor string) vpnWant {
		return fact(event.VPNSession{Time: tm, Kind: event.VPNEnd, User: user, RemoteIP: r.Addr(), RemotePort: r.Port(),
			Reason: reason, Sensor: sensor})
	}
	noFact := skipWant("openvpn message without a session fact")
	want := []vpnWant{
		noFact, // TLS: Initial packet
		noFact, // VERIFY OK
		skipWant("openvpn authentication (its user goes to the connection that follows)"),
		// The username, not the certificate's common name, names the user
		// of every fact of the session.
		start(utc(2024, 5, 1, 10, 0, 1), "kimura", kimura, ""),
		assign(utc(2024, 5, 1, 10, 0, 1), "kimura", kimura, "172.16.1.10", ""),
		assign(utc(2024, 5, 1, 10, 0, 1), "kimura", kimura, "172.16.1.10", ""),
		assign(utc(2024, 5, 1, 10, 0, 1), "kimura", kimura, "172.16.1.10", ""),
		noFact, // PUSH_REPLY
		end(utc(2024, 5, 1, 12, 30, 0), "kimura", kimura, "SIGTERM[soft,remote-exit]", ""),
		// syslog: the host is the sensor; an IPv4-mapped remote is IPv4
		start(utc(2024, 5, 1, 13, 0, 0), "ito", ito, "vpn1"),
		assign(utc(2024, 5, 1, 13, 0, 0), "ito", ito, "172.16.1.11", "vpn1"),
		skipWant("openvpn learn of a route or MAC, not a pool address"),
		end(utc(2024, 5, 1, 14, 0, 0), "ito", ito, "Inactivity timeout (--ping-restart)", "vpn1"),
		end(utc(2024, 5, 1, 14, 0, 0), "ito", ito, "SIGUSR1[soft,ping-restart]", "vpn1"),
		// ctime stamp with us=; IPv6 without brackets; a name with a space
		start(utc(2024, 5, 1, 15, 0, 0), "Sato Hana", sato, ""),
		assign(utc(2024, 5, 1, 15, 0, 1), "Sato Hana", sato, "fd00::1000", "vpn2"),              // RFC 5424
		end(utc(2024, 5, 2, 0, 0, 0), "Sato Hana", sato, "Inactivity timeout (--inactive)", ""), // no stamp: the input's time
		noFact, // the server's own signal: "process exiting"
		skipWant("openvpn client ended before it authenticated"),
		noFact,
		// a tag without a stamp (journalctl -o cat), 2.6's "(via ...)"
		start(utc(2024, 5, 2, 0, 0, 0), "myclient1", ap("192.0.2.44:55738"), ""),
		end(utc(2024, 5, 2, 0, 0, 0), "myclient1", ap("192.0.2.44:55738"), "SIGTERM[soft,remote-exit]", ""),
		start(utc(2024, 5, 2, 0, 0, 0), "Tanaka Ken", ap("192.0.2.45:59824"), ""), // no prefix before [cn]
	}
	fm, err := Lookup(openVPNName)
	if err != nil {
		t.Fatal(err)
	}
	runVPN(t, fm.New(vpnOpts), openVPNName, readLines(t, "openvpn/server.log"), want)
}

func TestOpenVPNBad(t *testing.T) {
	lines := byteLines(
		"2024-05-01 16:00:00 x/1.2.3.4 MULTI: Learn: 172.16.1.12 -> x/1.2.3.4",
		"2024-05-01 16:00:00 1.2.3.4:5 [cn] Peer Connection Initiated with [AF_INET]nowhere",
		"2024-05-01 16:00:00 1.2.3.4:5 Peer Connection Initiated with [AF_INET]1.2.3.4:5",
		"2024-05-01 16:00:00 cn/1.2.3.4:99999 SIGTERM[soft,remote-exit] received, client-instance exiting",
		"2024-05-01 16:00:00 cn/1.2.3.4:5 MULTI: primary virtual IP for cn/1.2.3.4:5: 10.8.0.300",
		"2024-13-01 16:00:00 cn/1.2.3.4:5 MULTI: Learn: 10.8.0.6 -> cn/1.2.3.4:5",
		"2024-05-01 16:00:00 cn/1.2.3.4:5 MULTI: Learn: 10.8.0.6 \x00",
		"",
		"2024-05-01 16:00:00 cn/1.2.3.4:5 MULTI_sva: pool returned IPv4=(Not enabled), IPv6=(Not enabled)",
		"2024-05-01 16:00:00 1.2.3.4:5 [UNDEF] Peer Connection Initiated with [AF_INET]1.2.3.4:5",
	)
	want := []vpnWant{
		{err: `openvpn assignment: bad client "x/1.2.3.4"`},
		{err: `openvpn connection: bad remote "nowhere"`},
		{err: `openvpn connection: no [common name] in "1.2.3.4:5"`},
		{err: `openvpn end: bad client "cn/1.2.3.4:99999"`},
		{err: `openvpn primary virtual IP: bad address "10.8.0.300"`},
		{err: `bad timestamp "2024-13-01 16:00:00"`},
		{err: `not an openvpn line: binary data at byte 56`},
		{err: `nothing to store`},
		skipWant("openvpn pool returned no address"),
		skipWant("openvpn connection without a user"),
	}
	runVPN(t, newOpenVPNParser(vpnOpts), openVPNName, lines, want)
}

func TestOpenVPNStatus(t *testing.T) {
	kimura := ap("198.51.100.7:51234")
	ito := ap("203.0.113.9:40000")
	start := func(tm time.Time, user string, r netip.AddrPort, a string, in, out uint64) vpnWant {
		f := event.VPNSession{Time: tm, Kind: event.VPNStart, User: user, RemoteIP: r.Addr(), RemotePort: r.Port(),
			BytesIn: in, BytesOut: out}
		if a != "" {
			f.AssignedIP = addr(a)
		}
		return fact(f)
	}
	assign := func(tm time.Time, user string, r netip.AddrPort, a string) vpnWant {
		return fact(event.VPNSession{Time: tm, Kind: event.VPNAssign, User: user, RemoteIP: r.Addr(), RemotePort: r.Port(),
			AssignedIP: addr(a)})
	}
	section := skipWant("openvpn status section")
	header := skipWant("openvpn status header")
	fileTime := skipWant("openvpn status file time")
	v1 := []vpnWant{
		section, fileTime, header,
		start(utc(2024, 5, 1, 10, 0, 1), "laptop-kimura", kimura, "", 123456, 654321),
		start(utc(2024, 5, 1, 11, 0, 0), "ito", ito, "", 2048, 4096),
		section, header,
		assign(utc(2024, 5, 1, 11, 59, 58), "laptop-kimura", kimura, "172.16.1.10"),
		assign(utc(2024, 5, 1, 11, 59, 30), "ito", ito, "172.16.1.11"),
		skipWant("openvpn status route to a subnet or MAC, not a pool address"),
		section,
		skipWant("openvpn status line without a session"),
		skipWant("openvpn status end"),
	}
	withID := func(w vpnWant, id string) vpnWant {
		w.facts[0].SessionID = id
		return w
	}
	v2 := []vpnWant{
		skipWant("openvpn status title"), fileTime, header,
		// the Username names the user of the client and of its route
		withID(start(utc(2024, 5, 1, 10, 0, 1), "kimura", kimura, "172.16.1.10", 123456, 654321), "0"),
		withID(start(utc(2024, 5, 1, 11, 0, 0), "ito", ito, "172.16.1.11", 2048, 4096), "1"),
		header,
		assign(utc(2024, 5, 1, 11, 59, 58), "kimura", kimura, "172.16.1.10"),
		assign(utc(2024, 5, 1, 11, 59, 30), "ito", ito, "172.16.1.11"),
		skipWant("openvpn status global_stats"), skipWant("openvpn status global_stats"),
		skipWant("openvpn status end"),
	}
	for _, tt := range []struct {
		file string
		want []vpnWant
	}{
		{"openvpn/status-v1.txt", v1},
		{"openvpn/status-v2.txt", v2},
		{"openvpn/status-v3.txt", v2},
	} {
		t.Run(tt.file, func(t *testing.T) {
			lines := readLines(t, tt.file)
			if fm, err := Detect(lines); err != nil || fm.Name != openVPNStatusName {
				t.Errorf("Detect = %q, %v", fm.Name, err)
			}
			runVPN(t, newOpenVPNStatusParser(vpnOpts), openVPNStatusName, lines, tt.want)
		})
	}
}

func TestOpenVPNStatusBad(t *testing.T) {
	lines := byteLines(
		"CLIENT_LIST,a,1.2.3.4,10.8.0.2,1,2,2024-05-01 10:00:01,1714557601,UNDEF",
		"CLIENT_LIST,a,1.2.3.4:5,10.8.0.2,x,2,2024-05-01 10:00:01,1714557601,UNDEF",
		"CLIENT_LIST,a,1.2.3.4:5,10.8.0.2,1,2,2024-05-01 10:00:01,-5,UNDEF",
		"TIME,yesterday",
		"ROUTING_TABLE,10.8.0.2,a,1.2.3.4:5,2024-05-01 10:00:01",
		"CLIENT_LIST,UNDEF,1.2.3.4:5,10.8.0.2,1,2,2024-05-01 10:00:01,1714557601,UNDEF",
	)
	want := []vpnWant{
		{err: `openvpn status client: bad Real Address "1.2.3.4"`},
		{err: `openvpn status client: bad Bytes Received "x"`},
		{err: `openvpn status: bad Connected Since (time_t) "-5"`},
		{err: `openvpn status TIME: bad timestamp "yesterday"`},
		// without the time_t column the stamp is read in the zone
		fact(event.VPNSession{Time: utc(2024, 5, 1, 10, 0, 1), Kind: event.VPNAssign, User: "a",
			RemoteIP: addr("1.2.3.4"), RemotePort: 5, AssignedIP: addr("10.8.0.2")}),
		skipWant("openvpn status client without a name"),
	}
	runVPN(t, newOpenVPNStatusParser(vpnOpts), openVPNStatusName, lines, want)
}

// TestOpenVPNZone checks that stamps without a zone are read in
// Options.Location, and time_t columns are not.
func TestOpenVPNZone(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	o := Options{ModTime: vpnOpts.ModTime, Location: tokyo}
	var ev event.Network
	p := newOpenVPNParser(o)
	_ = p.Parse([]byte("2024-05-01 10:00:01 1.2.3.4:5 [cn] Peer Connection Initiated with [AF_INET]1.2.3.4:5"), &ev)
	if got := p.Extra().VPNSessions; len(got) != 1 || !got[0].Time.Equal(utc(2024, 5, 1, 1, 0, 1)) {
		t.Errorf("log stamp in JST: %+v", got)
	}
	s := newOpenVPNStatusParser(o)
	_ = s.Parse([]byte("CLIENT_LIST,a,1.2.3.4:5,10.8.0.2,1,2,2024-05-01 10:00:01,1714557601,UNDEF"), &ev)
	if got := s.Extra().VPNSessions; len(got) != 1 || !got[0].Time.Equal(utc(2024, 5, 1, 10, 0, 1)) {
		t.Errorf("time_t in JST: %+v", got)
	}
}

// TestOpenVPNIDs checks that one fact logged by two messages (MULTI: Learn
// and MULTI: primary virtual IP) has one id, and other facts their own.
func TestOpenVPNIDs(t *testing.T) {
	ids := map[event.ID]int{}
	for _, file := range []string{"openvpn/server.log", "openvpn/status-v2.txt"} {
		format := openVPNName
		if strings.Contains(file, "status") {
			format = openVPNStatusName
		}
		fm, _ := Lookup(format)
		p := fm.New(vpnOpts)
		for _, line := range readLines(t, file) {
			var ev event.Network
			_ = p.Parse(line, &ev)
			for _, f := range p.(ExtraParser).Extra().VPNSessions {
				ids[f.ID]++
			}
		}
	}
	// server.log: 15 facts, the three assignments of kimura one; status: 4.
	if n := len(ids); n != 13+4 {
		t.Errorf("%d distinct ids, want 17", n)
	}
}

// TestRealOpenVPNLogs runs both parsers over the real samples: no line is
// rejected, Detect picks the format, and the counts are what the samples
// hold. With -v it logs the table BENCHMARKS.md reports.
func TestRealOpenVPNLogs(t *testing.T) {
	type counts struct{ read, stored, skipped, rejected int }
	tests := []struct {
		file, format string
		want         counts
	}{
		// 51 messages: one connection, its pool address logged twice
		// (MULTI: Learn, primary virtual IP: one fact); 48 others skipped.
		{"sekoia-openvpn.log", openVPNName, counts{51, 2, 48, 0}},
		// 6 client rows (one listed twice: 5 facts); the routes' addresses
		// are redacted to 0.0.0.0, so they are skipped with the other lines.
		{"openvpn_exporter-server2.status", openVPNStatusName, counts{18, 5, 12, 0}},
		{"openvpn_exporter-server3.status", openVPNStatusName, counts{16, 5, 11, 0}},
		// a client's statistics: no session
		{"openvpn_exporter-client.status", openVPNStatusName, counts{12, 0, 12, 0}},
	}
	var b strings.Builder
	b.WriteString("\n| file | format | lines read | sessions facts | skipped | rejected |\n|---|---|---|---|---|---|\n")
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(realLogs, "openvpn", tt.file))
			if errors.Is(err, os.ErrNotExist) {
				t.Skip("no " + tt.file)
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
			if fm, err := Detect(lines); err != nil || fm.Name != tt.format {
				t.Errorf("Detect = %q, %v; want %s", fm.Name, err, tt.format)
			}
			fm, _ := Lookup(tt.format)
			p := fm.New(Options{})
			seen := map[event.ID]bool{}
			var got counts
			for i, line := range lines {
				got.read++
				var ev event.Network
				switch err := p.Parse(line, &ev); {
				case errors.Is(err, ErrSkip):
					got.skipped++
				case errors.Is(err, ErrExtraOnly):
				case err != nil:
					got.rejected++
					t.Errorf("line %d rejected: %v", i+1, err)
				default:
					t.Errorf("line %d: a network event", i+1)
				}
				for _, f := range p.(ExtraParser).Extra().VPNSessions {
					if !seen[f.ID] {
						seen[f.ID] = true
						got.stored++
					}
				}
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d |\n", tt.file, tt.format, got.read, got.stored, got.skipped, got.rejected)
		})
	}
	t.Log(b.String())
}

// fuzzVPNFormat is fuzzFormat for the VPN parsers: every line gives
// facts and ErrExtraOnly, a skip or an error, and every fact holds what
// stores and identity rely on.
func fuzzVPNFormat(f *testing.F, format string, seeds ...string) {
	fm := seedFuzz(f, format, seeds...)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		p := fm.New(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
		xp := p.(ExtraParser)
		for _, line := range bytes.Split(in, []byte("\n")) {
			var ev event.Network
			err := p.Parse(line, &ev)
			got := xp.Extra().VPNSessions
			switch {
			case err == nil:
				t.Fatalf("a network event for %q", line)
			case errors.Is(err, ErrExtraOnly):
				if len(got) == 0 {
					t.Fatalf("ErrExtraOnly without facts for %q", line)
				}
				for _, s := range got {
					checkVPN(t, format, line, &s)
				}
			case len(got) != 0:
				t.Fatalf("%d facts with error %v for %q", len(got), err, line)
			case err.Error() == "":
				t.Fatalf("empty error for %q", line)
			}
		}
	})
}

// checkVPN fails t if a fact breaks what stores and identity rely on.
func checkVPN(t *testing.T, format string, line []byte, s *event.VPNSession) {
	t.Helper()
	var bad []string
	switch s.Kind {
	case event.VPNStart, event.VPNEnd:
	case event.VPNAssign:
		if !s.AssignedIP.IsValid() {
			bad = append(bad, "assignment without an address")
		}
	default:
		bad = append(bad, "unknown kind")
	}
	for _, a := range []netip.Addr{s.RemoteIP, s.AssignedIP} {
		if a.IsValid() && (a.Is4In6() || a.Zone() != "") {
			bad = append(bad, "address IPv4-mapped or zoned")
		}
	}
	if s.Time.IsZero() || s.Time.Location() != time.UTC || s.Time.Nanosecond() != 0 || s.Time.Year() > 9999 {
		bad = append(bad, "time not set or not UTC seconds")
	}
	if s.ID.IsZero() || s.User == "" || s.Format != format || s.Raw != string(line) {
		bad = append(bad, "id, user, format or raw unset")
	}
	for _, v := range []string{s.User, s.Reason, s.Sensor} {
		if !utf8.ValidString(v) {
			bad = append(bad, "invalid UTF-8")
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%s accepted %q into %+v: %s", format, line, *s, strings.Join(bad, ", "))
	}
}

func FuzzOpenVPN(f *testing.F) {
	fuzzVPNFormat(f, openVPNName, "openvpn/server.log")
}

func FuzzOpenVPNStatus(f *testing.F) {
	fuzzVPNFormat(f, openVPNStatusName, "openvpn/status-v1.txt", "openvpn/status-v2.txt", "openvpn/status-v3.txt")
}

// TestOpenVPNEndedWithoutName checks the skip of a client instance's end
// that names no client.
func TestOpenVPNEndedWithoutName(t *testing.T) {
	runVPN(t, newOpenVPNParser(vpnOpts), openVPNName,
		byteLines("2024-05-01 16:00:00 SIGTERM[soft,remote-exit] received, client-instance exiting"),
		[]vpnWant{skipWant("openvpn client instance ended without its client's name")})
}

// BenchmarkOpenVPN measures both parsers over their fixtures' lines.
func BenchmarkOpenVPN(b *testing.B) {
	for _, c := range []struct{ format, file string }{
		{openVPNName, "openvpn/server.log"},
		{openVPNStatusName, "openvpn/status-v2.txt"},
	} {
		b.Run(c.format, func(b *testing.B) {
			lines := readLines(b, c.file)
			fm, _ := Lookup(c.format)
			p := fm.New(vpnOpts)
			var ev event.Network
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, l := range lines {
					_ = p.Parse(l, &ev)
				}
			}
			b.ReportMetric(float64(b.N*len(lines))/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
