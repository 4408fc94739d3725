package exposure

import (
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/scan"
)

// TestSuspectIdentity checks that a suspect takes its user and owner from
// the attribution of its alerts: a resolved one names them, the newest
// alert's wins, an alert without one keeps what an older one gave, and a
// several or ambiguous answer names nobody.
func TestSuspectIdentity(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	local := netip.MustParseAddr("192.168.1.10")
	edr := func(owners ...string) *identity.Answer {
		ans := &identity.Answer{Addr: local, From: t0, To: t0, Status: identity.Resolved}
		for i, o := range owners {
			ans.Candidates = append(ans.Candidates, identity.Candidate{Source: "edr", DeviceID: "d1", Hostname: "LAPTOP-ANNA",
				Owner: o, From: t0.Add(time.Duration(i) * time.Minute), To: t0.Add(time.Duration(i) * time.Minute), Evidence: "record"})
		}
		if len(owners) > 1 {
			ans.Status = identity.Ambiguous
		}
		return ans
	}
	vpn := &identity.Answer{Addr: local, From: t0, To: t0, Status: identity.Resolved,
		Candidates: []identity.Candidate{{Source: "vpn", User: "kimura", From: t0, To: t0, Evidence: "session"}}}
	several := &identity.Answer{Addr: local, From: t0, To: t0, Status: identity.Several,
		Candidates: []identity.Candidate{{Source: "vpn", User: "kimura"}, {Source: "vpn", User: "sato"}}}
	a := func(rule string, seen time.Time, ans *identity.Answer, userName string) alert.Alert {
		return alert.Alert{ID: rule + seen.Format(time.Kitchen), RuleID: rule, Status: alert.StatusOpen, FirstSeen: seen, LastSeen: seen,
			Identity: ans, Detail: map[string]string{"target": "127.0.0.2", "device_id": "d1", "local_ip": local.String(), "user_name": userName}}
	}
	for _, tc := range []struct {
		name        string
		as          []alert.Alert
		user, owner string
		identity    *identity.Answer
	}{
		{"resolved by EDR and inventory", []alert.Alert{a("inbound-from-internet", t0, edr("anna"), "")}, "", "anna", edr("anna")},
		{"resolved by VPN", []alert.Alert{a("inbound-from-internet", t0, vpn, "")}, "kimura", "", vpn},
		{"the EDR's own user name stays without attribution", []alert.Alert{a("inbound-from-internet", t0, nil, "ANNA\\anna")}, "ANNA\\anna", "", nil},
		{"the newest wins", []alert.Alert{a("inbound-from-internet", t0, edr("anna"), ""),
			a("endpoint-public-ip", t0.Add(time.Hour), vpn, "")}, "kimura", "anna", vpn},
		{"none on the newest keeps the older", []alert.Alert{a("inbound-from-internet", t0, edr("anna"), ""),
			a("endpoint-public-ip", t0.Add(time.Hour), nil, "")}, "", "anna", edr("anna")},
		{"ambiguous names nobody", []alert.Alert{a("inbound-from-internet", t0, edr("anna", "bob"), "")}, "", "", edr("anna", "bob")},
		{"several names nobody", []alert.Alert{a("inbound-from-internet", t0, several, "")}, "", "", several},
	} {
		ss, _ := Suspects(tc.as, t0.Add(-time.Hour))
		if len(ss) != 1 {
			t.Fatalf("%s: %d suspects, want 1", tc.name, len(ss))
		}
		s := ss[0]
		if s.User != tc.user || s.Owner != tc.owner || identityText(s.Identity) != identityText(tc.identity) {
			t.Errorf("%s: user %q owner %q identity %s; want %q %q %s", tc.name, s.User, s.Owner,
				identityText(s.Identity), tc.user, tc.owner, identityText(tc.identity))
		}
		// The ticket carries them, and its alert the identity.
		tk := ticketFor(s, nil, nil, nil, scan.Scan{Finished: t0}, "s1", t0)
		back, err := TicketOf(tk.Alert(t0))
		if err != nil || back.User != tc.user || back.Owner != tc.owner || identityText(back.Identity) != identityText(tc.identity) {
			t.Errorf("%s: ticket %+v, %v", tc.name, back, err)
		}
		if got := tk.Alert(t0).Identity; identityText(got) != identityText(tc.identity) {
			t.Errorf("%s: ticket alert identity %s", tc.name, identityText(got))
		}
	}
}

func identityText(a *identity.Answer) string {
	if a == nil {
		return "none"
	}
	s := a.Status + ":"
	for _, c := range a.Candidates {
		s += " " + c.Source + "/" + c.User + "/" + c.DeviceID + "/" + c.Owner
	}
	return s
}
