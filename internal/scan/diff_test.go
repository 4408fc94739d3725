package scan

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

var diffTarget = netip.MustParseAddr("127.0.0.1")

// diffScans are an nmap import (a) and a later scan of ours (b) of the same
// target, with every kind of change.
func diffScans() (a, b Scan) {
	a = Scan{ID: "a", Source: SourceNmap, Hosts: []Host{
		{Addr: netip.MustParseAddr("127.0.0.2"), Status: "up", Ports: []Port{{Port: 1, Proto: TCP, State: Open}}},
		{Addr: diffTarget, Status: "up", Ports: []Port{
			{Port: 22, Proto: TCP, State: Open, Service: "ssh", Product: "OpenSSH", Version: "9.2p1"},
			{Port: 80, Proto: TCP, State: Open, Service: "http", Guessed: true},
			{Port: 23, Proto: TCP, State: Open, Service: "telnet"},
			{Port: 6379, Proto: TCP, State: Open, Service: "redis", Product: "Redis key-value store"},
			{Port: 8080, Proto: TCP, State: Filtered},
			{Port: 1900, Proto: UDP, State: OpenFiltered, Service: "upnp", Guessed: true},
			{Port: 161, Proto: UDP, State: Open, Service: "snmp"},
			{Port: 53, Proto: UDP, State: OpenFiltered},
			{Port: 21, Proto: TCP, State: Open, Service: "ftp"},
		}},
	}}
	b = Scan{ID: "b", Source: SourceHomesoc, Hosts: []Host{
		{Addr: netip.MustParseAddr("::ffff:127.0.0.1"), Status: "up", Ports: []Port{
			{Port: 22, Proto: TCP, State: Open, Service: "ssh", Product: "OpenSSH", Version: "9.6p1"},
			{Port: 80, Proto: TCP, State: Open, Service: "http", Product: "lighttpd"},
			{Port: 23, Proto: TCP, State: Closed, Reason: "reset"},
			{Port: 6379, Proto: TCP, State: Open, Service: "redis"},
			{Port: 8080, Proto: TCP, State: Open, Service: "http"},
			{Port: 1900, Proto: UDP, State: Open, Service: "ssdp", Product: "MiniUPnPd"},
			{Port: 161, Proto: UDP, State: OpenFiltered},
			{Port: 53, Proto: UDP, State: Filtered},
			{Port: 443, Proto: TCP, State: Open, Service: "https"},
		}},
	}}
	return a, b
}

