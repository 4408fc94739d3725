package storetest

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store"
)

// alertIdentityTests are the conformance tests of the alerts' identity.
var alertIdentityTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"AlertIdentity", testAlertIdentity},
}

// identityJSON is an alert's identity as JSON, "null" for none.
func identityJSON(t *testing.T, a *identity.Answer) string {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testAlertIdentity checks that an alert's identity is stored and read
// back whole, that evidence older or newer adds its own (identity.Merge),
// and that a finding that could not be attributed leaves it as it is.
func testAlertIdentity(t *testing.T, s store.Store) {
	ctx := context.Background()
	pool := netip.MustParseAddr("172.16.1.10")
	several := &identity.Answer{Addr: pool, From: T0, To: T0.Add(2 * time.Hour), Status: identity.Several,
		Candidates: []identity.Candidate{
			{Source: "vpn", User: "kimura", From: T0.Add(-time.Hour), To: T0.Add(time.Hour),
				Evidence: "VPN session of kimura on asa-1", Group: "RA-VPN", RemoteIP: "198.51.100.23",
				Sensor: "asa-1", SessionID: "0a1b2c", EndKind: identity.EndLogged, Records: []string{"r1", "r2"}},
			{Source: "vpn", User: "sato", From: T0.Add(time.Hour), To: T0.Add(3 * time.Hour),
				Evidence: "VPN session of sato on asa-1", EndKind: identity.EndMax},
		}}
	resolved := &identity.Answer{Addr: pool, From: T0.Add(3 * time.Hour), To: T0.Add(3 * time.Hour), Status: identity.Resolved,
		Candidates: []identity.Candidate{{Source: "edr", DeviceID: "d1", Hostname: "LAPTOP-1", Owner: "kimura",
			From: T0, To: T0.Add(4 * time.Hour), Evidence: "endpoint state of d1"}}}
	base := alert.Alert{ID: "a1", RuleID: "ioc-contact", Title: "t", Severity: "high",
		Group: map[string]string{"host": pool.String()}, Events: 1, Detail: map[string]string{"host": pool.String()}}
	plain := base
	plain.ID, plain.FirstSeen, plain.LastSeen, plain.UpdatedAt = "a2", T0, T0, T0
	// Both answers' evidence: every candidate once, in order of time.
	merged := &identity.Answer{Addr: pool, From: T0, To: T0.Add(3 * time.Hour), Status: identity.Several,
		Candidates: []identity.Candidate{several.Candidates[0], resolved.Candidates[0], several.Candidates[1]}}
	steps := []struct {
		first, last time.Time
		id          *identity.Answer
		want        *identity.Answer
	}{
		{T0, T0.Add(2 * time.Hour), several, several},                    // opened with its identity
		{T0.Add(2 * time.Hour), T0.Add(150 * time.Minute), nil, several}, // newer but not attributed: kept
		{T0.Add(-2 * time.Hour), T0.Add(-time.Hour), resolved, merged},   // older evidence: both
		{T0.Add(3 * time.Hour), T0.Add(3 * time.Hour), resolved, merged}, // newer evidence, the same device
		{T0.Add(3 * time.Hour), T0.Add(3 * time.Hour), several, merged},  // the same evidence again: no change
	}
	for i, st := range steps {
		f := base
		f.FirstSeen, f.LastSeen, f.UpdatedAt, f.Identity = st.first, st.last, st.last, st.id
		fs := []alert.Alert{f}
		if i == 0 {
			fs = append(fs, plain)
		}
		if _, err := s.UpsertAlerts(ctx, fs); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		as, err := s.Alerts(ctx)
		if err != nil || len(as) != 2 {
			t.Fatalf("step %d: alerts %+v, %v; want two", i, as, err)
		}
		byID := map[string]alert.Alert{as[0].ID: as[0], as[1].ID: as[1]}
		if got, want := identityJSON(t, byID["a1"].Identity), identityJSON(t, st.want); got != want {
			t.Errorf("step %d: identity\n got %s\nwant %s", i, got, want)
		}
		if byID["a2"].Identity != nil {
			t.Errorf("step %d: alert without identity reads back %+v", i, byID["a2"].Identity)
		}
	}
}
