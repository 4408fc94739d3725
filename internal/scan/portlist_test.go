package scan

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/scan/scantest"
)

func TestFormatPorts(t *testing.T) {
	for _, tc := range []struct {
		in   []uint16
		want string
	}{
		{nil, ""},
		{[]uint16{}, ""},
		{[]uint16{80}, "80"},
		{[]uint16{8080, 22, 23, 24, 80, 22}, "22-24,80,8080"},
		{[]uint16{1, 2}, "1-2"},
		{[]uint16{0, 65535, 65534}, "0,65534-65535"},
		{[]uint16{49152, 1900, 5000, 49153}, "1900,5000,49152-49153"},
	} {
		if got := FormatPorts(tc.in); got != tc.want {
			t.Errorf("FormatPorts(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	all, _ := ParsePorts("all")
	if got := FormatPorts(all); got != "1-65535" {
		t.Errorf("all: %q", got)
	}
	top1000 := FormatPorts(Top1000())
	if !strings.HasPrefix(top1000, "1-1025,1080,1099,1194,") || len(top1000) > 600 {
		t.Errorf("top1000: %d bytes: %s", len(top1000), top1000)
	}
}

func TestParsePortList(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"", "[]", ""},
		{"22", "[22]", ""},
		{"1,3-4,6-7,9", "[1 3 4 6 7 9]", ""},
		{"8080, 22-23 ,80", "[22 23 80 8080]", ""},
		{"5-7,6-9,1-1,3", "[1 3 5 6 7 8 9]", ""}, // overlaps and touching ranges
		{"0,65535", "[0 65535]", ""},
		{"1,,2", "", `port list "1,,2": empty item`},
		{"1-", "", `port list "1-": empty item`},
		{"65536", "", `port list "65536": "65536" is not a port 0-65535`},
		{"top100", "", `port list "top100": "top100" is not a port 0-65535`},
		{"9-3", "", `port list "9-3": range "9-3": 9 is above 3`},
		{"-5", "", `port list "-5": empty item`},
	} {
		got, err := ParsePortList(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParsePortList(%q): err %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != tc.want {
			t.Errorf("ParsePortList(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

// TestPortSetRoundTrip: formatting then parsing gives back the ports, and
// the compact text is the one form of a set.
func TestPortSetRoundTrip(t *testing.T) {
	for _, ports := range [][]uint16{Top100(), Top1000(), {1, 3, 5, 65535}, {}} {
		s := FormatPorts(ports)
		got, err := ParsePortList(s)
		want := slices.Sorted(slices.Values(slices.Clone(ports)))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%q: %v, %v", s, len(got), err)
		}
		p, _ := ParsePortSet(s)
		if p.String() != s || p.Len() != len(ports) {
			t.Errorf("%q: set %q of %d ports", s, p.String(), p.Len())
		}
	}
}

func TestPortSetContains(t *testing.T) {
	p, err := ParsePortSet("22-24,80,1000-2000,65535")
	if err != nil {
		t.Fatal(err)
	}
	var in []uint16
	for _, port := range []uint16{0, 21, 22, 23, 24, 25, 79, 80, 81, 999, 1000, 1500, 2000, 2001, 65534, 65535} {
		if p.Contains(port) {
			in = append(in, port)
		}
	}
	if fmt.Sprint(in) != "[22 23 24 80 1000 1500 2000 65535]" {
		t.Errorf("contains %v", in)
	}
	if p.Len() != 3+1+1001+1 {
		t.Errorf("len %d", p.Len())
	}
	if (PortSet{}).Contains(0) || (PortSet{}).Len() != 0 {
		t.Error("the empty set holds something")
	}
	q, _ := ParsePortSet("25-79,2001")
	if got := p.Union(q).String(); got != "22-80,1000-2001,65535" {
		t.Errorf("union %s", got)
	}
}

func TestCoverage(t *testing.T) {
	for _, tc := range []struct {
		tcp, udp string
		want     string // of tcp/22 tcp/8080 udp/161 udp/1900
	}{
		{"", "", "known false: true true true true"},
		{"1-1024", "", "known true: true false false false"},
		{"", "161", "known true: false false true false"},
		{"22,8080", "161,1900", "known true: true true true true"},
	} {
		c, err := Scan{TCPPorts: tc.tcp, UDPPorts: tc.udp}.Coverage()
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("known %v: %v %v %v %v", c.Known, c.Covers(TCP, 22), c.Covers(TCP, 8080), c.Covers(UDP, 161), c.Covers(UDP, 1900))
		if got != tc.want {
			t.Errorf("%q %q: %s, want %s", tc.tcp, tc.udp, got, tc.want)
		}
	}
	if _, err := (Scan{ID: "x", TCPPorts: "1-2-3"}).Coverage(); err == nil ||
		err.Error() != `scan x: tcp_ports: port list "1-2-3": "2-3" is not a port 0-65535` {
		t.Errorf("bad list: %v", err)
	}
}

// TestRunRecordsPorts: a scan names the ports it tried, TCP and UDP, after
// the defaults.
func TestRunRecordsPorts(t *testing.T) {
	c1, c2 := scantest.ClosedPort(t, scantest.V4), scantest.ClosedPort(t, scantest.V4)
	sc := runLoopback(t, []netip.Addr{scantest.V4}, Options{Ports: []uint16{c2, c1, c1}, NoServices: true})
	if want := FormatPorts([]uint16{c1, c2}); sc.TCPPorts != want || sc.UDPPorts != "" {
		t.Errorf("tcp %q udp %q, want %q and none", sc.TCPPorts, sc.UDPPorts, want)
	}
	sc = runLoopback(t, []netip.Addr{scantest.V4}, Options{Ports: []uint16{}, UDPPorts: []uint16{51820, 53, 1900}, UDP: &fakeUDP{}})
	if sc.TCPPorts != "" || sc.UDPPorts != "53,1900,51820" {
		t.Errorf("udp only: tcp %q udp %q", sc.TCPPorts, sc.UDPPorts)
	}
	// Ports left nil: top100, recorded as such (cancelled at once: at most
	// a connect or two, to loopback).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sc, err := Run(ctx, []netip.Addr{scantest.V4}, Options{Allow: scantest.AllowLoopback, NoServices: true})
	if err == nil || sc.TCPPorts != FormatPorts(Top100()) || sc.UDPPorts != "" {
		t.Errorf("default ports: tcp %q udp %q, %v", sc.TCPPorts, sc.UDPPorts, err)
	}
}

// FuzzParsePortSet: no input panics, and what parses has one compact text
// that parses back to the same ports.
func FuzzParsePortSet(f *testing.F) {
	for _, s := range []string{"", "1-1024,8080", "5-7,6-9,1-1,3", "0,65535", "1,,2", "9-3", FormatPorts(Top1000())} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		p, err := ParsePortSet(s)
		if err != nil {
			return
		}
		q, err := ParsePortSet(p.String())
		if err != nil || q.String() != p.String() || q.Len() != p.Len() || len(p.Ports()) != p.Len() {
			t.Fatalf("%q: %q then %q, %v", s, p.String(), q.String(), err)
		}
	})
}
