package nmapxml

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/scan"
)

func decodeFile(t *testing.T, path string) (scan.Scan, Info, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Decode(f)
}

// TestDecode checks every field of our own fixture: an IPv6 host with TCP
// and UDP ports (open|filtered among them) and per-protocol extraports
// named by nmap 7.9x's extrareasons, an IPv4 host with extraports whose
// protocol only scaninfo tells, and a host with a MAC address only.
func TestDecode(t *testing.T) {
	s, info, err := decodeFile(t, "testdata/homesoc.xml")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 28, 0, 10, 0, 0, time.UTC)
	want := scan.Scan{
		Source:   "nmap",
		Args:     "nmap -6 -sS -sU -sV -p T:1-100,U:1-10 -oX homesoc.xml ::1 127.0.0.1",
		Started:  t0,
		Finished: t0.Add(113 * time.Second),
		TCPPorts: "1-100",
		UDPPorts: "1-10",
		Hosts: []scan.Host{
			{
				Addr: netip.MustParseAddr("::1"), Hostname: "localhost", Status: "up",
				Started: t0, Finished: t0.Add(112 * time.Second), SRTT: 47 * time.Microsecond,
				Closed: map[string]int{"tcp": 96, "udp": 7}, Filtered: map[string]int{},
				Ports: []scan.Port{
					{Port: 22, Proto: "tcp", State: "open", Reason: "syn-ack", Service: "ssh", Product: "OpenSSH",
						Version: "9.2p1 Debian 2+deb12u3", Info: "protocol 2.0", OS: "Linux",
						Evidence: scan.Evidence{Fields: map[string]string{"nmap_conf": "10"}}},
					{Port: 80, Proto: "tcp", State: "open", Reason: "syn-ack", Service: "http", Product: "lighttpd", Version: "1.4.69",
						Evidence: scan.Evidence{Fields: map[string]string{"nmap_conf": "10", "nmap_script_http-title": "Router & Co\n"}}},
					{Port: 443, Proto: "tcp", State: "filtered", Reason: "no-response", Service: "https", Guessed: true,
						Evidence: scan.Evidence{Fields: map[string]string{"nmap_conf": "3"}}},
					{Port: 8443, Proto: "tcp", State: "open", Reason: "syn-ack", Service: "https", Product: "nginx",
						Evidence: scan.Evidence{Fields: map[string]string{"nmap_conf": "10", "tunnel": "ssl"}}},
					{Port: 5, Proto: "udp", State: "open|filtered", Reason: "no-response", Service: "rje", Guessed: true,
						Evidence: scan.Evidence{Fields: map[string]string{"nmap_conf": "3"}}},
					{Port: 8, Proto: "udp", State: "open", Reason: "udp-response"},
					{Port: 10, Proto: "udp", State: "open|filtered", Reason: "no-response"},
				},
			},
			{
				Addr: netip.MustParseAddr("127.0.0.1"), Status: "up", Started: t0, Finished: t0.Add(50 * time.Second),
				Closed: map[string]int{}, Filtered: map[string]int{"tcp": 100, "udp": 10}, Ports: []scan.Port{},
			},
		},
	}
	if !reflect.DeepEqual(s, want) {
		g, _ := json.MarshalIndent(s, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("got\n%s\nwant\n%s", g, w)
	}
	wantInfo := Info{Scanner: "nmap", Version: "7.93", Args: want.Args, Started: t0, Finished: want.Finished, SkippedHosts: 1, SkippedPorts: 1,
		TCPPorts: "1-100", UDPPorts: "1-10"}
	if info != wantInfo {
		t.Errorf("info %+v\nwant %+v", info, wantInfo)
	}
}

