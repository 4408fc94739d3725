package parse

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// fortiWant is what one fixture line must give: a network event, VPN
// facts, or the exact error (a skip when it ends in ": nothing to store").
type fortiWant struct {
	net *event.Network
	vpn []event.VPNSession
	err string
}

// TestFortiGate parses testdata/fortigate/fortigate.log, line by line, with
// one parser whose zone (for date and time without tz) is UTC+9.
func TestFortiGate(t *testing.T) {
	lines := readLines(t, "fortigate/fortigate.log")
	sslUp := event.VPNSession{Time: utc(2024, 5, 1, 1, 0, 0), Kind: event.VPNStart, User: "kimura", Group: "vpn-users",
		RemoteIP: addr("203.0.113.5"), AssignedIP: addr("10.212.134.200"), SessionID: "1744830465",
		Sensor: "FG100E", Format: "fortigate"}
	sslAssign := sslUp
	sslAssign.Kind = event.VPNAssign
	stats := sslAssign
	stats.Time = utc(2024, 5, 1, 1, 10, 0)
	down := sslUp
	down.Kind, down.Time = event.VPNEnd, utc(2024, 5, 1, 2, 0, 0)
	down.DurationS, down.BytesOut, down.BytesIn, down.Reason = 3600, 5242880, 1048576, "idle-timeout"
	ipsecUp := event.VPNSession{Time: utc(2024, 5, 1, 1, 2, 0), Kind: event.VPNStart, User: "tanaka", Group: "ipsec-users",
		RemoteIP: addr("198.51.100.7"), RemotePort: 4500, AssignedIP: addr("10.10.10.1"), SessionID: "1234",
		Sensor: "FG100E", Format: "fortigate"}
	ipsecAssign := ipsecUp
	ipsecAssign.Kind = event.VPNAssign
	want := []fortiWant{
		{vpn: []event.VPNSession{sslUp, sslAssign}},
		{vpn: []event.VPNSession{stats}},
		{vpn: []event.VPNSession{down}},
		{err: "fortigate vpn ssl-login-fail event: nothing to store"},
		{vpn: []event.VPNSession{ipsecUp, ipsecAssign}},
		{err: "fortigate vpn tunnel-stats event without a user or a tunnel address: nothing to store"},
		{net: &event.Network{Time: utc(2024, 5, 1, 1, 4, 0), DurationS: 42, Kind: "firewall", Action: "allow",
			Direction: "outbound", Protocol: "tcp", SrcIP: addr("10.212.134.200"), SrcPort: 50123,
			DstIP: addr("198.51.100.80"), DstPort: 443, BytesOut: 2345, BytesIn: 67890, PacketsOut: 21, PacketsIn: 60,
			SrcMAC: "aa:bb:cc:00:11:22", RuleName: "sslvpn-to-internet", InIface: "ssl.root", OutIface: "wan1",
			NATIP: addr("192.0.2.1"), Hostname: "kimura-pc", UserName: "kimura", Sensor: "FG100E", Format: "fortigate",
			Status: "close"}},
		{net: &event.Network{Time: utc(2024, 5, 1, 1, 5, 0), Kind: "firewall", Action: "drop",
			Direction: "inbound", Protocol: "tcp", SrcIP: addr("198.51.100.99"), SrcPort: 51234,
			DstIP: addr("192.0.2.1"), DstPort: 22, RuleName: "0", InIface: "wan1", OutIface: "root",
			Sensor: "FG100E", Format: "fortigate", Status: "deny"}},
		{net: &event.Network{Time: utc(2024, 5, 1, 1, 6, 0), DurationS: 180, Kind: "firewall", Action: "allow",
			Direction: "inbound", Protocol: "udp", SrcIP: addr("2001:db8:1::10"), SrcPort: 53000,
			DstIP: addr("2001:db8:2::53"), DstPort: 53, BytesOut: 76, BytesIn: 140, PacketsOut: 1, PacketsIn: 1,
			RuleName: "30", InIface: "wan1", OutIface: "dmz", NATIP: addr("2001:db8:2::153"),
			Sensor: "FG100E", Format: "fortigate", Status: "timeout"}},
		{err: "fortigate utm/webfilter log: nothing to store"},
		{err: "fortigate CEF record (CEF output is not read; log in the default key=value format): nothing to store"},
		{err: `bad srcport "70000"`},
		{err: "missing type="},
		{err: "quoted value not closed: line cut short"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, %d expectations", len(lines), len(want))
	}
	p := newFortiGateParser(Options{Location: time.FixedZone("JST", 9*3600), ModTime: utc(2024, 5, 2, 0, 0, 0)})
	for i, line := range lines {
		t.Run(fmt.Sprint("line", i+1), func(t *testing.T) {
			var ev event.Network
			err := p.Parse(line, &ev)
			extra := p.Extra()
			w := want[i]
			switch {
			case w.err != "":
				checkLineError(t, err, w.err, extra.Len())
			case w.net != nil:
				if err != nil {
					t.Fatalf("error = %v, want a network event", err)
				}
				n := *w.net
				n.ID = event.NewID("fortigate", line)
				checkEvent(t, n, ev)
				checkInvariants(t, "fortigate", line, &ev)
				if extra.Len() != 0 {
					t.Errorf("%d extra records beside the network event", extra.Len())
				}
			default:
				if !errors.Is(err, ErrExtraOnly) {
					t.Fatalf("error = %v, want ErrExtraOnly", err)
				}
				if ev != (event.Network{}) {
					t.Errorf("network event filled: %+v", ev)
				}
				if len(extra.VPNSessions) != len(w.vpn) || len(extra.Endpoints)+len(extra.HTTP) != 0 {
					t.Fatalf("got %+v, want %d VPN facts", *extra, len(w.vpn))
				}
				for j, s := range w.vpn {
					s.Raw = string(line)
					s.ID = event.NewID("fortigate", append(append([]byte(s.Kind), 0), line...))
					for _, d := range diffFields(s, extra.VPNSessions[j]) {
						t.Errorf("fact %d: %s", j, d)
					}
				}
			}
		})
	}
}

// TestFortiGateTime checks each source of a line's time: eventtime in its
// four precisions, date and time with tz, in Options.Location, the syslog
// header's stamp, and the input's time.
func TestFortiGateTime(t *testing.T) {
	const tail = ` logid="0000000013" type="traffic" subtype="forward" srcip=10.0.0.1 dstip=10.0.0.2 action="accept"`
	tests := []struct{ line, want string }{
		{`eventtime=1714525200` + tail, "2024-05-01T01:00:00Z"},
		{`eventtime=1714525200999` + tail, "2024-05-01T01:00:00Z"},
		{`eventtime=1714525200999999` + tail, "2024-05-01T01:00:00Z"},
		{`eventtime="1714525200999999999" date=2030-01-01 time=00:00:00` + tail, "2024-05-01T01:00:00Z"},
		{`date=2024-05-01 time=10:00:00 tz="-0300"` + tail, "2024-05-01T13:00:00Z"},
		{`date="2024-05-01" time="10:00:00" tz="UTC+2"` + tail, "2024-05-01T01:00:00Z"}, // unreadable tz: the input's zone
		{`date=2024-05-01 time=10:00:00` + tail, "2024-05-01T01:00:00Z"},
		{`<190>2024-05-01T10:00:00+02:00 fw01 time=10:00:00` + tail, "2024-05-01T08:00:00Z"},
		{`type="traffic"` + tail, "2024-05-02T00:00:00Z"},
	}
	for _, tt := range tests {
		p := newFortiGateParser(Options{Location: time.FixedZone("JST", 9*3600), ModTime: utc(2024, 5, 2, 0, 0, 0)})
		var ev event.Network
		if err := p.Parse([]byte(tt.line), &ev); err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		if got := ev.Time.Format(time.RFC3339); got != tt.want || ev.Time.Location() != time.UTC {
			t.Errorf("%s: time %s, want %s", tt.line, got, tt.want)
		}
	}
	for _, bad := range []string{`eventtime=17145x` + tail, `date=2024-13-01 time=10:00:00` + tail} {
		var ev event.Network
		if err := newFortiGateParser(Options{}).Parse([]byte(bad), &ev); err == nil || errors.Is(err, ErrSkip) {
			t.Errorf("%s: error %v, want a reject", bad, err)
		}
	}
}

// TestFortiGateSniff checks detection on the fixture.
func TestFortiGateSniff(t *testing.T) {
	fm, err := Detect(readLines(t, "fortigate/fortigate.log"))
	if err != nil || fm.Name != "fortigate" {
		t.Fatalf("Detect = %v, %v", fm.Name, err)
	}
}

// TestFortiGateRealLogs parses the real samples of ../shared/real-logs/
// fortigate: no line may be rejected (its README calls none truncated).
func TestFortiGateRealLogs(t *testing.T) {
	dir := filepath.Join(realLogs, "fortigate")
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(files) == 0 {
		t.Skip("no " + dir)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := newFortiGateParser(Options{})
		var read, stored, facts, skipped, rejected int
		reasons := map[string]int{}
		for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			read++
			var ev event.Network
			switch err := p.Parse(line, &ev); {
			case err == nil:
				stored++
				checkInvariants(t, "fortigate", line, &ev)
			case errors.Is(err, ErrExtraOnly):
				facts += len(p.Extra().VPNSessions)
				stored++
			case errors.Is(err, ErrSkip):
				skipped++
				reasons[err.Error()]++
			default:
				rejected++
				t.Errorf("%s:%d rejected: %v\n%s", filepath.Base(path), i+1, err, line)
			}
		}
		t.Logf("%s: read %d, stored %d (%d VPN facts), skipped %d, rejected %d", filepath.Base(path), read, stored, facts, skipped, rejected)
		for r, n := range reasons {
			t.Logf("  skipped %d: %s", n, r)
		}
	}
}

