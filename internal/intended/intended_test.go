package intended

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var (
	t0   = time.Date(2026, 4, 6, 16, 0, 0, 0, time.UTC)
	addr = netip.MustParseAddr("127.0.0.1")
)

func TestCovers(t *testing.T) {
	byAddr := Allowance{Address: addr, Port: 8443, Proto: TCP, Reason: "vpn portal", Created: t0}
	byDev := Allowance{DeviceID: "dev-1", Port: 53, Proto: UDP, Reason: "dns", Created: t0}
	byUser := Allowance{User: "alice", Port: 22, Proto: TCP, Reason: "ssh", Created: t0, Expires: t0.Add(time.Hour)}
	target := Target{Address: netip.MustParseAddr("::ffff:127.0.0.1"), DeviceID: "dev-1", User: "alice"}
	tests := []struct {
		name   string
		a      Allowance
		target Target
		port   uint16
		proto  string
		now    time.Time
		want   bool
	}{
		{"address, mapped target", byAddr, target, 8443, "tcp", t0, true},
		{"address, proto upper case", byAddr, target, 8443, "TCP", t0, true},
		{"address, other port", byAddr, target, 8080, "tcp", t0, false},
		{"address, other proto", byAddr, target, 8443, "udp", t0, false},
		{"address, other address", byAddr, Target{Address: netip.MustParseAddr("127.0.0.2")}, 8443, "tcp", t0, false},
		{"address, target without one", byAddr, Target{DeviceID: "dev-1"}, 8443, "tcp", t0, false},
		{"device", byDev, target, 53, "udp", t0, true},
		{"device, other device", byDev, Target{DeviceID: "dev-2"}, 53, "udp", t0, false},
		{"device, target without one", byDev, Target{Address: addr}, 53, "udp", t0, false},
		{"user before expiry", byUser, target, 22, "tcp", t0.Add(time.Hour - time.Second), true},
		{"user at expiry", byUser, target, 22, "tcp", t0.Add(time.Hour), false},
		{"user after expiry", byUser, target, 22, "tcp", t0.Add(2 * time.Hour), false},
		{"user, other user", byUser, Target{User: "bob"}, 22, "tcp", t0, false},
		{"no target named", Allowance{Port: 22, Proto: TCP}, target, 22, "tcp", t0, false},
	}
	for _, tc := range tests {
		if got := Covers(tc.a, tc.target, tc.port, tc.proto, tc.now); got != tc.want {
			t.Errorf("%s: Covers = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAllowed(t *testing.T) {
	as := []Allowance{
		{ID: "expired", Address: addr, Port: 80, Proto: TCP, Expires: t0},
		{ID: "live", Address: addr, Port: 80, Proto: TCP},
	}
	a, ok := Allowed(as, Target{Address: addr}, 80, "tcp", t0)
	if !ok || a.ID != "live" {
		t.Errorf("Allowed = %q, %v; want live, true", a.ID, ok)
	}
	if _, ok := Allowed(as[:1], Target{Address: addr}, 80, "tcp", t0); ok {
		t.Error("an expired allowance still allows its port")
	}
}

func TestValidate(t *testing.T) {
	ok := Allowance{Address: addr, Port: 8443, Proto: TCP, Reason: "portal", Created: t0}
	tests := []struct {
		name string
		edit func(a *Allowance)
		want string // "" for valid
	}{
		{"valid", func(a *Allowance) {}, ""},
		{"device", func(a *Allowance) { a.Address, a.DeviceID = netip.Addr{}, "dev" }, ""},
		{"none", func(a *Allowance) { a.Address = netip.Addr{} }, "allowance 8443/tcp: name exactly one of address, device or user (got 0)"},
		{"two", func(a *Allowance) { a.User = "alice" }, "allowance 8443/tcp: name exactly one of address, device or user (got 2)"},
		{"port 0", func(a *Allowance) { a.Port = 0 }, "allowance 0/tcp: port: want 1 to 65535"},
		{"proto", func(a *Allowance) { a.Proto, a.ID = "sctp", "al-1" }, `allowance al-1: proto "sctp": want tcp or udp`},
		{"reason", func(a *Allowance) { a.Reason = " " }, "allowance 8443/tcp: reason: say why the port is meant to be open"},
		{"expiry", func(a *Allowance) { a.Expires = t0 }, "allowance 8443/tcp: expires 2026-04-06T16:00:00Z: not after created 2026-04-06T16:00:00Z"},
		{"two errors", func(a *Allowance) { a.Port, a.Reason = 0, "" }, "allowance 0/tcp: port: want 1 to 65535\nreason: say why the port is meant to be open"},
	}
	for _, tc := range tests {
		a := ok
		tc.edit(&a)
		err := a.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: Validate = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParsePort(t *testing.T) {
	tests := []struct {
		in, proto, err string
		port           uint16
	}{
		{in: "8443/tcp", port: 8443, proto: "tcp"},
		{in: "53/udp", port: 53, proto: "udp"},
		{in: "53/UDP", port: 53, proto: "udp"},
		{in: "22", port: 22, proto: "tcp"},
		{in: "0/tcp", err: `port "0/tcp": want a number from 1 to 65535 and a protocol, e.g. 8443/tcp`},
		{in: "65536/tcp", err: `port "65536/tcp": want a number from 1 to 65535 and a protocol, e.g. 8443/tcp`},
		{in: "http/tcp", err: `port "http/tcp": want a number from 1 to 65535 and a protocol, e.g. 8443/tcp`},
		{in: "80/sctp", err: `port "80/sctp": protocol "sctp": want tcp or udp, e.g. 8443/tcp`},
		{in: "80/", err: `port "80/": protocol "": want tcp or udp, e.g. 8443/tcp`},
	}
	for _, tc := range tests {
		port, proto, err := ParsePort(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParsePort(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || port != tc.port || proto != tc.proto {
			t.Errorf("ParsePort(%q) = %d, %q, %v; want %d, %q", tc.in, port, proto, err, tc.port, tc.proto)
		}
	}
}

func TestNewID(t *testing.T) {
	a := Allowance{Address: addr, Port: 8443, Proto: TCP, Reason: "x", Created: t0}
	id := NewID(a)
	if !strings.HasPrefix(id, "al-") || len(id) != 15 {
		t.Errorf("NewID = %q, want al- and 12 hex digits", id)
	}
	b := a
	b.Reason = "other reason" // the reason does not make another entry
	if NewID(b) != id {
		t.Error("NewID depends on the reason")
	}
	b.Port = 8444
	if NewID(b) == id {
		t.Error("NewID ignores the port")
	}
	m := a
	m.Address = netip.MustParseAddr("::ffff:127.0.0.1")
	if NewID(m) != id {
		t.Error("NewID tells a mapped address from its IPv4 form")
	}
}

func TestAllowanceJSON(t *testing.T) {
	a := Allowance{ID: "al-1", DeviceID: "dev-1", Port: 53, Proto: UDP, Reason: "dns", Author: "bob", Created: t0}
	b, _ := json.Marshal(a)
	want := `{"id":"al-1","device_id":"dev-1","port":53,"proto":"udp","reason":"dns","author":"bob","created":"2026-04-06T16:00:00Z"}`
	if string(b) != want {
		t.Errorf("JSON %s\nwant %s", b, want)
	}
	a.Address, a.DeviceID, a.Expires = addr, "", t0.Add(time.Hour)
	b, _ = json.Marshal(a)
	want = `{"id":"al-1","address":"127.0.0.1","port":53,"proto":"udp","reason":"dns","author":"bob","created":"2026-04-06T16:00:00Z","expires":"2026-04-06T17:00:00Z"}`
	if string(b) != want {
		t.Errorf("JSON %s\nwant %s", b, want)
	}
}