// TestScanInfo: the port sets a run tried, from its <scaninfo> elements.
func TestScanInfo(t *testing.T) {
	run := func(infos string) string {
		return `<nmaprun start="1">` + infos + `<host><status state="up"/><address addr="127.0.0.1" addrtype="ipv4"/></host></nmaprun>`
	}
	for _, tc := range []struct {
		name, infos, tcp, udp, err string
	}{
		{"tcp only", `<scaninfo type="syn" protocol="tcp" numservices="5" services="1,3-4,6-7"/>`, "1,3-4,6-7", "", ""},
		{"tcp and udp", `<scaninfo type="syn" protocol="tcp" numservices="3" services="22,80,443"/>` +
			`<scaninfo type="udp" protocol="udp" numservices="2" services="161,53"/>`, "22,80,443", "53,161", ""},
		{"udp only", `<scaninfo type="udp" protocol="udp" numservices="1" services="1900"/>`, "", "1900", ""},
		// Two scan types of one protocol (-sS -sA) tried their ports each.
		{"joined", `<scaninfo type="syn" protocol="tcp" numservices="3" services="1-3"/>` +
			`<scaninfo type="ack" protocol="tcp" numservices="3" services="4,80,2"/>`, "1-4,80", "", ""},
		{"ip protocols ignored", `<scaninfo type="ipproto" protocol="ip" numservices="2" services="1,6"/>` +
			`<scaninfo type="syn" protocol="tcp" numservices="1" services="22"/>`, "22", "", ""},
		{"no scaninfo", ``, "", "", ""},
		{"not listed", `<scaninfo type="syn" protocol="tcp"/>`, "", "", ""},
		// One protocol counted but not listed: the file does not say what
		// either tried.
		{"counted, not listed", `<scaninfo type="syn" protocol="tcp" numservices="100" services="1-100"/>` +
			`<scaninfo type="udp" protocol="udp" numservices="100"/>`, "", "", ""},
		{"bad list", `<scaninfo type="syn" protocol="tcp" numservices="2" services="22,x"/>`, "", "",
			`nmap xml line 1: scaninfo: tcp services: port list "22,x": "x" is not a port 0-65535`},
	} {
		s, info, err := Decode(strings.NewReader(run(tc.infos)))
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %s", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if s.TCPPorts != tc.tcp || s.UDPPorts != tc.udp || info.TCPPorts != tc.tcp || info.UDPPorts != tc.udp {
			t.Errorf("%s: tcp %q udp %q (info %q %q), want %q %q", tc.name, s.TCPPorts, s.UDPPorts, info.TCPPorts, info.UDPPorts, tc.tcp, tc.udp)
		}
	}
}

// TestExtraProto covers the inference of an extraports' protocol in files
// older than nmap 7.90, which do not name it.
func TestExtraProto(t *testing.T) {
	both := []string{"tcp", "udp"}
	tests := []struct {
		state     string
		n         int
		remaining map[string]int
		protos    []string
		want      string
	}{
		{"closed", 900, map[string]int{"tcp": 995}, []string{"tcp"}, "tcp"},
		{"filtered", 95, map[string]int{"tcp": 95, "udp": 99}, both, "tcp"},
		{"open|filtered", 99, map[string]int{"tcp": 95, "udp": 99}, both, "udp"},
		{"open|filtered", 95, map[string]int{"tcp": 95, "udp": 95}, both, "udp"}, // UDP silence first
		{"closed", 95, map[string]int{"tcp": 95, "udp": 95}, both, "tcp"},
		{"closed", 50, map[string]int{"tcp": 95, "udp": 99}, both, "tcp"}, // no exact match: the first with room
		{"closed", 97, map[string]int{"tcp": 95, "udp": 99}, both, "udp"},
		{"closed", 500, map[string]int{"tcp": 95, "udp": 99}, both, ""},
		{"closed", 10, map[string]int{}, nil, "tcp"}, // nmap 3.x: no scaninfo
		{"closed", 10, map[string]int{"sctp": 10}, []string{"sctp"}, ""},
	}
	for i, tc := range tests {
		if got := extraProto(tc.state, tc.n, tc.remaining, tc.protos); got != tc.want {
			t.Errorf("%d: extraProto(%s, %d, %v) = %q, want %q", i, tc.state, tc.n, tc.remaining, got, tc.want)
		}
	}
}

// TestDecodeBad: each bad file's error, with the line it names.
func TestDecodeBad(t *testing.T) {
	for file, want := range map[string]string{
		"truncated.bad.xml": "nmap xml line 6: unexpected EOF",
		"badport.bad.xml":   `nmap xml line 3: host: portid "70000": want 0 to 65535`,
		"html.bad.xml":      "nmap xml line 1: root element <html>, want <nmaprun>: not nmap -oX output",
	} {
		_, _, err := decodeFile(t, filepath.Join("testdata", file))
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %s", file, err, want)
		}
	}
	if _, _, err := Decode(strings.NewReader("")); err == nil || err.Error() != "nmap xml: no <nmaprun> element: not nmap -oX output" {
		t.Errorf("empty input: %v", err)
	}
	if _, _, err := Decode(strings.NewReader(`<?xml version="1.0" encoding="KOI8-R"?><nmaprun/>`)); err == nil ||
		!strings.Contains(err.Error(), `encoding "KOI8-R": only UTF-8 and ISO-8859-1 are read`) {
		t.Errorf("KOI8-R: %v", err)
	}
}

