package slack

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// token is the secret part of the webhook URL.
const token = "/services/T0000000/B0000000/XXXXsecretTOKENxxxx"

func newReceiver(t *testing.T, base string, o notify.Options) (notify.Receiver, error) {
	return New(config.SlackConfig{APIURL: config.SecretURL{Secret: config.Secret(base)}, Channel: "#soc"}, "soc/slack/0", o)
}

func TestConformance(t *testing.T) {
	notifytest.Conformance(t, notifytest.Case{
		Kind: "slack", New: newReceiver, Path: token, OK: notifytest.Step{Status: 200, Body: "ok"},
		Secrets: []string{"XXXXsecretTOKENxxxx"}, Update: *update,
		Check: func(t *testing.T, name string, n *notify.Notification, reqs []notifytest.Request) {
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want one message", len(reqs))
			}
			p := notifytest.JSONBodies[Payload](t, reqs)[0]
			if p.Text != n.Message.Title() || p.Channel != "#soc" {
				t.Errorf("text %q, channel %q; want %q, #soc", p.Text, p.Channel, n.Message.Title())
			}
			checkLimits(t, p)
		},
	})
}

// checkLimits checks Block Kit's limits on p.
func checkLimits(t *testing.T, p Payload) {
	t.Helper()
	if len(p.Blocks) > maxBlocks {
		t.Errorf("%d blocks, Slack takes %d", len(p.Blocks), maxBlocks)
	}
	for i, b := range p.Blocks {
		if b.Text != nil && (len(b.Text.Text) > maxText || b.Text.Text == "") {
			t.Errorf("block %d: text of %d bytes", i, len(b.Text.Text))
		}
		if b.Type == "header" && utf8.RuneCountInString(b.Text.Text) > maxHeader {
			t.Errorf("header of %d characters", utf8.RuneCountInString(b.Text.Text))
		}
		if len(b.Fields) > maxFields {
			t.Errorf("block %d: %d fields", i, len(b.Fields))
		}
		for j, f := range b.Fields {
			if len(f.Text) > maxField {
				t.Errorf("block %d field %d: %d bytes", i, j, len(f.Text))
			}
		}
	}
}

// TestSixtyAlerts: a 60-alert message keeps within Block Kit's limits and
// counts the alerts it cannot show.
func TestSixtyAlerts(t *testing.T) {
	var alerts []notify.Alert
	for i := range 60 {
		a := notifytest.Contact()
		if i%2 == 0 {
			a = notifytest.Ticket()
		}
		a.ID = fmt.Sprintf("alert-%02d", i)
		a.Title = strings.Repeat("very long title ", 20)
		a.Detail["indicator"] = strings.Repeat("x", 5000)
		a.Runbook = strings.Repeat("step. ", 1000)
		alerts = append(alerts, a)
	}
	n := notifytest.Notification("soc/slack/0", alerts...)
	p := Render(&n.Message, "")
	checkLimits(t, p)
	last := p.Blocks[len(p.Blocks)-1]
	if last.Type != "context" || !strings.HasPrefix(last.Elements[0].Text, "and ") {
		t.Fatalf("last block %+v, want the count of the rest", last)
	}
	shown := 0
	for _, b := range p.Blocks {
		if b.Type == "divider" {
			shown++
		}
	}
	if want := fmt.Sprintf("and %d more in <https://soc.example.org/|the console>", 60-shown); last.Elements[0].Text != want {
		t.Errorf("last block %q, want %q", last.Elements[0].Text, want)
	}
	if shown != 19 {
		// 1 header + 19 alerts (10 tickets x 3 + 9 contacts x 2 = 48) + 1
		// context = 50; a 20th alert would need 52.
		t.Errorf("%d alerts shown, want 19", shown)
	}
	if len(p.Blocks) != 50 {
		t.Errorf("%d blocks, want 50", len(p.Blocks))
	}
}

// TestResolvedSaysResolved: the message of a resolve is a new one that
// says so in its title and at the alert.
func TestResolvedSaysResolved(t *testing.T) {
	srv := notifytest.NewServer(t, notifytest.Step{Status: 200, Body: "ok"})
	r, err := newReceiver(t, srv.URL, notifytest.Options())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Send(context.Background(), notifytest.Resolved("soc/slack/0")); err != nil {
		t.Fatal(err)
	}
	p := notifytest.JSONBodies[Payload](t, srv.Requests())[0]
	if p.Text != "[RESOLVED] Router of NAS-ANNA exposes 2 port(s) to the internet" {
		t.Errorf("text %q", p.Text)
	}
	if !strings.HasPrefix(p.Blocks[2].Text.Text, ":white_check_mark: RESOLVED *<https://soc.example.org/alerts/3f1c2a9e") {
		t.Errorf("alert section %q", p.Blocks[2].Text.Text)
	}
}

func TestAnswers(t *testing.T) {
	for _, tc := range []struct {
		step      notifytest.Step
		permanent bool
	}{
		{notifytest.Step{Status: 400, Body: "invalid_payload"}, true},
		{notifytest.Step{Status: 403, Body: "action_prohibited"}, true},
		{notifytest.Step{Status: 404, Body: "no_service"}, true},
		{notifytest.Step{Status: 410, Body: "channel_is_archived"}, true},
		{notifytest.Step{Status: 502}, false},
	} {
		srv := notifytest.NewServer(t, tc.step)
		r, _ := newReceiver(t, srv.URL+token, notifytest.Options())
		err := r.Send(context.Background(), notifytest.Notification("soc/slack/0"))
		if p, _ := notify.Classify(err); err == nil || p != tc.permanent {
			t.Errorf("answer %d: %v, permanent %v; want permanent %v", tc.step.Status, err, p, tc.permanent)
		}
		notifytest.SecretsAbsent(t, err, "XXXXsecretTOKENxxxx")
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		url, want string
	}{
		{"", "slack soc/slack/0: no api_url"},
		{"hooks.slack.com" + token, "slack soc/slack/0: api_url must be an http or https URL"},
	} {
		_, err := New(config.SlackConfig{APIURL: config.SecretURL{Secret: config.Secret(tc.url)}}, "soc/slack/0", notify.Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("New(%q) = %v, want %q", tc.url, err, tc.want)
		}
	}
}
