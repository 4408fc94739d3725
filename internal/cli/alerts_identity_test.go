package cli

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/identity"
)

func TestIdentityUser(t *testing.T) {
	c := func(user, owner, device string) identity.Candidate {
		return identity.Candidate{Source: "vpn", User: user, Owner: owner, DeviceID: device}
	}
	ans := func(status string, cs ...identity.Candidate) *identity.Answer {
		return &identity.Answer{Status: status, Candidates: cs}
	}
	for _, tc := range []struct {
		ans  *identity.Answer
		want string
	}{
		{nil, "-"},
		{ans(identity.Unknown), "-"},
		{ans(identity.Resolved, c("kimura", "", "")), "kimura"},
		{ans(identity.Resolved, c("", "anna", "d1")), "anna"}, // the device's owner
		{ans(identity.Resolved, c("", "", "d1")), "-"},        // a device nobody owns: alerts show names it
		{ans(identity.Several, c("kimura", "", ""), c("sato", "", ""), c("kimura", "", "")), "several: kimura, sato"},
		{ans(identity.Several, c("kimura", "", ""), c("kimura", "", "")), "kimura"}, // two sessions of one user
		{ans(identity.Ambiguous, c("", "anna", "d1"), c("", "bob", "d2")), "ambiguous"},
	} {
		if got := identityUser(tc.ans); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.ans, got, tc.want)
		}
	}
}

func TestPrintIdentity(t *testing.T) {
	t0 := time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	printIdentity(&b, nil)
	printIdentity(&b, &identity.Answer{Addr: netip.MustParseAddr("203.0.113.9"), From: t0, To: t0, Status: identity.Unknown,
		Candidates: []identity.Candidate{}})
	printIdentity(&b, &identity.Answer{Addr: netip.MustParseAddr("192.168.1.10"), From: t0, To: t0.Add(time.Hour),
		Status: identity.Ambiguous, Candidates: []identity.Candidate{
			{Source: "edr", DeviceID: "d1", Hostname: "laptop-a", Owner: "anna", From: t0, To: t0, Evidence: "record 1"},
			{Source: "edr", DeviceID: "d22", Hostname: "laptop-bb", From: t0.Add(time.Minute), To: t0.Add(time.Minute), Evidence: "record 2"},
		}})
	want := `
identity: not attributed (the alert names no address, or attribution failed when it was raised)

identity: unknown (who was behind 203.0.113.9 from 2026-01-10T10:00:00Z to 2026-01-10T10:00:00Z)
  no VPN session, EDR device record or asset names the address then

identity: ambiguous (who was behind 192.168.1.10 from 2026-01-10T10:00:00Z to 2026-01-10T11:00:00Z)
  more than one device held the address at the same time: none is chosen
  SOURCE  USER  DEVICE  HOST NAME  OWNER  FROM                  TO                    EVIDENCE
  edr     -     d1      laptop-a   anna   2026-01-10T10:00:00Z  2026-01-10T10:00:00Z  record 1
  edr     -     d22     laptop-bb  -      2026-01-10T10:01:00Z  2026-01-10T10:01:00Z  record 2
`
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
