package udp

import (
	"context"
	"net/netip"
	"testing"

	"github.com/homesoc/homesoc/internal/scan"
)

func TestSysDescrProduct(t *testing.T) {
	for in, want := range map[string][3]string{
		"Linux gw 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64": {"", "", "Linux 5.10.0-28-amd64"},
		"RouterOS RB4011iGS+": {"MikroTik RouterOS", "", "RouterOS"},
		"Cisco IOS Software, C880 Software (C880DATA-UNIVERSALK9-M), Version 15.2(4)M6, RELEASE SOFTWARE (fc2)":                             {"Cisco IOS", "15.2(4)M6", "IOS"},
		"Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)": {"Microsoft Windows SNMP", "6.3", "Windows"},
		"FreeBSD fw.home 13.2-RELEASE-p4 FreeBSD 13.2-RELEASE-p4 amd64":                                                                     {"", "", "FreeBSD 13.2-RELEASE-p4"},
		"ZyXEL router": {"", "", ""},
	} {
		p, v, os := sysDescrProduct(in)
		if got := [3]string{p, v, os}; got != want {
			t.Errorf("sysDescrProduct(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRefID(t *testing.T) {
	for _, tt := range []struct {
		stratum int
		b       []byte
		want    string
	}{
		{1, []byte("GPS\x00"), "GPS"},
		{0, []byte("RATE"), "RATE"},
		{3, []byte{192, 0, 2, 7}, "192.0.2.7"},
	} {
		if got := refID(tt.stratum, tt.b); got != tt.want {
			t.Errorf("refID(%d, %v) = %q, want %q", tt.stratum, tt.b, got, tt.want)
		}
	}
}

func TestSameHost(t *testing.T) {
	v4, v6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	for _, tt := range []struct {
		url  string
		addr netip.Addr
		want bool
	}{
		{"http://127.0.0.1:5000/rootDesc.xml", v4, true},
		{"http://127.0.0.1/rootDesc.xml", v4, true},
		{"http://[::1]:5000/rootDesc.xml", v6, true},
		{"http://127.0.0.2:5000/rootDesc.xml", v4, false},
		{"http://192.168.1.1:5000/rootDesc.xml", v4, false},
		{"http://localhost:5000/rootDesc.xml", v4, false}, // a name: no lookup
		{"https://127.0.0.1:5000/rootDesc.xml", v4, false},
		{"file:///etc/passwd", v4, false},
		{"::garbage", v4, false},
	} {
		if got := sameHost(tt.url, tt.addr); got != tt.want {
			t.Errorf("sameHost(%q, %s) = %v", tt.url, tt.addr, got)
		}
	}
}

// FuzzIdentify feeds arbitrary replies to the probes whose parsers are
// ours (no follow-up exchange): they must not panic, and must say "not
// mine" or fill a service.
func FuzzIdentify(f *testing.F) {
	for _, h := range []func([]byte) [][]byte{nbstatAnswer, ikeAnswer(false), ikeAnswer(true), openvpnAnswer, natpmpAnswer} {
		for _, req := range [][]byte{nbstatRequest(), ikev2SAInit(), append([]byte{0, 0, 0, 0}, ikev2SAInit()...), {0x38, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0}, {0, 0}} {
			for _, r := range h(req) {
				f.Add(r)
			}
		}
	}
	identifying := []*Probe{netbiosProbe, ikeProbe, ikeNATTProbe, openvpnProbe, natpmpProbe, snmpProbe, mdnsProbe}
	f.Fuzz(func(t *testing.T, reply []byte) {
		if len(reply) > 4096 {
			return
		}
		for _, p := range identifying {
			x := &Exchange{Sent: p.Requests(&Exchange{})}
			var port scan.Port
			if p.Identify(context.Background(), x, reply, &port) && port.Service == "" {
				t.Errorf("%s identified %x without a service", p.Name, reply)
			}
		}
	})
}