func FuzzFortiGate(f *testing.F) {
	fm := seedFuzz(f, "fortigate", "fortigate/fortigate.log")
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		p := fm.New(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
		xp := p.(ExtraParser)
		for _, line := range bytes.Split(in, []byte("\n")) {
			var ev event.Network
			err := p.Parse(line, &ev)
			switch {
			case errors.Is(err, ErrSkip):
			case errors.Is(err, ErrExtraOnly):
				for _, s := range xp.Extra().VPNSessions {
					if s.ID.IsZero() || s.Time.IsZero() || s.Time.Location() != time.UTC || s.Time.Nanosecond() != 0 ||
						s.Kind == "" || s.Raw != string(line) || s.Format != "fortigate" {
						t.Fatalf("bad VPN fact from %q: %+v", line, s)
					}
				}
			case err != nil:
				if err.Error() == "" {
					t.Fatalf("empty error for %q", line)
				}
			default:
				checkInvariants(t, "fortigate", line, &ev)
			}
		}
	})
}

// BenchmarkFortiGate parses the fixture's traffic lines (the bulk of a
// FortiGate's syslog; benchLines takes no ErrExtraOnly lines).
func BenchmarkFortiGate(b *testing.B) {
	var lines [][]byte
	for _, l := range readLines(b, "fortigate/fortigate.log") {
		if bytes.Contains(l, []byte(`type="traffic"`)) && !bytes.Contains(l, []byte("srcport=70000")) {
			lines = append(lines, l)
		}
	}
	benchLines(b, newFortiGateParser(Options{}), lines)
}

