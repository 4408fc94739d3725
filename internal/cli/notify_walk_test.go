package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

// pdEvent is what the walk-through reads of a PagerDuty event.
type pdEvent struct {
	Action   string `json:"event_action"`
	DedupKey string `json:"dedup_key"`
	Payload  struct {
		Summary string `json:"summary"`
		Details struct {
			Rule     string            `json:"rule"`
			Identity map[string]string `json:"identity"`
			Ticket   map[string]string `json:"ticket"`
		} `json:"custom_details"`
	} `json:"payload"`
}

// pdEvents are the events the server accepted, in order.
func pdEvents(t *testing.T, s *notifytest.Server) []pdEvent {
	t.Helper()
	var out []pdEvent
	for _, r := range s.Requests() {
		if r.Status != 202 {
			continue
		}
		var ev pdEvent
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			t.Fatalf("PagerDuty body: %v\n%s", err, r.Body)
		}
		out = append(out, ev)
	}
	return out
}

// TestNotifyWalkthrough is the "done when": a new user copies the
// example config, points its receivers at local servers (PagerDuty, Slack,
// a webhook, an Alertmanager and an SMTP relay, all on 127.0.0.1), runs the
// demo and gets grouped, enriched messages; acknowledging an alert
// acknowledges its PagerDuty incident at once; a silence stops delivery
// until it is expired.
func TestNotifyWalkthrough(t *testing.T) {
	pd := notifytest.NewServer(t, notifytest.Step{Status: 202, Body: `{"status":"success","message":"Event processed","dedup_key":"x"}`})
	slack := notifytest.NewServer(t, notifytest.Step{Status: 200, Body: "ok"})
	hook := notifytest.NewServer(t, notifytest.Step{Status: 200})
	am := notifytest.NewServer(t, notifytest.Step{Status: 200})
	mail := notifytest.NewSMTPSink(t)
	dir := t.TempDir()
	cfg := strings.NewReplacer(
		"https://events.pagerduty.com/v2/enqueue", pd.URL+"/v2/enqueue",
		"http://127.0.0.1:9093/", am.URL+"/",
		"/var/lib/homesoc/notifications.jsonl", filepath.Join(dir, "notifications.jsonl"),
		"smtp.example.org:587", mail.Addr,
		"require_tls: true", "require_tls: false",
	).Replace(config.Example())
	if err := os.WriteFile(filepath.Join(dir, "homesoc.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"PAGERDUTY_ROUTING_KEY": "R0UT1NGKEY", "SLACK_WEBHOOK_URL": slack.URL + "/services/T0/B0/secret",
		"WEBHOOK_URL": hook.URL + "/hook", "WEBHOOK_HMAC_SECRET": "hmac", "WEBHOOK_TOKEN": "tok", "SMTP_PASSWORD": "pw", "ABUSECH_AUTH_KEY": "k"} {
		t.Setenv(k, v)
	}
	data := filepath.Join(dir, "data")
	run := func(args ...string) string {
		t.Helper()
		out, code := runMain(t, append([]string{"--store", "duckdb", "--data", data, "--config", filepath.Join(dir, "homesoc.yaml")}, args...)...)
		if code != 0 {
			t.Fatalf("homesoc %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		return out.stdout
	}
	out := run("demo")
	if !strings.Contains(out, "== 7. notify") || !strings.Contains(out, "dead 0, still pending 0") {
		t.Errorf("demo's notify step:\n%s", out)
	}

	// PagerDuty (route 1: high and critical): one trigger per alert, the
	// ticket with its fields, kimura's contact with who stood behind it;
	// anna's inbound-from-internet is inhibited by her ticket.
	evs := pdEvents(t, pd)
	byRule := map[string][]pdEvent{}
	for _, ev := range evs {
		if ev.Action != "trigger" {
			t.Errorf("event %s of %s, want trigger", ev.Action, ev.DedupKey)
		}
		byRule[ev.Payload.Details.Rule] = append(byRule[ev.Payload.Details.Rule], ev)
	}
	if len(byRule["exposure"]) != 1 || len(byRule["ioc-contact"]) != 2 || len(byRule["inbound-from-internet"]) != 1 ||
		len(byRule["vpn-user-ioc-contact"]) != 1 || len(evs) != 5 {
		t.Fatalf("PagerDuty events by rule: %v", byRule)
	}
	if tk := byRule["exposure"][0].Payload.Details.Ticket; tk["Global IP"] == "" || !strings.Contains(tk["Services"], "upnp") {
		t.Errorf("ticket fields: %v", tk)
	}
	var kimura pdEvent
	for _, ev := range byRule["ioc-contact"] {
		if ev.Payload.Details.Identity["user"] == "kimura" {
			kimura = ev
		}
	}
	if kimura.DedupKey == "" || !strings.Contains(kimura.Payload.Summary, "kimura at 172.16.1.10") {
		t.Fatalf("no ioc-contact event attributed to kimura: %+v", byRule["ioc-contact"])
	}

	// Slack (route 4): one Block Kit message per group: the ticket, bob's
	// inbound alert, the port scan; the webhook the same; anna's mail the
	// ticket.
	if n := len(slack.Requests()); n != 3 {
		t.Errorf("Slack got %d messages, want 3 (ticket, bob's inbound, port scan)", n)
	}
	if n := len(hook.Requests()); n != 3 {
		t.Errorf("webhook got %d messages, want 3", n)
	}
	if ms := mail.Mails(); len(ms) != 1 || !slices.Equal(ms[0].To, []string{"anna@example.org"}) || !strings.Contains(string(ms[0].Data), "Global IP") {
		t.Errorf("mails: %d, want anna's ticket", len(ms))
	}
	if n := len(am.Requests()); n != 4 {
		t.Errorf("Alertmanager got %d posts, want 4 (one per PagerDuty group)", n)
	}

	// Acknowledge kimura's contact: PagerDuty's acknowledge, at once.
	pd.Reset()
	run("alerts", "ack", kimura.DedupKey, "--comment", "on it")
	if evs := pdEvents(t, pd); len(evs) != 1 || evs[0].Action != "acknowledge" || evs[0].DedupKey != kimura.DedupKey {
		t.Fatalf("after alerts ack, PagerDuty got %+v, want one acknowledge of %s", evs, kimura.DedupKey)
	}

	// A silence on ioc-contact: resolving kimura's alert sends nothing
	// while it lasts; expiring it sends the resolve.
	pd.Reset()
	id := strings.TrimSpace(run("silence", "add", "rule=ioc-contact", "--comment", "walk-through"))
	run("alerts", "resolve", kimura.DedupKey)
	run("alerts", "notify", "--wait", "0s")
	if evs := pdEvents(t, pd); len(evs) != 0 {
		t.Fatalf("while silenced, PagerDuty got %+v", evs)
	}
	run("silence", "expire", id)
	run("alerts", "notify", "--wait", "0s")
	evs = pdEvents(t, pd)
	if len(evs) != 1 || evs[0].Action != "resolve" || evs[0].DedupKey != kimura.DedupKey {
		t.Fatalf("after the silence expired, PagerDuty got %+v, want one resolve of %s", evs, kimura.DedupKey)
	}
}
