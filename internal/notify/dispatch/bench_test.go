package dispatch

import (
	"fmt"
	"testing"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify/route"
)

// oneGroupYAML groups every alert by rule for a receiver with a PagerDuty
// and a Slack integration (addresses are data: Dispatch sends nothing).
const oneGroupYAML = `route:
  receiver: bench
  group_by: [rule]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: bench
    pagerduty_configs: [{routing_key: k, url: 'http://127.0.0.1:9/v2/enqueue'}]
    slack_configs: [{api_url: 'http://127.0.0.1:9/slack/T000/B000/x'}]
`

// BenchmarkDispatch10kOneGroup: 10,000 new alerts of one rule, all in one
// group, due at once (group_wait 0s), for PagerDuty and Slack: PagerDuty
// one notification per alert, Slack one message in parts of
// MaxAlertsPerMessage, so 10,000 + 100 notifications.
func BenchmarkDispatch10kOneGroup(b *testing.B) {
	c, err := config.Parse("bench.yaml", []byte(oneGroupYAML), nil)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := route.New(c.Route, c.Receivers)
	if err != nil {
		b.Fatal(err)
	}
	as := alerts10k()
	for i := range as {
		as[i].RuleID = "port-scan-burst"
	}
	in := Input{Now: t0, Alerts: as, Integrations: map[string][]string{"bench": {"bench/pagerduty/0", "bench/slack/0"}}}
	const slackParts = 10000 / MaxAlertsPerMessage
	b.ReportAllocs()
	for b.Loop() {
		p := Dispatch(tr, in)
		if len(p.Notifications) != 10000+slackParts || len(p.Groups) != 1 {
			b.Fatalf("%d notifications, %d groups", len(p.Notifications), len(p.Groups))
		}
	}
	p := Dispatch(tr, in)
	byIntegration := map[string]int{}
	for _, n := range p.Notifications {
		byIntegration[n.Integration]++
		if n.Integration == "bench/slack/0" && (len(n.Message.Alerts) != MaxAlertsPerMessage || n.Message.Parts != slackParts) {
			b.Fatalf("slack part %d/%d of %d alerts", n.Message.Part, n.Message.Parts, len(n.Message.Alerts))
		}
		if n.Integration == "bench/pagerduty/0" && len(n.Message.Alerts) != 1 {
			b.Fatalf("pagerduty notification of %d alerts", len(n.Message.Alerts))
		}
	}
	if got := fmt.Sprint(byIntegration); got != "map[bench/pagerduty/0:10000 bench/slack/0:100]" {
		b.Fatalf("notifications by integration: %s", got)
	}
}
