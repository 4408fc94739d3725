package receivers

import (
	"slices"
	"testing"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
)

// TestBuild: one integration per config entry, named RECEIVER/KIND/INDEX in
// config order; a bad entry fails the build naming it, not its secret.
func TestBuild(t *testing.T) {
	rs := []config.Receiver{
		{Name: "soc", PagerDutyConfigs: []config.PagerDutyConfig{{RoutingKey: "k1", URL: "http://127.0.0.1:1/v2/enqueue"}, {RoutingKey: "k2", URL: "http://127.0.0.1:1/v2/enqueue"}},
			JSONLConfigs: []config.JSONLConfig{{Path: t.TempDir() + "/n.jsonl"}}},
		{Name: "chat", SlackConfigs: []config.SlackConfig{{APIURL: config.SecretURL{Secret: "http://127.0.0.1:1/hook"}}}},
	}
	s, err := Build(rs, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.ByReceiver["soc"]; !slices.Equal(got, []string{"soc/jsonl/0", "soc/pagerduty/0", "soc/pagerduty/1"}) {
		t.Errorf("soc's integrations: %v", got)
	}
	if got := s.ByReceiver["chat"]; !slices.Equal(got, []string{"chat/slack/0"}) || len(s.ByName) != 4 {
		t.Errorf("chat's integrations: %v, %d in all", got, len(s.ByName))
	}
	rs[1].SlackConfigs = append(rs[1].SlackConfigs, config.SlackConfig{APIURL: config.SecretURL{Secret: "ftp://x/SECRETTOKEN"}})
	_, err = Build(rs, notify.Options{})
	if err == nil || err.Error() != "slack chat/slack/1: api_url must be an http or https URL" {
		t.Fatalf("a bad Slack URL: %v", err)
	}
}
