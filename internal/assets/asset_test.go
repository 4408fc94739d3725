package assets

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

var t0 = time.Date(2026, 4, 6, 16, 5, 29, 0, time.UTC)

// TestFromStates: one update per device, fields from its latest state
// that gives them whatever the order, MACs of all, states without a
// device id ignored.
func TestFromStates(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	us := FromStates([]event.EndpointState{
		{DeviceID: "d1", Time: at(10), Hostname: "new", OS: "Win 11", Format: "defender", Kind: event.StateDevice},
		{DeviceID: "", Time: at(99), Hostname: "nobody", Format: "defender"},
		{DeviceID: "d2", Time: at(5), MAC: "00:11:22:33:44:55", Format: "crowdstrike-fdr"},
		{DeviceID: "d1", Time: at(1), Hostname: "old", Platform: "Windows11", MAC: "a4:5e:60:11:22:33", Format: "defender-csv"},
		{DeviceID: "d1", Time: at(20), MAC: "a4:5e:60:11:22:33", Format: "defender"},
	})
	b, _ := json.Marshal(us)
	const want = `[{"id":"d1","hostname":"new","macs":["a4:5e:60:11:22:33"],"owner":"","os":"Win 11","platform":"Windows11","tags":[],"serial":"","location":"","notes":"","source":"defender","first_seen":"2026-04-06T16:05:30Z","last_seen":"2026-04-06T16:05:49Z","updated_at":"0001-01-01T00:00:00Z","Observed":true},` +
		`{"id":"d2","hostname":"","macs":["00:11:22:33:44:55"],"owner":"","os":"","platform":"","tags":[],"serial":"","location":"","notes":"","source":"crowdstrike-fdr","first_seen":"2026-04-06T16:05:34Z","last_seen":"2026-04-06T16:05:34Z","updated_at":"0001-01-01T00:00:00Z","Observed":true}]`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

// TestPlan: counts per update, an id twice in a batch, UpdatedAt only on
// what changed, an update without id skipped.
func TestPlan(t *testing.T) {
	known := map[string]Asset{"k": {ID: "k", Owner: "anna", UpdatedAt: t0}}
	now := t0.Add(time.Hour)
	changed, c := Plan(known, []Update{
		{Asset: Asset{ID: "k", Owner: "anna"}},
		{Asset: Asset{ID: "n", Hostname: "a"}},
		{Asset: Asset{ID: "n", Hostname: "b", Source: "s"}},
		{Asset: Asset{ID: "n", Hostname: "b"}},
		{Asset: Asset{Hostname: "no id"}},
		{Observed: true, Asset: Asset{ID: "k", Owner: "ignored", OS: "Linux", LastSeen: t0}},
	}, now)
	if c != (Counts{Added: 1, Updated: 2, Unchanged: 2}) {
		t.Errorf("counts %+v", c)
	}
	if len(changed) != 2 || changed[0].ID != "n" || changed[0].Hostname != "b" || changed[0].Source != "s" ||
		!changed[0].UpdatedAt.Equal(now) || changed[1].ID != "k" || changed[1].Owner != "anna" ||
		changed[1].OS != "Linux" || !changed[1].UpdatedAt.Equal(now) {
		t.Errorf("changed %+v", changed)
	}
	if known["k"].OS != "" {
		t.Errorf("Plan changed the known map: %+v", known["k"])
	}
}
