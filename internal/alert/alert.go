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
	ID        string            // Identity(RuleID, Group)
	RuleID    string            // the rule that raised it
	Title     string            // the rule's title
	Severity  string            // the rule's severity
	Group     map[string]string // the group_by columns and their values
	FirstSeen time.Time         // earliest evidence
	LastSeen  time.Time         // latest evidence
	Count     int64             // how many detections found new evidence
	Events    int64             // events behind the latest detection
	Detail    map[string]string // every column the rule returned
	Status    string            // "open"
	UpdatedAt time.Time         // when a detection last changed it
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
