// Package alert holds alert state: the identity that deduplicates repeated
// findings of a rule, and the record an operator and a notifier see.
package alert

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/identity"
)

// Alert states.
const (
	StatusOpen     = "open"
	StatusResolved = "resolved" // e.g. an exposure ticket whose rescan found every port closed
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
	Status    string            `json:"status"`     // StatusOpen, StatusAcknowledged or StatusResolved
	UpdatedAt time.Time         `json:"updated_at"` // when a detection last changed it
	// Identity is who and which device stood behind the alert's subject
	// address over its evidence (see detect.Enrich): nil when the alert
	// was not enriched (no subject address, or attribution failed).
	Identity *identity.Answer `json:"identity,omitempty"`
	// History is every change of Status, oldest first ([] for none): who
	// acknowledged, resolved or reopened the alert, when, why and by what.
	History []Transition `json:"history"`

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
	a.Count, a.Detections, a.Step = 1, nil, 0
	a.History = []Transition{}
	if a.Status == "" {
		a.Status = StatusOpen
	}
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
// so a window evaluated again with more of the same data does not.
// Evidence older than all the alert holds (a day-old log ingested after
// today's) moves first_seen back and counts once per step it falls in, as it
// would have had it arrived first. A finding with no evidence outside what
// the alert holds (the same window evaluated again) changes nothing, so
// re-running a rule never inflates an alert.
func (a *Alert) Apply(f Alert) bool {
	changed := a.applyOlder(f)
	prev := a.LastSeen
	newer := false
	for _, d := range f.detections() {
		if !d.After(prev) {
			continue
		}
		newer = true
		if newStep(prev, d, f.Step) {
			a.Count++
		}
		prev = d
	}
	if f.FirstSeen.Before(a.FirstSeen) {
		a.FirstSeen, changed = f.FirstSeen, true
	}
	if newer {
		a.LastSeen, a.Events, a.Detail = f.LastSeen, f.Events, f.Detail
		a.Title, a.Severity = f.Title, f.Severity
	}
	// The alert's evidence is all its findings': so is its attribution (a
	// finding that could not be attributed adds nothing).
	a.Identity = identity.Merge(a.Identity, f.Identity)
	if a.applyStatus(f, newer) {
		changed = true
	}
	if changed || newer {
		a.UpdatedAt = f.UpdatedAt
	}
	return changed || newer
}

// applyOlder counts the detections of f whose evidence ends before any the
// alert holds (before a.FirstSeen), once per step of the grid they fall in
// short of the step of a.FirstSeen, and reports whether there were any.
func (a *Alert) applyOlder(f Alert) bool {
	var steps []time.Time
	for _, d := range f.detections() {
		if !d.Before(a.FirstSeen) {
			continue
		}
		k := d
		if f.Step > 0 {
			k = d.Add(-time.Second).Truncate(f.Step)
			if !k.Before(a.FirstSeen.Add(-time.Second).Truncate(f.Step)) {
				continue // the step of evidence the alert counted already
			}
		}
		if !slices.ContainsFunc(steps, k.Equal) {
			steps = append(steps, k)
		}
	}
	a.Count += int64(len(steps))
	return len(steps) > 0
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
