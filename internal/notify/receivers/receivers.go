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
		add := func(kind string, i int, recv notify.Receiver, err error) error {
			name := Name(r.Name, kind, i)
			if err != nil {
				return fmt.Errorf("receiver %s: %w", name, err)
			}
			s.ByName[name] = recv
			s.ByReceiver[r.Name] = append(s.ByReceiver[r.Name], name)
			return nil
		}
		var errs []error
		for i, c := range r.JSONLConfigs {
			v, err := jsonl.New(c, Name(r.Name, "jsonl", i), o)
			errs = append(errs, add("jsonl", i, v, err))
		}
		for i, c := range r.PagerDutyConfigs {
			v, err := pagerduty.New(c, Name(r.Name, "pagerduty", i), o)
			errs = append(errs, add("pagerduty", i, v, err))
		}
		for i, c := range r.SlackConfigs {
			v, err := slack.New(c, Name(r.Name, "slack", i), o)
			errs = append(errs, add("slack", i, v, err))
		}
		for i, c := range r.WebhookConfigs {
			v, err := webhook.New(c, Name(r.Name, "webhook", i), o)
			errs = append(errs, add("webhook", i, v, err))
		}
		for i, c := range r.EmailConfigs {
			v, err := email.New(c, Name(r.Name, "email", i), o)
			errs = append(errs, add("email", i, v, err))
		}
		for i, c := range r.AlertmanagerConfigs {
			v, err := alertmanager.New(c, Name(r.Name, "alertmanager", i), o)
			errs = append(errs, add("alertmanager", i, v, err))
		}
		for _, err := range errs {
			if err != nil {
				return s, err
			}
		}
	}
	return s, nil
}
