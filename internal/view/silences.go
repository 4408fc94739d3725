package view

import (
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/silence"
)

// Silence is a silence as homesoc silence list --json and GET
// /api/v1/silences list it: its state now and how many stored alerts its
// matchers match (whatever its state).
type Silence struct {
	silence.Silence
	State  string `json:"state"`
	Alerts int    `json:"alerts"`
}

// Silences returns ss with their state at now, each counting the alerts of
// as it matches (over their labels with their rules' tags, tags by rule id).
func Silences(ss []silence.Silence, as []alert.Alert, tags map[string][]string, now time.Time) []Silence {
	labels := make([]map[string]string, len(as))
	for i := range as {
		labels[i] = as[i].Labels(tags[as[i].RuleID]...)
	}
	vs := make([]Silence, len(ss))
	for i, s := range ss {
		vs[i] = Silence{Silence: s, State: s.State(now)}
		for _, l := range labels {
			if s.Matches(l) {
				vs[i].Alerts++
			}
		}
	}
	return vs
}
