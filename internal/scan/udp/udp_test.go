package udp

import (
	"context"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/upnp/upnptest"
)

// scanOne scans one port of host with the probe named probe and returns
// the result without its timings, and the number of wait calls.
func scanOne(t *testing.T, host string, port uint16, probe string, retries int) (scan.Port, int) {
	t.Helper()
	var waits atomic.Int32
	s := Scanner{Probes: map[uint16]string{port: probe}}
	got := s.ScanUDP(context.Background(), loopback(t, host), []uint16{port}, 300*time.Millisecond, retries,
		func(ctx context.Context) error { waits.Add(1); return ctx.Err() })
	if len(got) != 1 {
		t.Fatalf("got %d ports, want 1", len(got))
	}
	if got[0].State == scan.Open && got[0].RTT <= 0 {
		t.Errorf("open port without RTT: %+v", got[0])
	}
	got[0].RTT, got[0].ProbeTime = 0, 0
	return got[0], int(waits.Load())
}

func open(port uint16, service, product, version, info, os string, f map[string]string) scan.Port {
	return scan.Port{Port: port, Proto: scan.UDP, State: scan.Open, Reason: ReasonResponse, Service: service,
		Product: product, Version: version, Info: info, OS: os, Evidence: scan.Evidence{Fields: f}}
}