func TestDecodeLatin1(t *testing.T) {
	in := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><nmaprun start=\"1\"><host><status state=\"up\"/>" +
		"<address addr=\"127.0.0.1\" addrtype=\"ipv4\"/><hostnames><hostname name=\"caf\xe9\"/></hostnames></host></nmaprun>"
	s, _, err := Decode(strings.NewReader(in))
	if err != nil || len(s.Hosts) != 1 || s.Hosts[0].Hostname != "café" {
		t.Errorf("latin-1: %+v, %v", s, err)
	}
}

// TestStreamStops: an error of the callback stops the read and is returned.
func TestStreamStops(t *testing.T) {
	f, err := os.Open("testdata/homesoc.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stop := fmt.Errorf("enough")
	n := 0
	_, err = Stream(f, func(scan.Host) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Stream: %v after %d hosts, want enough after 1", err, n)
	}
}

// realSamples is where the shared real nmap files are.
const realSamples = "../../../../shared/real-logs/nmap-xml"

// TestRealSamples imports every real sample (nmap 3.75 to 4.90RC2). The
// counts of a few were verified by hand against the files: hosts with an
// IP address, listed tcp/udp ports, open ports, and extraports.
func TestRealSamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(realSamples, "*.xml"))
	if len(files) == 0 {
		t.Skip("no real samples at " + realSamples)
	}
	want := map[string]string{
		// 1 host (scanme), ports tcp 22 25 53 70 80 and udp 53; extraports
		// filtered 95 (tcp: 100 - 5 listed) and open|filtered 99 (udp).
		"nmap-ndiff_test-scans_complex.xml": "hosts 1 up 1 ports 6 open 4 closed map[] filtered map[tcp:95 udp:99]",
		// 4 hosts of 10.0.0.100-180 with 22 and 80 listed (22 closed on two),
		// extraports "unknown" 0.
		"nmap-zenmap_test_xml_test11.xml": "hosts 4 up 4 ports 8 open 6 closed map[] filtered map[]",
		// 55 hosts, 254 <port>s of which 89 open (grep), extraports summed
		// with awk: closed 26884, filtered 27862, all TCP (one scaninfo).
		"nmap-ndiff_test-scans_random-1.xml": "hosts 55 up 55 ports 254 open 89 closed map[tcp:26884] filtered map[tcp:27862]",
		// 1 host, ports 1-100: 5 listed, extraports filtered 95.
		"nmap-ndiff_test-scans_single.xml": "hosts 1 up 1 ports 5 open 3 closed map[] filtered map[tcp:95]",
	}
	// The sizes of the port sets each file's scaninfo lists, as its
	// numservices attributes say (tcp, udp).
	wantPorts := map[string][2]int{
		"nmap-ndiff_test-scans_complex.xml":                   {100, 100},
		"nmap-ndiff_test-scans_os.xml":                        {2, 0},
		"nmap-ndiff_test-scans_random-1.xml":                  {1000, 0},
		"nmap-ndiff_test-scans_single.xml":                    {100, 0},
		"nmap-zenmap_radialnet_share_sample_nmap_example.xml": {1714, 0},
		"nmap-zenmap_test_xml_test11.xml":                     {2, 0},
	}
	for _, file := range files {
		name := filepath.Base(file)
		s, info, err := decodeFile(t, file)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		up, ports, open := 0, 0, 0
		closed, filtered := map[string]int{}, map[string]int{}
		for _, h := range s.Hosts {
			if h.Status == "up" {
				up++
			}
			ports += len(h.Ports)
			for _, p := range h.Ports {
				if p.State == scan.Open {
					open++
				}
			}
			for k, v := range h.Closed {
				closed[k] += v
			}
			for k, v := range h.Filtered {
				filtered[k] += v
			}
		}
		got := fmt.Sprintf("hosts %d up %d ports %d open %d closed %v filtered %v", len(s.Hosts), up, ports, open, closed, filtered)
		t.Logf("%s (nmap %s): %s; skipped %d hosts, %d ports", name, info.Version, got, info.SkippedHosts, info.SkippedPorts)
		if w, ok := want[name]; ok && got != w {
			t.Errorf("%s: %s\nwant %s", name, got, w)
		}
		tcp, err1 := scan.ParsePortSet(s.TCPPorts)
		udp, err2 := scan.ParsePortSet(s.UDPPorts)
		if w, ok := wantPorts[name]; ok && (err1 != nil || err2 != nil || tcp.Len() != w[0] || udp.Len() != w[1]) {
			t.Errorf("%s: port sets of %d tcp, %d udp (%v, %v), want %d and %d", name, tcp.Len(), udp.Len(), err1, err2, w[0], w[1])
		}
		if s.Started.IsZero() || s.Args == "" {
			t.Errorf("%s: no start time or args", name)
		}
	}
}
