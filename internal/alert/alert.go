// Package alert holds alert state: the identity that deduplicates repeated
// findings of a rule, and the record an operator and a notifier see.
package alert

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// Alert is one finding of a rule, identified by the rule and the values of its
// group_by columns. A rule that finds the same thing again updates this alert
// (Count, LastSeen) instead of opening a new one.
type Alert struct {
	ID        string            `json:"id"`         // Identity(RuleID, Group)
	RuleID    string            `json:"rule"`       // the rule that raised it
	Title     string            `json:"title"`      // the rule's title
	Severity  string            `json:"severity"`   // the rule's severity
	Group     map[string]string `json:"group"`      // the group_by columns and their values
	FirstSeen time.Time         `json:"first_seen"` // earliest evidence
	LastSeen  time.Time         `json:"last_seen"`  // latest evidence
	Count     int64             `json:"count"`      // how many detections found new evidence
	Events    int64             `json:"events"`     // events behind the latest detection
	Detail    map[string]string `json:"detail"`     // every column the rule returned
	Status    string            `json:"status"`     // "open"
	UpdatedAt time.Time         `json:"updated_at"` // when a detection last changed it

	// Detections are, for a finding of one detection pass (not a stored
	// alert), the last_seen of each of its detections that brought newer
	// evidence than the one before, ascending: a pass that steps a rule's
	// window across new data may find the same thing several times. Empty
	// means one detection, at LastSeen.
	Detections []time.Time `json:"-"`
	// Step is, for a finding, how far apart its rule's windows end (0 when
	// evaluated once, at a time given): newer evidence counts as a new
	// detection only when it falls in a later step than the evidence before
	// it. Not stored.
	Step time.Duration `json:"-"`
}

// detections returns the last_seen times of a finding's detections.
func (a *Alert) detections() []time.Time {
	if len(a.Detections) == 0 {
		return []time.Time{a.LastSeen}
	}
	return a.Detections
}

// Open returns the alert a finding opens, counted as Apply would count its
// detections.
func Open(f Alert) Alert {
	a := f
	a.Count, a.Status, a.Detections, a.Step = 1, "open", nil, 0
	ds := f.detections()
	prev := ds[0]
	for _, d := range ds[1:] {
		if newStep(prev, d, f.Step) {
			a.Count++
		}
		prev = d
	}
	return a
}

// newStep reports whether evidence at d, later than prev, falls in a later
// step of the grid of windows (see detect.Steps) than prev: a window ending
// at t holds the detections with last_seen in (t-step, t]. With no step,
// all later evidence is new.
func newStep(prev, d time.Time, step time.Duration) bool {
	if step <= 0 {
		return d.After(prev)
	}
	return d.Add(-time.Second).Truncate(step).After(prev.Add(-time.Second).Truncate(step))
}

// Apply merges a finding into the stored alert a and reports whether a
// changed. Evidence newer than a.LastSeen updates last_seen, events and
// detail (and may move first_seen back); each detection whose evidence
// falls in a later step than the evidence before it adds one to the count,
// so a window evaluated again with more of the same data does not. A
// finding with no newer evidence (the same window evaluated again, or older
// data) changes nothing, so re-running a rule never inflates an alert.
func (a *Alert) Apply(f Alert) bool {
	prev := a.LastSeen
	changed := false
	for _, d := range f.detections() {
		if !d.After(prev) {
			continue
		}
		changed = true
		if newStep(prev, d, f.Step) {
			a.Count++
		}
		prev = d
	}
	if !changed {
		return false
	}
	if f.FirstSeen.Before(a.FirstSeen) {
		a.FirstSeen = f.FirstSeen
	}
	a.LastSeen, a.Events, a.Detail = f.LastSeen, f.Events, f.Detail
	a.Title, a.Severity, a.UpdatedAt = f.Title, f.Severity, f.UpdatedAt
	return true
}

// Identity is an alert's deterministic id: a hash of the rule id and the
// group_by values (in column order), so the same finding maps to one alert and
// one PagerDuty dedup_key.
func Identity(ruleID string, groupBy []string, values map[string]string) string {
	key := []byte(ruleID)
	for _, col := range groupBy {
		key = append(key, 0)
		key = append(key, col...)
		key = append(key, '=')
		key = append(key, values[col]...)
	}
	return event.NewID("alert", key).String()
}

// GroupJSON renders a string map as a JSON object with sorted keys.
func GroupJSON(m map[string]string) string {
	b, _ := json.Marshal(m) // a map[string]string always marshals; keys come out sorted
	return string(b)
}

// SortedKeys returns the keys of m in order.
func SortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
