package detect_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// TestEndpointStatesDriveRules: ingesting endpoint states alone, with no
// network event, evaluates the rules over their times, so a rule that reads
// endpoint_states finds them; nothing new, nothing evaluated.
func TestEndpointStatesDriveRules(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	rs := builtin(t)
	state := func(addr string, at time.Time) event.EndpointState {
		raw := addr + " " + at.Format(time.RFC3339)
		return event.EndpointState{ID: event.NewID("test", []byte(raw)), Time: at, DeviceID: "aid-1", Hostname: "laptop-1",
			Kind: event.StateInterface, Address: netip.MustParseAddr(addr), OS: "Windows 11", Format: "crowdstrike-fdr", Raw: raw}
	}
	if _, err := st.WriteEndpointStates(ctx, []event.EndpointState{state("81.2.69.142", day.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	res := run(t, st, rs)
	var evaluated bool
	for _, r := range res.Rules {
		if r.Rule == "endpoint-public-ip" {
			evaluated = !r.UpToDate && r.Evaluations > 0 && r.Opened == 1
		}
	}
	if !evaluated || res.Opened != 1 {
		t.Fatalf("endpoint-public-ip not evaluated over the states, or no alert: %+v", res)
	}
	if got := alerts(t, st); !strings.Contains(got, `endpoint-public-ip {"device_id":"aid-1","target":"81.2.69.142"} 2025-03-01 01:00:00..2025-03-01 01:00:00 count 1 events 1`) {
		t.Errorf("alerts: %s", got)
	}
	if res := run(t, st, rs); !res.UpToDate {
		t.Errorf("second pass evaluated rules with nothing new: %+v", res)
	}
	// A later state of the same device updates the alert.
	if _, err := st.WriteEndpointStates(ctx, []event.EndpointState{state("81.2.69.142", day.Add(3*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if res := run(t, st, rs); res.Updated != 1 || res.Opened != 0 {
		t.Errorf("third pass: %+v, want one alert updated", res)
	}
}
