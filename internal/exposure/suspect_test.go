package exposure

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/scan"
)

func TestSuspects(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := func(rule, target, device, host string, seen time.Time, status string) alert.Alert {
		return alert.Alert{ID: rule + "/" + target + "/" + device, RuleID: rule, Status: status, FirstSeen: seen.Add(-time.Hour), LastSeen: seen,
			Detail: map[string]string{"target": target, "device_id": device, "hostname": host, "local_ip": "10.0.0.5", "os": "Windows 11"}}
	}
	got, bad := Suspects([]alert.Alert{
		a("inbound-from-internet", "::ffff:127.0.0.2", "d1", "OLD-NAME", t0, alert.StatusOpen),
		a("endpoint-public-ip", "127.0.0.2", "d1", "LAPTOP", t0.Add(time.Hour), alert.StatusOpen), // newer: its facts win
		a("router-inbound-accepted", "127.0.0.1", "", "", t0, alert.StatusOpen),
		a("router-inbound-accepted", "", "", "", t0, alert.StatusOpen),                              // no address to scan
		a("inbound-from-internet", "127.0.0.3", "d3", "X", t0.Add(-48*time.Hour), alert.StatusOpen), // too old
		a("inbound-from-internet", "127.0.0.4", "d4", "Y", t0, alert.StatusResolved),
		a("port-scan-burst", "127.0.0.5", "", "", t0, alert.StatusOpen), // not a suspect rule
	}, t0.Add(-24*time.Hour))
	want := []Suspect{
		{Target: netip.MustParseAddr("127.0.0.1"), Hostname: "", LocalIP: "10.0.0.5", OS: "Windows 11",
			Rules: []string{"router-inbound-accepted"}, Alerts: []string{"router-inbound-accepted/127.0.0.1/"},
			FirstSeen: t0.Add(-time.Hour), LastSeen: t0},
		{Target: netip.MustParseAddr("127.0.0.2"), DeviceID: "d1", Hostname: "LAPTOP", LocalIP: "10.0.0.5", OS: "Windows 11",
			Rules:     []string{"endpoint-public-ip", "inbound-from-internet"},
			Alerts:    []string{"inbound-from-internet/::ffff:127.0.0.2/d1", "endpoint-public-ip/127.0.0.2/d1"},
			FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(time.Hour)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Suspects:\n got %+v\nwant %+v", got, want)
	}
	if len(bad) != 1 || bad[0].Reason != `target (empty) is not an IP address` {
		t.Errorf("bad suspects %+v", bad)
	}
}

func TestReadable(t *testing.T) {
	if got := readable(`\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x01\xff\xfb\x03\r\nIPCam login: `); got != "IPCam login:" {
		t.Errorf("readable = %q", got)
	}
	if got := readable(`SSH-2.0-OpenSSH_9.2p1\r\n`); got != "SSH-2.0-OpenSSH_9.2p1" {
		t.Errorf("readable = %q", got)
	}
}

func TestAbout(t *testing.T) {
	for _, c := range []struct {
		port           uint16
		proto, service string
		want           string
	}{
		{22, "tcp", "ssh", "SSH remote shell"},
		{8080, "tcp", "ssh", "SSH remote shell"}, // what answers counts, not the port's habit
		{8080, "tcp", "", "alternative web or admin port"},
		{1900, "udp", "upnp", "SSDP (UPnP discovery)"}, // upnp's home is TCP: the port's note
		{4444, "tcp", "", "unknown service"},
	} {
		if got := About(c.port, c.proto, c.service).What; got != c.want {
			t.Errorf("About(%d/%s, %q) = %q, want %q", c.port, c.proto, c.service, got, c.want)
		}
	}
	for svc, home := range serviceHome {
		if _, ok := knowledge[home]; !ok {
			t.Errorf("service %s: home %s has no note", svc, home)
		}
	}
}

func TestCarryOver(t *testing.T) {
	prev := Ticket{OpenPorts: []Finding{{Port: 1900, Proto: "udp", Service: "upnp"}, {Port: 23, Proto: "tcp"}, {Port: 80, Proto: "tcp"}}}
	// A rescan of TCP ports 1-100 without UDP that found 80 still open.
	tk := Ticket{OpenPorts: []Finding{{Port: 80, Proto: "tcp"}}}
	carryOver(&tk, prev, scan.Scan{TCPPorts: "1-100"})
	if len(tk.OpenPorts) != 2 || tk.OpenPorts[1].Port != 1900 || !tk.OpenPorts[1].NotRescanned || tk.OpenPorts[0].NotRescanned {
		t.Errorf("carried over %+v: want 80/tcp as found and 1900/udp kept as not rescanned (23/tcp was rescanned: closed)", tk.OpenPorts)
	}
	// A scan with no record of its ports is taken to have tried them all.
	tk = Ticket{}
	carryOver(&tk, prev, scan.Scan{})
	if len(tk.OpenPorts) != 0 {
		t.Errorf("carried over %+v from a scan of unknown ports", tk.OpenPorts)
	}
}