func TestProbes(t *testing.T) {
	tests := []struct {
		name  string
		host  string
		probe string
		start func(t *testing.T, host string) uint16
		want  func(port uint16) scan.Port
		waits int // datagrams sent (wait calls)
	}{
		{
			name: "dns", host: "127.0.0.1", probe: "domain", waits: 2,
			start: dnsServer,
			want: func(port uint16) scan.Port {
				return open(port, "domain", "dnsmasq", "2.89", "", "", map[string]string{
					"dns_rcode": "NOERROR", "dns_recursion_available": "yes", "dns_version": "dnsmasq-2.89", "dns_id_server": "gw.lan"})
			},
		},
		{
			name: "dns over IPv6", host: "::1", probe: "domain", waits: 2,
			start: dnsServer,
			want: func(port uint16) scan.Port {
				return open(port, "domain", "dnsmasq", "2.89", "", "", map[string]string{
					"dns_rcode": "NOERROR", "dns_recursion_available": "yes", "dns_version": "dnsmasq-2.89", "dns_id_server": "gw.lan"})
			},
		},
		{
			name: "mdns", host: "127.0.0.1", probe: "mdns", waits: 1,
			start: func(t *testing.T, host string) uint16 { return serveUDP(t, host, mdnsAnswer).port },
			want: func(port uint16) scan.Port {
				return open(port, "mdns", "", "", "", "", map[string]string{
					"mdns_services": "_http._tcp.local,_smb._tcp.local,_ssh._tcp.local", "mdns_hosts": "nas.local"})
			},
		},
		{
			name: "ntp with mode 6", host: "127.0.0.1", probe: "ntp", waits: 2,
			start: func(t *testing.T, host string) uint16 { return serveUDP(t, host, ntpAnswer).port },
			want: func(port uint16) scan.Port {
				return open(port, "ntp", "ntpd", "4.2.8p15", "v4, stratum 2", "Linux/6.1.0-18-amd64", map[string]string{
					"ntp_version": "4", "ntp_stratum": "2", "ntp_refid": "192.0.2.1", "ntp_mode6": "yes",
					"ntp_version_string": "ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)"})
			},
		},
		{
			name: "snmp v2c", host: "127.0.0.1", probe: "snmp", waits: 2,
			start: func(t *testing.T, host string) uint16 {
				return serveUDP(t, host, snmpAgent(gosnmp.Version2c, gosnmp.Version1)).port
			},
			want: func(port uint16) scan.Port {
				return open(port, "snmp", "", "", "", "Linux 5.10.0-28-amd64", map[string]string{
					"snmp_version": "2c", "snmp_community": "public", "sysName": "gw",
					"sysDescr": "Linux gw 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64"})
			},
		},
		{
			name: "snmp v1 only", host: "::1", probe: "snmp", waits: 2,
			start: func(t *testing.T, host string) uint16 { return serveUDP(t, host, snmpAgent(gosnmp.Version1)).port },
			want: func(port uint16) scan.Port {
				return open(port, "snmp", "", "", "", "Linux 5.10.0-28-amd64", map[string]string{
					"snmp_version": "1", "snmp_community": "public", "sysName": "gw",
					"sysDescr": "Linux gw 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64"})
			},
		},
		{
			name: "netbios", host: "127.0.0.1", probe: "netbios-ns", waits: 1,
			start: func(t *testing.T, host string) uint16 { return serveUDP(t, host, nbstatAnswer).port },
			want: func(port uint16) scan.Port {
				return open(port, "netbios-ns", "", "", "workgroup: WORKGROUP", "", map[string]string{
					"netbios_name": "NAS", "netbios_workgroup": "WORKGROUP", "netbios_mac": "02:11:32:aa:bb:cc",
					"netbios_names": "NAS<00>,NAS<03>,NAS<20>,WORKGROUP<00>,WORKGROUP<1e>"})
			},
		},
		{
			name: "ike v2", host: "127.0.0.1", probe: "isakmp", waits: 2,
			start: func(t *testing.T, host string) uint16 { return serveUDP(t, host, ikeAnswer(false)).port },
			want: func(port uint16) scan.Port {
				return open(port, "isakmp", "strongSwan", "", "IKEv2", "", map[string]string{
					"ike_version": "2", "ike_notify": "14", "ike_vendor_ids": "strongSwan (882fe56d6fd20dbc2251613b2ebe5beb)"})
			},
		},
		{
			name: "ike nat-t", host: "127.0.0.1", probe: "nat-t-ike", waits: 2,
			start: func(t *testing.T, host string) uint16 { return serveUDP(t, host, ikeAnswer(true)).port },
			want: func(port uint16) scan.Port {
				return open(port, "nat-t-ike", "strongSwan", "", "IKEv2", "", map[string]string{
					"ike_version": "2", "ike_notify": "14", "ike_vendor_ids": "strongSwan (882fe56d6fd20dbc2251613b2ebe5beb)"})
			},
		},
		{
			name: "openvpn", host: "127.0.0.1", probe: "openvpn", waits: 1,
			start: func(t *testing.T, host string) uint16 { return serveUDP(t, host, openvpnAnswer).port },
			want: func(port uint16) scan.Port {
				return open(port, "openvpn", "", "", "no tls-auth: answers unauthenticated resets", "", map[string]string{
					"openvpn_server_session": "deadbeef00000001"})
			},
		},
		{
			name: "nat-pmp", host: "127.0.0.1", probe: "nat-pmp", waits: 1,
			start: func(t *testing.T, host string) uint16 { return serveUDP(t, host, natpmpAnswer).port },
			want: func(port uint16) scan.Port {
				return open(port, "nat-pmp", "", "", "", "", map[string]string{"natpmp_result": "0", "natpmp_external_ip": "203.0.113.9"})
			},
		},
		{
			name: "generic reply to an empty datagram", host: "127.0.0.1", probe: "", waits: 1,
			start: func(t *testing.T, host string) uint16 {
				return serveUDP(t, host, func([]byte) [][]byte { return [][]byte{[]byte("hello")} }).port
			},
			want: func(port uint16) scan.Port {
				return scan.Port{Port: port, Proto: scan.UDP, State: scan.Open, Reason: ReasonResponse}
			},
		},
		{
			name: "a reply that is not the protocol: open, service guessed", host: "127.0.0.1", probe: "domain", waits: 1,
			start: func(t *testing.T, host string) uint16 {
				return serveUDP(t, host, func([]byte) [][]byte { return [][]byte{[]byte("hello")} }).port
			},
			want: func(port uint16) scan.Port {
				return scan.Port{Port: port, Proto: scan.UDP, State: scan.Open, Reason: ReasonResponse, Service: "domain", Guessed: true}
			},
		},
		{
			name: "closed: ICMP port unreachable", host: "127.0.0.1", probe: "snmp", waits: 2,
			start: freePort,
			want: func(port uint16) scan.Port {
				return scan.Port{Port: port, Proto: scan.UDP, State: scan.Closed, Reason: ReasonPortUnreach, Service: "snmp", Guessed: true}
			},
		},
		{
			name: "closed over IPv6", host: "::1", probe: "", waits: 1,
			start: freePort,
			want: func(port uint16) scan.Port {
				return scan.Port{Port: port, Proto: scan.UDP, State: scan.Closed, Reason: ReasonPortUnreach}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := tt.start(t, tt.host)
			got, waits := scanOne(t, tt.host, port, tt.probe, 2)
			if want := tt.want(port); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if waits != tt.waits {
				t.Errorf("wait called %d times, want %d", waits, tt.waits)
			}
		})
	}
}