// compact is a diff list as "port/proto before>after fields" lines.
func compact(ps []PortDiff) string {
	var out []string
	for _, p := range ps {
		s := p.Proto + "/" + strconv.Itoa(int(p.Port)) + " " + p.Before + ">" + p.After
		if len(p.Fields) > 0 {
			s += " " + strings.Join(p.Fields, ",")
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

func TestDiff(t *testing.T) {
	a, b := diffScans()
	d, err := Diff(a, b, diffTarget)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  []PortDiff
		want string
	}{
		{"opened", d.Opened, "tcp/443 >open; tcp/8080 filtered>open; udp/1900 open|filtered>open"},
		{"closed", d.Closed, "tcp/21 open>; tcp/23 open>closed"},
		{"changed", d.Changed, "tcp/22 open>open version"},
		{"unconfirmed", d.Unconfirmed, "udp/161 open>open|filtered"},
		{"unchanged", d.Unchanged, "tcp/80 open>open; tcp/6379 open>open"},
	} {
		if s := compact(c.got); s != c.want {
			t.Errorf("%s: %s\nwant %s", c.name, s, c.want)
		}
	}
	if d.Changes() != 7 {
		t.Errorf("Changes = %d, want 7", d.Changes())
	}
	if d.Target != diffTarget || d.A != "a" || d.B != "b" {
		t.Errorf("target, a, b = %v %q %q", d.Target, d.A, d.B)
	}
	if d.Closed[0].New != nil || d.Closed[0].Old.Service != "ftp" || d.Opened[0].Old != nil || d.Opened[0].New.Service != "https" {
		t.Errorf("old/new of closed 21, opened 443: %+v %+v", d.Closed[0], d.Opened[0])
	}
}

// TestDiffNotScanned: a port open in a that b did not try is NotScanned,
// not Closed, by b's recorded port sets; without them (both "") every port
// b does not list counts as tried, as before.
func TestDiffNotScanned(t *testing.T) {
	a := Scan{ID: "a", TCPPorts: "1-1024", UDPPorts: "161,1900", Hosts: []Host{{Addr: diffTarget, Status: "up", Ports: []Port{
		{Port: 22, Proto: TCP, State: Open, Service: "ssh"},
		{Port: 23, Proto: TCP, State: Open, Service: "telnet"},
		{Port: 80, Proto: TCP, State: Open, Service: "http"},
		{Port: 443, Proto: TCP, State: Open, Service: "https"},
		{Port: 8443, Proto: TCP, State: Open, Service: "https"},
		{Port: 161, Proto: UDP, State: Open, Service: "snmp"},
		{Port: 1900, Proto: UDP, State: Open, Service: "upnp"},
	}}}}
	ports := []Port{
		{Port: 22, Proto: TCP, State: Open, Service: "ssh"},
		{Port: 23, Proto: TCP, State: Closed, Reason: "conn-refused"},
		{Port: 443, Proto: TCP, State: Filtered, Reason: "no-response"}, // listed outside its own set: listing wins
		{Port: 9000, Proto: TCP, State: Open, Service: "http"},          // a never tried it: still opened
	}
	for _, tc := range []struct {
		name, tcp, udp             string
		opened, closed, notScanned string
		changes                    int
	}{
		{"smaller tcp set, no udp", "1-100,9000", "",
			"tcp/9000 >open", "tcp/23 open>closed; tcp/80 open>; tcp/443 open>filtered",
			"tcp/8443 open>; udp/161 open>; udp/1900 open>", 4},
		{"udp only", "", "161",
			"tcp/9000 >open", "tcp/23 open>closed; tcp/443 open>filtered; udp/161 open>",
			"tcp/80 open>; tcp/8443 open>; udp/1900 open>", 4},
		{"every port a found", "1-1024,8443,9000", "161,1900",
			"tcp/9000 >open", "tcp/23 open>closed; tcp/80 open>; tcp/443 open>filtered; tcp/8443 open>; udp/161 open>; udp/1900 open>",
			"", 7},
		{"no record: as before", "", "",
			"tcp/9000 >open", "tcp/23 open>closed; tcp/80 open>; tcp/443 open>filtered; tcp/8443 open>; udp/161 open>; udp/1900 open>",
			"", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := Scan{ID: "b", TCPPorts: tc.tcp, UDPPorts: tc.udp, Hosts: []Host{{Addr: diffTarget, Status: "up", Ports: ports}}}
			d, err := Diff(a, b, diffTarget)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				got  []PortDiff
				want string
			}{
				{"opened", d.Opened, tc.opened},
				{"closed", d.Closed, tc.closed},
				{"not scanned", d.NotScanned, tc.notScanned},
				{"unchanged", d.Unchanged, "tcp/22 open>open"},
				{"changed", d.Changed, ""},
				{"unconfirmed", d.Unconfirmed, ""},
			} {
				if s := compact(c.got); s != c.want {
					t.Errorf("%s: %s\nwant %s", c.name, s, c.want)
				}
			}
			if d.Changes() != tc.changes {
				t.Errorf("Changes = %d, want %d", d.Changes(), tc.changes)
			}
			if len(d.NotScanned) > 0 && (d.NotScanned[0].Old == nil || d.NotScanned[0].New != nil) {
				t.Errorf("not scanned old/new: %+v", d.NotScanned[0])
			}
		})
	}
	// The host down in b: what b tried is closed, the rest not scanned.
	down := Scan{ID: "b", TCPPorts: "1-100", Hosts: []Host{{Addr: diffTarget, Status: "down", Ports: []Port{}}}}
	d, err := Diff(a, down, diffTarget)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := compact(d.Closed)+" | "+compact(d.NotScanned),
		"tcp/22 open>; tcp/23 open>; tcp/80 open> | tcp/443 open>; tcp/8443 open>; udp/161 open>; udp/1900 open>"; got != want {
		t.Errorf("host down: %s\nwant %s", got, want)
	}
}

