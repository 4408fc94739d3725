package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
)

// AlertHistoryComment is the comment of the alerts' history column, on both
// engines.
const AlertHistoryComment = "every change of the alert's status, oldest first, as a JSON array of " +
	"{state, author, at, comment, by}: by is operator (alerts ack|resolve|reopen), rescan (an exposure " +
	"ticket's rescan) or detect (new evidence reopened it, or its rule's resolve_after resolved it); " +
	"[] for none"

// HistoryJSON is an alert's history as the alerts table holds it.
func HistoryJSON(h []alert.Transition) string {
	if len(h) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(h) // strings and times always marshal
	return string(b)
}

// ParseHistory reads the history column back: [] for none.
func ParseHistory(s string) ([]alert.Transition, error) {
	h := []alert.Transition{}
	if s == "" {
		return h, nil
	}
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	for i := range h {
		h[i].At = h[i].At.UTC()
	}
	return h, nil
}

// AlertFilter selects alerts: each field that is set narrows the selection
// (a list matches any of its values); the zero filter selects every alert.
type AlertFilter struct {
	IDs        []string  // alert ids, whole
	States     []string  // alert.StatusOpen, StatusAcknowledged, StatusResolved
	Rules      []string  // rule ids
	Severities []string  // severities
	Since      time.Time // last seen at or after
	SeenBefore time.Time // last seen before
}

// alertColumnList are the columns AlertsQuery reads, in ScanAlert's order.
const alertColumnList = `alert_id, rule_id, title, severity, group_json, first_seen, last_seen,
	count, events, detail, status, updated_at, identity, history`

// AlertsWhere is the query of the alerts f selects, in AlertsQuery's
// order, from table (alerts, or on ClickHouse alert_versions FINAL with
// extra columns after the alert's), and its arguments. Times are bound as
// 'YYYY-MM-DD hh:mm:ss' text, which both engines compare with a timestamp
// column.
func AlertsWhere(f AlertFilter, table string, extra ...string) (string, []any) {
	var w conditions
	w.in("alert_id", f.IDs)
	w.in("status", f.States)
	w.in("rule_id", f.Rules)
	w.in("severity", f.Severities)
	conds, args := w.where, w.args
	if !f.Since.IsZero() {
		conds = append(conds, "last_seen >= ?")
		args = append(args, f.Since.UTC().Format(time.DateTime))
	}
	if !f.SeenBefore.IsZero() {
		conds = append(conds, "last_seen < ?")
		args = append(args, f.SeenBefore.UTC().Format(time.DateTime))
	}
	cols := alertColumnList
	for _, c := range extra {
		cols += ", " + c
	}
	q := "SELECT " + cols + " FROM " + table
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	return q + " ORDER BY last_seen DESC, alert_id", args
}

// conditions collects the conditions of a WHERE clause and their arguments.
type conditions struct {
	where []string
	args  []any
}

// in adds "col IN (?, ...)" for vals; nothing when there are none.
func (c *conditions) in(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	c.where = append(c.where, col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")+")")
	for _, v := range vals {
		c.args = append(c.args, v)
	}
}

// MoveEach moves each alert of as as alert.Alert.Move does with t, and
// returns the alerts that changed, as values and as pointers into as.
func MoveEach(as []alert.Alert, t alert.Transition) ([]alert.Alert, []*alert.Alert, error) {
	moved := []alert.Alert{}
	var changed []*alert.Alert
	for i := range as {
		ok, err := as[i].Move(t)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			moved = append(moved, as[i])
			changed = append(changed, &as[i])
		}
	}
	return moved, changed, nil
}
