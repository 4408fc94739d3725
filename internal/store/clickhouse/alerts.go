package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/store"
)

// alertColumns are the columns of an alert version.
const alertColumns = `alert_id, rule_id, title, severity, group_json, first_seen, last_seen, count, events,
	detail, status, updated_at, version`

// UpsertAlerts implements store.Store. A known alert widens its first/last
// seen, and its count grows only when the detection brings evidence newer
// than what the alert already holds, so re-running a rule over the same
// window does not inflate it. The alerts are applied in order to their
// latest stored versions, in Go; each alert that changed gets one new
// version.
func (s *Store) UpsertAlerts(ctx context.Context, as []alert.Alert) (store.AlertCounts, error) {
	var c store.AlertCounts
	if len(as) == 0 {
		return c, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	batch, err := externalTable("_batch", []string{"alert_id String"}, ids)
	if err != nil {
		return c, fmt.Errorf("read known alerts: %w", err)
	}
	rows, err := s.conn.Query(withTables(ctx, batch), `SELECT alert_id, rule_id, title, severity, group_json,
		first_seen, last_seen, count, events, detail, status, updated_at, version
		FROM alert_versions FINAL WHERE alert_id `+s.in()+` _batch`)
	if err != nil {
		return c, fmt.Errorf("read known alerts: %w", err)
	}
	defer rows.Close()
	type state struct {
		row     alertRow
		version uint64 // the stored version, 0 if new
		changed bool
	}
	known := make(map[string]*state)
	for rows.Next() {
		st := &state{}
		r := &st.row
		if err := rows.Scan(&r.id, &r.rule, &r.title, &r.severity, &r.group, &r.firstSeen, &r.lastSeen,
			&r.count, &r.events, &r.detail, &r.status, &r.updatedAt, &st.version); err != nil {
			return c, fmt.Errorf("read known alerts: %w", err)
		}
		known[r.id] = st
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("read known alerts: %w", err)
	}
	rows.Close()

	var order []*state // alerts to write, in the order first changed
	for _, a := range as {
		detail, _ := json.Marshal(a.Detail) // a map[string]string always marshals
		st, ok := known[a.ID]
		switch {
		case !ok:
			c.Opened++
			st = &state{row: alertRow{id: a.ID, rule: a.RuleID, title: a.Title, severity: a.Severity,
				group: alert.GroupJSON(a.Group), firstSeen: storedTime(a.FirstSeen), lastSeen: storedTime(a.LastSeen),
				count: 1, events: a.Events, detail: string(detail), status: "open", updatedAt: storedTime(a.UpdatedAt)}}
			known[a.ID] = st
		case st.row.lastSeen.Before(storedTime(a.LastSeen)):
			c.Updated++
			r := &st.row
			r.count++
			r.firstSeen = minTime(r.firstSeen, storedTime(a.FirstSeen))
			r.lastSeen, r.events, r.detail = storedTime(a.LastSeen), a.Events, string(detail)
			r.title, r.severity, r.updatedAt = a.Title, a.Severity, storedTime(a.UpdatedAt)
		default:
			continue
		}
		if !st.changed {
			st.changed = true
			order = append(order, st)
		}
	}
	if len(order) == 0 {
		return c, nil
	}
	n := len(order)
	var (
		alertIDs, rules, titles, severities = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		groups, details, statuses           = make([]string, n), make([]string, n), make([]string, n)
		firstSeen, lastSeen, updatedAt      = make([]int64, n), make([]int64, n), make([]int64, n)
		counts, events                      = make([]int64, n), make([]int64, n)
		versions                            = make([]uint64, n)
	)
	for i, st := range order {
		r := &st.row
		alertIDs[i], rules[i], titles[i], severities[i] = r.id, r.rule, r.title, r.severity
		groups[i], details[i], statuses[i] = r.group, r.detail, r.status
		firstSeen[i], lastSeen[i], updatedAt[i] = r.firstSeen.Unix(), r.lastSeen.Unix(), r.updatedAt.Unix()
		counts[i], events[i], versions[i] = r.count, r.events, s.nextVersion(st.version)
	}
	if err := s.insertColumns(ctx, "alert_versions", alertColumns, alertIDs, rules, titles, severities, groups,
		firstSeen, lastSeen, counts, events, details, statuses, updatedAt, versions); err != nil {
		return store.AlertCounts{}, fmt.Errorf("write alerts: %w", err)
	}
	return c, nil
}

// alertRow is an alert as stored.
type alertRow struct {
	id, rule, title, severity, group, detail, status string
	firstSeen, lastSeen, updatedAt                   time.Time
	count, events                                    int64
}

// Alerts implements store.Store.
func (s *Store) Alerts(ctx context.Context) ([]alert.Alert, error) {
	rows, err := s.conn.Query(ctx, store.AlertsQuery)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	defer rows.Close()
	return store.ScanAlerts(rows)
}
