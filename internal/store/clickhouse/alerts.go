package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/store"
)

// alertColumns are the columns of an alert version.
const alertColumns = `alert_id, rule_id, title, severity, group_json, first_seen, last_seen, count, events,
	detail, status, updated_at, identity, version`

// UpsertAlerts implements store.Store: each finding is merged into the
// latest stored version of its alert in Go (alert.Alert.Apply), in order;
// each alert that changed gets one new version.
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
		first_seen, last_seen, count, events, detail, status, updated_at, identity, version
		FROM alert_versions FINAL WHERE alert_id `+s.in()+` _batch`)
	if err != nil {
		return c, fmt.Errorf("read known alerts: %w", err)
	}
	defer rows.Close()
	type state struct {
		a       alert.Alert
		version uint64 // the stored version, 0 if new
		changed bool
	}
	known := make(map[string]*state)
	for rows.Next() {
		st := &state{}
		a := &st.a
		var group, detail, ident string
		if err := rows.Scan(&a.ID, &a.RuleID, &a.Title, &a.Severity, &group, &a.FirstSeen, &a.LastSeen,
			&a.Count, &a.Events, &detail, &a.Status, &a.UpdatedAt, &ident, &st.version); err != nil {
			return c, fmt.Errorf("read known alerts: %w", err)
		}
		a.FirstSeen, a.LastSeen = a.FirstSeen.UTC(), a.LastSeen.UTC()
		if err := json.Unmarshal([]byte(group), &a.Group); err != nil {
			return c, fmt.Errorf("alert %s: group: %w", a.ID, err)
		}
		// Evidence older than the alert keeps its detail: read it whole.
		if err := json.Unmarshal([]byte(detail), &a.Detail); err != nil {
			return c, fmt.Errorf("alert %s: detail: %w", a.ID, err)
		}
		a.UpdatedAt = a.UpdatedAt.UTC()
		if a.Identity, err = store.ParseIdentity(ident); err != nil {
			return c, fmt.Errorf("alert %s: %w", a.ID, err)
		}
		known[a.ID] = st
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("read known alerts: %w", err)
	}
	rows.Close()

	var order []*state // alerts to write, in the order first changed
	for _, f := range as {
		f.FirstSeen, f.LastSeen, f.UpdatedAt = storedTime(f.FirstSeen), storedTime(f.LastSeen), storedTime(f.UpdatedAt)
		f.Detections = slices.Clone(f.Detections)
		for i, t := range f.Detections {
			f.Detections[i] = storedTime(t)
		}
		st, ok := known[f.ID]
		switch {
		case !ok:
			c.Opened++
			st = &state{a: alert.Open(f)}
			known[f.ID] = st
		case st.a.Apply(f):
			c.Updated++
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
		groups, details, statuses, idents   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		firstSeen, lastSeen, updatedAt      = make([]int64, n), make([]int64, n), make([]int64, n)
		counts, events                      = make([]int64, n), make([]int64, n)
		versions                            = make([]uint64, n)
	)
	for i, st := range order {
		a := &st.a
		detail, _ := json.Marshal(a.Detail) // a map[string]string always marshals
		alertIDs[i], rules[i], titles[i], severities[i] = a.ID, a.RuleID, a.Title, a.Severity
		groups[i], details[i], statuses[i] = alert.GroupJSON(a.Group), string(detail), a.Status
		idents[i] = store.IdentityJSON(a.Identity)
		firstSeen[i], lastSeen[i], updatedAt[i] = a.FirstSeen.Unix(), a.LastSeen.Unix(), a.UpdatedAt.Unix()
		counts[i], events[i], versions[i] = a.Count, a.Events, s.nextVersion(st.version)
	}
	if err := s.insertColumns(ctx, "alert_versions", alertColumns, alertIDs, rules, titles, severities, groups,
		firstSeen, lastSeen, counts, events, details, statuses, updatedAt, idents, versions); err != nil {
		return store.AlertCounts{}, fmt.Errorf("write alerts: %w", err)
	}
	return c, nil
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
