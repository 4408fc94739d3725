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
	detail, status, updated_at, identity, history, version`

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
	q, _ := store.AlertsWhere(store.AlertFilter{}, "alert_versions FINAL WHERE alert_id "+s.in()+" _batch", "version")
	rows, err := s.conn.Query(withTables(ctx, batch), q)
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
		if st.a, err = store.ScanAlert(rows, &st.version); err != nil {
			return c, fmt.Errorf("read known alerts: %w", err)
		}
		known[st.a.ID] = st
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
	ws, versions := make([]*alert.Alert, len(order)), make([]uint64, len(order))
	for i, st := range order {
		ws[i], versions[i] = &st.a, st.version
	}
	if err := s.writeAlerts(ctx, ws, versions); err != nil {
		return store.AlertCounts{}, err
	}
	return c, nil
}

// writeAlerts appends a version of each alert of as, whose stored versions
// are known (0 for new ones), in one insert.
func (s *Store) writeAlerts(ctx context.Context, as []*alert.Alert, known []uint64) error {
	n := len(as)
	var (
		alertIDs, rules, titles, severities = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		groups, details, statuses, idents   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		histories                           = make([]string, n)
		firstSeen, lastSeen, updatedAt      = make([]int64, n), make([]int64, n), make([]int64, n)
		counts, events                      = make([]int64, n), make([]int64, n)
		versions                            = make([]uint64, n)
	)
	for i, a := range as {
		detail, _ := json.Marshal(a.Detail) // a map[string]string always marshals
		alertIDs[i], rules[i], titles[i], severities[i] = a.ID, a.RuleID, a.Title, a.Severity
		groups[i], details[i], statuses[i] = alert.GroupJSON(a.Group), string(detail), a.Status
		idents[i], histories[i] = store.IdentityJSON(a.Identity), store.HistoryJSON(a.History)
		firstSeen[i], lastSeen[i], updatedAt[i] = a.FirstSeen.Unix(), a.LastSeen.Unix(), a.UpdatedAt.Unix()
		counts[i], events[i], versions[i] = a.Count, a.Events, s.nextVersion(known[i])
	}
	if err := s.insertColumns(ctx, "alert_versions", alertColumns, alertIDs, rules, titles, severities, groups,
		firstSeen, lastSeen, counts, events, details, statuses, updatedAt, idents, histories, versions); err != nil {
		return fmt.Errorf("write alerts: %w", err)
	}
	return nil
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

// FindAlerts implements store.Store.
func (s *Store) FindAlerts(ctx context.Context, f store.AlertFilter) ([]alert.Alert, error) {
	q, args := store.AlertsWhere(f, "alerts")
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	defer rows.Close()
	return store.ScanAlerts(rows)
}

// MoveAlerts implements store.Store: one new version of each alert that
// changed.
func (s *Store) MoveAlerts(ctx context.Context, f store.AlertFilter, t alert.Transition) ([]alert.Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.At = storedTime(t.At)
	q, args := store.AlertsWhere(f, "alert_versions FINAL", "version")
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	defer rows.Close()
	var as []alert.Alert
	var known []uint64
	for rows.Next() {
		var v uint64
		a, err := store.ScanAlert(rows, &v)
		if err != nil {
			return nil, err
		}
		as, known = append(as, a), append(known, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	rows.Close()
	byID := make(map[string]uint64, len(as))
	for i, a := range as {
		byID[a.ID] = known[i]
	}
	moved, changed, err := store.MoveEach(as, t)
	if err != nil || len(moved) == 0 {
		return moved, err
	}
	versions := make([]uint64, len(changed))
	for i, a := range changed {
		versions[i] = byID[a.ID]
	}
	if err := s.writeAlerts(ctx, changed, versions); err != nil {
		return nil, err
	}
	return moved, nil
}
