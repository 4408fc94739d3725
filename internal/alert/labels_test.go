package alert

import (
	"maps"
	"net/netip"
	"testing"

	"github.com/homesoc/homesoc/internal/identity"
)

func TestLabels(t *testing.T) {
	addr := netip.MustParseAddr("192.168.10.41")
	base := Alert{RuleID: "inbound-from-internet", Severity: "high", Status: StatusOpen,
		Group: map[string]string{"target": "203.0.113.7", "dst_port": "22"}}
	tests := []struct {
		name string
		id   *identity.Answer
		grp  map[string]string
		want map[string]string
	}{
		{"no identity", nil, nil, map[string]string{"rule": "inbound-from-internet", "severity": "high", "status": "open",
			"target": "203.0.113.7", "dst_port": "22"}},
		{"resolved", &identity.Answer{Addr: addr, Status: identity.Resolved, Candidates: []identity.Candidate{
			{Source: "edr", User: "anna", DeviceID: "dev-1", Hostname: "anna-laptop"}}}, nil,
			map[string]string{"rule": "inbound-from-internet", "severity": "high", "status": "open",
				"target": "203.0.113.7", "dst_port": "22", "host": "192.168.10.41", "user": "anna", "device": "dev-1", "hostname": "anna-laptop"}},
		{"owner when no user", &identity.Answer{Addr: addr, Status: identity.Resolved, Candidates: []identity.Candidate{
			{Source: "edr", DeviceID: "dev-1", Owner: "bob"}}}, nil,
			map[string]string{"rule": "inbound-from-internet", "severity": "high", "status": "open",
				"target": "203.0.113.7", "dst_port": "22", "host": "192.168.10.41", "user": "bob", "device": "dev-1"}},
		{"ambiguous: address only", &identity.Answer{Addr: addr, Status: identity.Ambiguous, Candidates: []identity.Candidate{
			{User: "anna"}, {User: "bob"}}}, nil,
			map[string]string{"rule": "inbound-from-internet", "severity": "high", "status": "open",
				"target": "203.0.113.7", "dst_port": "22", "host": "192.168.10.41"}},
		{"group wins", &identity.Answer{Addr: addr, Status: identity.Resolved, Candidates: []identity.Candidate{{User: "anna"}}},
			map[string]string{"host": "10.0.0.5", "user": "vpn-anna"},
			map[string]string{"rule": "inbound-from-internet", "severity": "high", "status": "open", "host": "10.0.0.5", "user": "vpn-anna"}},
	}
	for _, tc := range tests {
		a := base
		a.Identity = tc.id
		if tc.grp != nil {
			a.Group = tc.grp
		}
		if got := a.Labels(); !maps.Equal(got, tc.want) {
			t.Errorf("%s: Labels() = %v, want %v", tc.name, got, tc.want)
		}
	}
}