// TestFortiGateFields checks the key=value scanner: quoted values with
// separators and escaped quotes inside, empty and N/A values, bare words
// and keys we do not read, the first of a repeated key, and a cut line.
func TestFortiGateFields(t *testing.T) {
	tests := []struct {
		body string
		want map[fortiField]string // values get returns; others must be nil
		ok   bool
	}{
		{`user="john.doe,cn=john.doe" group="a b" msg="x=\"y\"" policyname="p\\" action=accept`,
			map[fortiField]string{ffUser: "john.doe,cn=john.doe", ffGroup: "a b", ffPolicyName: `p\\`, ffAction: "accept"}, true},
		{`srcip=1.1.1.1,dstip="2.2.2.2",user="",group=N/A,remip="N/A",srcip=3.3.3.3`,
			map[fortiField]string{ffSrcIP: "1.1.1.1", ffDstIP: "2.2.2.2"}, true},
		{`kernel: bare words type=traffic tail`, map[fortiField]string{ffType: "traffic"}, true},
		{`type="traffic" msg="cut`, nil, false},
	}
	for _, tt := range tests {
		var f fortiFields
		if ok := f.scan([]byte(tt.body)); ok != tt.ok {
			t.Errorf("scan(%s) = %v, want %v", tt.body, ok, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		for k := range nFortiFields {
			got, want := f.get(k), tt.want[k]
			if string(got) != want || (got == nil) != (want == "") {
				t.Errorf("scan(%s) field %d = %q, want %q", tt.body, k, got, want)
			}
		}
	}
}