// A silent port is open|filtered after retries+1 attempts, each of which
// sends the probe's datagrams once, each after a wait.
func TestSilence(t *testing.T) {
	for _, tt := range []struct {
		probe   string
		retries int
		sent    int // datagrams per attempt
		info    string
		service string
	}{
		{probe: "", retries: 0, sent: 1},
		{probe: "", retries: 2, sent: 1},
		{probe: "snmp", retries: 1, sent: 2, service: "snmp"},
		{probe: "wireguard", retries: 1, sent: 1, service: "wireguard", info: silentInfo},
		{probe: "openvpn", retries: 2, sent: 1, service: "openvpn"},
	} {
		t.Run(tt.probe+"/"+strconv.Itoa(tt.retries), func(t *testing.T) {
			srv := serveUDP(t, "127.0.0.1", func([]byte) [][]byte { return nil })
			start := time.Now()
			got, waits := scanOne(t, "127.0.0.1", srv.port, tt.probe, tt.retries)
			want := scan.Port{Port: srv.port, Proto: scan.UDP, State: scan.OpenFiltered, Reason: ReasonNoResponse,
				Service: tt.service, Guessed: tt.service != "", Info: tt.info}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			n := (tt.retries + 1) * tt.sent
			if waits != n || int(srv.received.Load()) != n {
				t.Errorf("wait called %d times, server got %d datagrams; want %d", waits, srv.received.Load(), n)
			}
			if el, min := time.Since(start), time.Duration(tt.retries+1)*300*time.Millisecond; el < min {
				t.Errorf("took %s, less than %d timeouts", el, tt.retries+1)
			}
		})
	}
}

// Ports run concurrently: many silent ports take about one port's time,
// and the results come back in the order asked.
func TestConcurrentPortsInOrder(t *testing.T) {
	var ports []uint16
	for i := 0; i < 20; i++ {
		ports = append(ports, serveUDP(t, "127.0.0.1", func([]byte) [][]byte { return nil }).port)
	}
	closed := freePort(t, "127.0.0.1")
	ports = append(ports, closed)
	start := time.Now()
	got := Scanner{}.ScanUDP(context.Background(), loopback(t, "127.0.0.1"), ports, 200*time.Millisecond, 1, nil)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("20 silent ports took %s: not concurrent", el)
	}
	for i, p := range got {
		want := scan.OpenFiltered
		if p.Port == closed {
			want = scan.Closed
		}
		if p.Port != ports[i] || p.State != want {
			t.Errorf("port %d: got %d %s, want %d %s", i, p.Port, p.State, ports[i], want)
		}
	}
}

