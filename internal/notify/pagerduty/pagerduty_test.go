package pagerduty

import (
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const routingKey = "R0UT1NGKEY0123456789abcdefABCDEF"

// accepted is PagerDuty's answer to a good event.
var accepted = notifytest.Step{Status: 202, Body: `{"status":"success","message":"Event processed","dedup_key":"x"}`}

func newReceiver(t *testing.T, base string, o notify.Options) (notify.Receiver, error) {
	return New(config.PagerDutyConfig{RoutingKey: routingKey, URL: config.URL(base + "/v2/enqueue")}, "soc/pagerduty/0", o)
}

func TestConformance(t *testing.T) {
	notifytest.Conformance(t, notifytest.Case{
		Kind: "pagerduty", New: newReceiver, OK: accepted, Secrets: []string{routingKey}, Update: *update,
		Check: checkEvents,
	})
}

// checkEvents checks each event as PagerDuty would (required fields, their
// values and limits) and that their actions and dedup keys follow the
// alerts, in message order.
func checkEvents(t *testing.T, name string, n *notify.Notification, reqs []notifytest.Request) {
	evs := notifytest.JSONBodies[map[string]any](t, reqs)
	var got []string
	for i, ev := range evs {
		if reqs[i].Path != "/v2/enqueue" {
			t.Errorf("event %d posted to %s", i, reqs[i].Path)
		}
		if ev["routing_key"] != routingKey {
			t.Errorf("event %d: routing_key %v", i, ev["routing_key"])
		}
		action, _ := ev["event_action"].(string)
		key, _ := ev["dedup_key"].(string)
		got = append(got, action+" "+key)
		if key == "" || len(key) > 255 {
			t.Errorf("event %d: dedup_key %q", i, key)
		}
		p, hasPayload := ev["payload"].(map[string]any)
		if action != "trigger" {
			if len(ev) != 3 {
				t.Errorf("event %d (%s) has %d keys, want routing_key, event_action, dedup_key only", i, action, len(ev))
			}
			continue
		}
		if !hasPayload {
			t.Fatalf("trigger %d has no payload", i)
		}
		for _, k := range []string{"summary", "source", "severity"} {
			if s, _ := p[k].(string); s == "" {
				t.Errorf("trigger %d: payload.%s is empty", i, k)
			}
		}
		if s := p["summary"].(string); len(s) > 1024 {
			t.Errorf("trigger %d: summary of %d bytes", i, len(s))
		}
		if !severities[p["severity"].(string)] {
			t.Errorf("trigger %d: severity %v", i, p["severity"])
		}
	}
	want := map[string][]string{
		"firing": {"trigger 3f1c2a9e-7b4d-5e60-8a1f-0c2d3e4f5a6b", "trigger 9d8c7b6a-5f4e-5d3c-9b2a-1f0e9d8c7b6a"},
		// Contact changed to acknowledged: PagerDuty already has its incident.
		"acknowledged": {"acknowledge 9d8c7b6a-5f4e-5d3c-9b2a-1f0e9d8c7b6a"},
		"resolved":     {"resolve 3f1c2a9e-7b4d-5e60-8a1f-0c2d3e4f5a6b"},
		// A test leaves no incident open.
		"test": {"trigger 00000000-0000-5000-8000-000000000001", "resolve 00000000-0000-5000-8000-000000000001"},
	}[name]
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: events %q, want %q", name, got, want)
	}
}

func TestSeverity(t *testing.T) {
	for _, tc := range []struct{ config, alert, want string }{
		{"", "critical", "critical"}, {"", "high", "error"}, {"", "medium", "warning"},
		{"", "low", "info"}, {"", "info", "info"}, {"", "bogus", "info"},
		{"warning", "critical", "warning"}, {"critical", "info", "critical"},
	} {
		r, err := New(config.PagerDutyConfig{RoutingKey: routingKey, Severity: tc.config}, "soc/pagerduty/0", notify.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.pdSeverity(tc.alert); got != tc.want {
			t.Errorf("config %q, alert %q: %q, want %q", tc.config, tc.alert, got, tc.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		c    config.PagerDutyConfig
		want string
	}{
		{config.PagerDutyConfig{}, "pagerduty soc/pagerduty/0: no routing_key"},
		{config.PagerDutyConfig{RoutingKey: routingKey, URL: "ftp://x/" + routingKey}, "pagerduty soc/pagerduty/0: url must be an http or https URL"},
		{config.PagerDutyConfig{RoutingKey: routingKey, Severity: "high"}, `pagerduty soc/pagerduty/0: severity "high" is not one of critical, error, warning, info`},
	} {
		_, err := New(tc.c, "soc/pagerduty/0", notify.Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("New(%+v) = %v, want %q", tc.c, err, tc.want)
		}
		notifytest.SecretsAbsent(t, err, routingKey)
	}
	r, err := New(config.PagerDutyConfig{RoutingKey: routingKey}, "soc/pagerduty/0", notify.Options{})
	if err != nil || r.url != config.DefaultPagerDutyURL {
		t.Errorf("New without url: %v, url %q; want %q", err, r.url, config.DefaultPagerDutyURL)
	}
}

// TestNewAcknowledged: an alert first told already acknowledged is
// triggered, then acknowledged, so PagerDuty's incident exists.
func TestNewAcknowledged(t *testing.T) {
	srv := notifytest.NewServer(t, accepted)
	r, err := newReceiver(t, srv.URL, notifytest.Options())
	if err != nil {
		t.Fatal(err)
	}
	a := notifytest.Contact()
	a.State = alert.StatusAcknowledged
	if err := r.Send(context.Background(), notifytest.Notification("soc/pagerduty/0", a)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range notifytest.JSONBodies[Event](t, srv.Requests()) {
		got = append(got, ev.EventAction)
	}
	if strings.Join(got, ",") != "trigger,acknowledge" {
		t.Errorf("events %q, want trigger, acknowledge", got)
	}
}

// TestPartialFailure: the second event fails, the whole message is retried
// and PagerDuty sees the first one twice, with the same dedup_key.
func TestPartialFailure(t *testing.T) {
	srv := notifytest.NewServer(t, accepted, accepted, notifytest.Step{Status: 500})
	r, err := newReceiver(t, srv.URL, notifytest.Options())
	if err != nil {
		t.Fatal(err)
	}
	n := notifytest.Notification("soc/pagerduty/0")
	if err := r.Send(context.Background(), n); err == nil {
		t.Fatal("first send: no error")
	}
	if err := r.Send(context.Background(), n); err != nil {
		t.Fatalf("retry: %v", err)
	}
	var keys []string
	for _, ev := range notifytest.JSONBodies[Event](t, srv.Requests()) {
		keys = append(keys, ev.DedupKey[:8])
	}
	if got, want := strings.Join(keys, ","), "3f1c2a9e,9d8c7b6a,3f1c2a9e,9d8c7b6a"; got != want {
		t.Errorf("dedup keys %s, want %s", got, want)
	}
}
