package detect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/detect"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
)

func TestSubject(t *testing.T) {
	first, last := day, day.Add(time.Hour)
	for _, tc := range []struct {
		detail map[string]string
		want   string // the query, "" for none
	}{
		{map[string]string{"host": "172.16.1.10", "indicator": "198.51.100.77"}, "172.16.1.10 '' 2025-03-01T00:00:00Z..2025-03-01T01:00:00Z"},
		{map[string]string{"src_ip": "192.168.1.10", "device_id": "d1", "target": "203.0.113.9"}, "192.168.1.10 'd1' 2025-03-01T00:00:00Z..2025-03-01T01:00:00Z"},
		{map[string]string{"host": "", "local_ip": "192.168.1.10", "target": "203.0.113.9"}, "192.168.1.10 '' 2025-03-01T00:00:00Z..2025-03-01T01:00:00Z"},
		{map[string]string{"target": "::ffff:203.0.113.9"}, "203.0.113.9 '' 2025-03-01T00:00:00Z..2025-03-01T01:00:00Z"},
		{map[string]string{"address": "2001:db8::5"}, "2001:db8::5 '' 2025-03-01T00:00:00Z..2025-03-01T01:00:00Z"},
		{map[string]string{"client_ip": "10.8.0.6", "source": "192.0.2.1"}, "10.8.0.6 '' 2025-03-01T00:00:00Z..2025-03-01T01:00:00Z"},
		{map[string]string{"host": "laptop.lan", "src_ip": "192.168.1.10"}, ""}, // the first subject is no address
		{map[string]string{"source": "192.0.2.200"}, ""},                        // not a subject column
		{map[string]string{}, ""},
	} {
		a := alert.Alert{Detail: tc.detail, FirstSeen: first, LastSeen: last}
		got := ""
		if q, ok := detect.Subject(&a); ok {
			got = fmt.Sprintf("%s '%s' %s..%s", q.Addr, q.DeviceID, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
		}
		if got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.detail, got, tc.want)
		}
	}
}

// attributing is a store whose attribution is resolve, recording each call.
type attributing struct {
	store.Store
	calls   [][]identity.Query
	resolve func(qs []identity.Query) ([]identity.Answer, error)
}

func (s *attributing) Resolve(_ context.Context, qs []identity.Query) ([]identity.Answer, error) {
	s.calls = append(s.calls, qs)
	return s.resolve(qs)
}

// hostsRule raises one alert per source address of network events.
func hostsRule(t *testing.T) []*rules.Rule {
	t.Helper()
	rs, err := rules.Load(fstest.MapFS{"hosts.sql": {Data: []byte(`-- id: hosts
-- title: t
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT src_ip AS host, device_id, min(time) AS first_seen, max(time) AS last_seen, count(*) AS events
FROM network_events WHERE time >= {{window_start}} AND time <= {{now}} GROUP BY src_ip, device_id
`)}}, ".")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func contact(src string, device string, t time.Time) event.Network {
	raw := fmt.Sprintf("%s %s", t.Format(time.RFC3339), src)
	return event.Network{ID: event.NewID("test", []byte(raw)), Time: t, Kind: event.KindFirewall, Action: "allow",
		Protocol: "tcp", SrcIP: netip.MustParseAddr(src), SrcPort: 40000, DstIP: netip.MustParseAddr("198.51.100.77"),
		DstPort: 443, DeviceID: device, Format: "netfilter", Raw: raw}
}

// TestRunEnriches checks that a detection pass attributes a rule's findings
// with one Resolve call and stores each answer whole with its alert.
func TestRunEnriches(t *testing.T) {
	ctx := context.Background()
	st := &attributing{Store: openStore(t)}
	at := day.Add(9 * time.Hour)
	st.resolve = func(qs []identity.Query) ([]identity.Answer, error) {
		out := make([]identity.Answer, len(qs))
		for i, q := range qs {
			out[i] = identity.Answer{Addr: q.Addr, From: q.From, To: q.To, Status: identity.Unknown, Candidates: []identity.Candidate{}}
			if q.Addr.String() == "172.16.1.10" {
				out[i].Status = identity.Several
				out[i].Candidates = []identity.Candidate{
					{Source: "vpn", User: "kimura", From: at.Add(-time.Hour), To: at.Add(90 * time.Second), Evidence: "session 1"},
					{Source: "vpn", User: "sato", From: at.Add(2 * time.Minute), To: at.Add(time.Hour), Evidence: "session 2"},
				}
			}
		}
		return out, nil
	}
	write(t, st, []event.Network{contact("172.16.1.10", "", at), contact("172.16.1.10", "", at.Add(3*time.Minute)),
		contact("192.168.1.10", "dev-a", at.Add(time.Minute))})
	res := run(t, st, hostsRule(t))
	if res.Opened != 2 || res.Rules[0].Attributed != 2 || res.Rules[0].IdentityError != "" {
		t.Fatalf("%+v: want two alerts attributed", res.Rules)
	}
	if len(st.calls) != 1 {
		t.Fatalf("%d Resolve calls, want one for the rule's findings", len(st.calls))
	}
	var qs []string
	for _, q := range st.calls[0] {
		qs = append(qs, fmt.Sprintf("%s '%s' %s..%s", q.Addr, q.DeviceID, q.From.Format(time.TimeOnly), q.To.Format(time.TimeOnly)))
	}
	slices.Sort(qs) // in the order the rule returned its rows
	if got, want := fmt.Sprint(qs), "[172.16.1.10 '' 09:00:00..09:03:00 192.168.1.10 'dev-a' 09:01:00..09:01:00]"; got != want {
		t.Errorf("queries\n got %s\nwant %s", got, want)
	}
	as, err := st.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range as {
		b, _ := json.Marshal(a.Identity)
		got[a.Group["host"]] = string(b)
	}
	want := map[string]string{
		"172.16.1.10": `{"address":"172.16.1.10","from":"2025-03-01T09:00:00Z","to":"2025-03-01T09:03:00Z","status":"several","candidates":[` +
			`{"source":"vpn","user":"kimura","from":"2025-03-01T08:00:00Z","to":"2025-03-01T09:01:30Z","evidence":"session 1"},` +
			`{"source":"vpn","user":"sato","from":"2025-03-01T09:02:00Z","to":"2025-03-01T10:00:00Z","evidence":"session 2"}]}`,
		"192.168.1.10": `{"address":"192.168.1.10","from":"2025-03-01T09:01:00Z","to":"2025-03-01T09:01:00Z","status":"unknown","candidates":[]}`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("identities\n got %v\nwant %v", got, want)
	}
}

// TestRunEnrichFailureKeepsAlerts checks that an attribution failure
// stores the alerts without identity and says why.
func TestRunEnrichFailureKeepsAlerts(t *testing.T) {
	st := &attributing{Store: openStore(t), resolve: func([]identity.Query) ([]identity.Answer, error) {
		return nil, errors.New("vpn_intervals: connection refused")
	}}
	write(t, st, []event.Network{contact("172.16.1.10", "", day.Add(9*time.Hour))})
	res := run(t, st, hostsRule(t))
	if rr := res.Rules[0]; res.Opened != 1 || res.Failed != 0 || rr.Attributed != 0 ||
		rr.IdentityError != "attribute 1 alert(s): vpn_intervals: connection refused" {
		t.Fatalf("%+v: want the alert opened and the error noted", res)
	}
	as, err := st.Alerts(context.Background())
	if err != nil || len(as) != 1 || as[0].Identity != nil {
		t.Fatalf("alerts %+v, %v: want one without identity", as, err)
	}
}