func TestDiffBadPortList(t *testing.T) {
	a, b := diffScans()
	b.UDPPorts = "53,1900-x"
	if _, err := Diff(a, b, diffTarget); err == nil ||
		err.Error() != `diff: scan b: udp_ports: port list "53,1900-x": "x" is not a port 0-65535` {
		t.Errorf("err = %v", err)
	}
}

func TestDiffChangedFields(t *testing.T) {
	open := func(svc string, guessed bool, product, version string) Port {
		return Port{Port: 1, Proto: TCP, State: Open, Service: svc, Guessed: guessed, Product: product, Version: version}
	}
	tests := []struct {
		a, b Port
		want string
	}{
		{open("http", false, "Apache httpd", "2.4.62"), open("http", false, "nginx", "1.22.1"), "product,version"},
		{open("http", false, "", ""), open("rtsp", false, "", ""), "service"},
		{open("http", true, "", ""), open("rtsp", false, "", ""), ""}, // a guess is not a finding
		{open("http", false, "", ""), open("http", false, "nginx", ""), ""},
		{open("ssh", false, "OpenSSH", "9.2p1"), open("ssh", false, "OpenSSH", ""), ""},
	}
	for i, tc := range tests {
		if got := strings.Join(changedFields(tc.a, tc.b), ","); got != tc.want {
			t.Errorf("%d: changed %q, want %q", i, got, tc.want)
		}
	}
}

func TestDiffJSON(t *testing.T) {
	a := Scan{ID: "a", Hosts: []Host{{Addr: diffTarget}}}
	b := Scan{ID: "b", Hosts: []Host{{Addr: diffTarget, Ports: []Port{{Port: 22, Proto: TCP, State: Open, Service: "ssh"}}}}}
	d, err := Diff(a, b, diffTarget)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(d)
	want := `{"target":"127.0.0.1","a":"a","b":"b","opened":[{"port":22,"proto":"tcp","before":"","after":"open",` +
		`"new":{"port":22,"proto":"tcp","state":"open","reason":"","service":"ssh","evidence":{},"rtt_s":0,"probe_s":0}}],` +
		`"closed":[],"changed":[],"unconfirmed":[],"unchanged":[],"not_scanned":[]}`
	if string(got) != want {
		t.Errorf("JSON\n%s\nwant\n%s", got, want)
	}
}

func TestDiffMissingHost(t *testing.T) {
	a, b := diffScans()
	other := netip.MustParseAddr("::1")
	if _, err := Diff(a, b, other); err == nil || err.Error() != "diff: scan a has no host ::1" {
		t.Errorf("err = %v", err)
	}
	if _, err := Diff(a, b, netip.MustParseAddr("127.0.0.2")); err == nil || err.Error() != "diff: scan b has no host 127.0.0.2" {
		t.Errorf("err = %v", err)
	}
}

func TestSameWords(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"9.2p1", "9.2p1 Debian 2+deb12u3", true},
		{"9.2p1 Debian 2+deb12u3", "9.2p1", true},
		{"lighttpd", "Lighttpd", true},
		{"9.2p1", "9.2p2", false},
		{"9.2", "9.2p1", false}, // not at a word's end
		{"Apache httpd", "Apache Tomcat", false},
	} {
		if got := sameWords(c.a, c.b); got != c.want {
			t.Errorf("sameWords(%q, %q) = %t", c.a, c.b, got)
		}
	}
}
