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