// A cancelled scan returns at once, every port marked as cancelled.
func TestCancel(t *testing.T) {
	srv := serveUDP(t, "127.0.0.1", func([]byte) [][]byte { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	got := Scanner{}.ScanUDP(ctx, loopback(t, "127.0.0.1"), []uint16{srv.port}, 5*time.Second, 3, nil)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("cancelled scan took %s", el)
	}
	if got[0].State != scan.OpenFiltered || got[0].Reason != ReasonCancelled {
		t.Errorf("got %+v", got[0])
	}
}

// SSDP against the fake MiniUPnPd: SERVER, LOCATION, and the description
// at LOCATION, which is on the scanned address.
func TestSSDP(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			g, err := upnptest.Start(upnptest.Config{Host: host})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			got, waits := scanOne(t, host, g.SSDP.Port(), "upnp", 2)
			want := open(g.SSDP.Port(), "upnp", "MiniUPnPd", "2.3.1", "UPnP 1.1; OpenWrt OpenWrt router 23.05.3", "Debian 12", map[string]string{
				"ssdp_server":        upnptest.DefaultServer,
				"ssdp_location":      g.URL,
				"ssdp_st":            "upnp:rootdevice",
				"ssdp_usn":           upnptest.DefaultUUID + "::upnp:rootdevice",
				"upnp_device_type":   "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
				"upnp_friendly_name": "OpenWrt router",
				"upnp_manufacturer":  "OpenWrt",
				"upnp_model_name":    "OpenWrt router",
				"upnp_model_number":  "23.05.3",
				"upnp_igd":           "WANIPConnection:2",
				"upnp_control_url":   g.ControlURL,
			})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if waits != 1 {
				t.Errorf("wait called %d times, want 1", waits)
			}
			if g.Requests() != 1 {
				t.Errorf("IGD served %d HTTP requests, want 1 (the description)", g.Requests())
			}
		})
	}
}

// A LOCATION on another address is reported and not followed.
func TestSSDPLocationElsewhere(t *testing.T) {
	g, err := upnptest.Start(upnptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	// The responder is on 127.0.0.1; scanning it as 127.0.0.2 is not
	// possible, so answer SSDP ourselves with a LOCATION on 127.0.0.1
	// while the scanned address is ::1.
	srv := serveUDP(t, "::1", func([]byte) [][]byte {
		return [][]byte{[]byte("HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nSERVER: Linux/5.10 UPnP/1.1 MiniUPnPd/2.3.3\r\nLOCATION: " + g.URL + "\r\n\r\n")}
	})
	calls := g.Requests()
	got, _ := scanOne(t, "::1", srv.port, "upnp", 0)
	want := open(srv.port, "upnp", "MiniUPnPd", "2.3.3", "UPnP 1.1", "Linux 5.10", map[string]string{
		"ssdp_server": "Linux/5.10 UPnP/1.1 MiniUPnPd/2.3.3", "ssdp_location": g.URL, "ssdp_st": "upnp:rootdevice"})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if g.Requests() != calls {
		t.Error("the description on another address was fetched")
	}
}

func TestDefaultPorts(t *testing.T) {
	got := DefaultPorts()
	want := []uint16{53, 69, 123, 137, 161, 500, 1194, 1701, 1900, 3478, 4500, 5351, 5353, 11211, 51820}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultPorts() = %v", got)
	}
	s := Scanner{}
	for port, name := range map[uint16]string{53: "domain", 123: "ntp", 161: "snmp", 137: "netbios-ns", 500: "isakmp", 4500: "nat-t-ike",
		1194: "openvpn", 1900: "upnp", 5351: "nat-pmp", 5353: "mdns", 51820: "wireguard", 69: ""} {
		if got := s.probeFor(port).Name; got != name {
			t.Errorf("probe for %d = %q, want %q", port, got, name)
		}
	}
}

// A late answer to the first attempt, arriving while the second waits,
// is still recognised as an answer to our request.
func TestLateAnswer(t *testing.T) {
	var first atomic.Bool
	srv := serveUDP(t, "127.0.0.1", func(req []byte) [][]byte {
		if req[0]&7 == 3 {
			if first.Swap(true) {
				return nil // only the first request is answered, late
			}
			time.Sleep(400 * time.Millisecond)
		}
		return ntpAnswer(req)
	})
	got, waits := scanOne(t, "127.0.0.1", srv.port, "ntp", 2)
	if got.State != scan.Open || got.Service != "ntp" || got.Guessed || got.Product != "ntpd" {
		t.Errorf("got %+v", got)
	}
	if waits != 3 {
		t.Errorf("wait called %d times, want 3 (two attempts and mode 6)", waits)
	}
}
