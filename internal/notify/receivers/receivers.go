// Package receivers builds the integrations of the config's receivers: one
// notify.Receiver per entry of each receiver's *_configs, named
// "RECEIVER/KIND/INDEX" as the outbox keeps them.
package receivers

import (
	"fmt"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/alertmanager"
	"github.com/homesoc/homesoc/internal/notify/email"
	"github.com/homesoc/homesoc/internal/notify/jsonl"
	"github.com/homesoc/homesoc/internal/notify/pagerduty"
	"github.com/homesoc/homesoc/internal/notify/slack"
	"github.com/homesoc/homesoc/internal/notify/webhook"
)

// Set is the integrations of a config: each by name, and each receiver's
// names in config order.
type Set struct {
	ByName     map[string]notify.Receiver
	ByReceiver map[string][]string
}

// Name is an integration's name: "soc-pager/pagerduty/0".
func Name(receiver, kind string, i int) string { return fmt.Sprintf("%s/%s/%d", receiver, kind, i) }

// Build makes every integration of rs.
func Build(rs []config.Receiver, o notify.Options) (Set, error) {
	s := Set{ByName: map[string]notify.Receiver{}, ByReceiver: map[string][]string{}}
	for _, r := range rs {
		s.ByReceiver[r.Name] = []string{}
		for _, err := range []error{
			add(s, r.Name, "jsonl", r.JSONLConfigs, o, jsonl.New),
			add(s, r.Name, "pagerduty", r.PagerDutyConfigs, o, pagerduty.New),
			add(s, r.Name, "slack", r.SlackConfigs, o, slack.New),
			add(s, r.Name, "webhook", r.WebhookConfigs, o, webhook.New),
			add(s, r.Name, "email", r.EmailConfigs, o, email.New),
			add(s, r.Name, "alertmanager", r.AlertmanagerConfigs, o, alertmanager.New),
		} {
			if err != nil {
				return s, err
			}
		}
	}
	return s, nil
}

// add makes the integrations of one kind of a receiver's configs.
func add[C any, R notify.Receiver](s Set, receiver, kind string, cs []C, o notify.Options,
	mk func(C, string, notify.Options) (R, error)) error {
	for i, c := range cs {
		name := Name(receiver, kind, i)
		recv, err := mk(c, name, o)
		if err != nil {
			return err // the constructors name the integration
		}
		s.ByName[name] = recv
		s.ByReceiver[receiver] = append(s.ByReceiver[receiver], name)
	}
	return nil
}
