package scan

import (
	"slices"
	"testing"
)

func TestParsePorts(t *testing.T) {
	for _, c := range []struct {
		spec    string
		want    []uint16 // nil: check only the length
		wantLen int
		err     string
	}{
		{spec: "22", want: []uint16{22}},
		{spec: "22,80,8000-8003", want: []uint16{22, 80, 8000, 8001, 8002, 8003}},
		{spec: " 443 , 80,80 ", want: []uint16{80, 443}},
		{spec: "65535", want: []uint16{65535}},
		{spec: "", wantLen: len(top100)},
		{spec: "top100", wantLen: len(top100)},
		{spec: "TOP100,8443,1", wantLen: len(top100) + 1},
		{spec: "all", wantLen: 65535},
		{spec: "1-65535,top100", wantLen: 65535},
		{spec: "70000", err: `port "70000" out of range 1-65535`},
		{spec: "0", err: `port "0" out of range 1-65535`},
		{spec: "80-22", err: `port range "80-22": 80 is above 22`},
		{spec: "http", err: `port "http": not a number, range or set (top100, top1000, all)`},
		{spec: "22,,80", err: `port set "22,,80": empty item`},
		{spec: "1-", err: `port "": not a number, range or set (top100, top1000, all)`},
	} {
		got, err := ParsePorts(c.spec)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("ParsePorts(%q) error = %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePorts(%q): %v", c.spec, err)
			continue
		}
		if c.want != nil && !slices.Equal(got, c.want) {
			t.Errorf("ParsePorts(%q) = %v, want %v", c.spec, got, c.want)
		}
		if c.wantLen != 0 && len(got) != c.wantLen {
			t.Errorf("ParsePorts(%q) has %d ports, want %d", c.spec, len(got), c.wantLen)
		}
		seen := map[uint16]bool{}
		for _, p := range got {
			if seen[p] {
				t.Errorf("ParsePorts(%q) holds %d twice", c.spec, p)
			}
			seen[p] = true
		}
	}
}

func TestPortTables(t *testing.T) {
	if len(top100) != 100 {
		t.Errorf("top100 has %d ports, want 100", len(top100))
	}
	seen := map[uint16]bool{}
	for _, k := range top100 {
		if seen[k.port] {
			t.Errorf("top100 lists %d twice", k.port)
		}
		seen[k.port] = true
		if k.service == "" || k.why == "" {
			t.Errorf("top100 port %d lacks a service or a reason", k.port)
		}
	}
	all := Top1000()
	if len(all) < 1000 || len(all) > 1200 {
		t.Errorf("top1000 has %d ports", len(all))
	}
	if !slices.Equal(all[:100], Top100()) {
		t.Errorf("top1000 does not start with top100")
	}
	for _, c := range []struct {
		port uint16
		want string
	}{{22, "ssh"}, {7547, "tr-069"}, {49152, "upnp"}, {161, "snmp"}, {1, "unknown"}, {9100, "jetdirect"}} {
		if got := ServiceName(c.port); got != c.want {
			t.Errorf("ServiceName(%d) = %q, want %q", c.port, got, c.want)
		}
	}
	if PortReason(7547) == "" || PortReason(1) != "" {
		t.Errorf("PortReason: 7547 %q, 1 %q", PortReason(7547), PortReason(1))
	}
}
