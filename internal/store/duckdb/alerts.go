package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/store"
)

// UpsertAlerts implements store.Store: each finding is merged into its
// stored alert in Go (alert.Alert.Apply), under the write lock, and written
// back if it changed.
func (s *Store) UpsertAlerts(ctx context.Context, as []alert.Alert) (store.AlertCounts, error) {
	var c store.AlertCounts
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, f := range as {
			rows, err := tx.QueryContext(ctx, `SELECT * FROM (`+store.AlertsQuery+`) WHERE alert_id = ?`, f.ID)
			if err != nil {
				return fmt.Errorf("read alert %s: %w", f.ID, err)
			}
			known, err := store.ScanAlerts(rows)
			rows.Close()
			if err != nil {
				return err
			}
			if len(known) == 0 {
				c.Opened++
				a := alert.Open(f)
				detail, _ := json.Marshal(a.Detail) // a map[string]string always marshals
				if _, err := tx.ExecContext(ctx, `INSERT INTO alerts (alert_id, rule_id, title, severity, group_json,
					first_seen, last_seen, count, events, detail, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					a.ID, a.RuleID, a.Title, a.Severity, alert.GroupJSON(a.Group),
					a.FirstSeen, a.LastSeen, a.Count, a.Events, string(detail), a.Status, a.UpdatedAt); err != nil {
					return fmt.Errorf("open alert %s: %w", a.ID, err)
				}
				continue
			}
			a := known[0]
			if !a.Apply(f) {
				continue
			}
			c.Updated++
			detail, _ := json.Marshal(a.Detail)
			if _, err := tx.ExecContext(ctx, `UPDATE alerts SET count = ?, first_seen = ?, last_seen = ?,
					events = ?, detail = ?, title = ?, severity = ?, updated_at = ?
				WHERE alert_id = ?`,
				a.Count, a.FirstSeen, a.LastSeen, a.Events, string(detail), a.Title, a.Severity, a.UpdatedAt, a.ID); err != nil {
				return fmt.Errorf("update alert %s: %w", a.ID, err)
			}
		}
		return nil
	})
	return c, err
}

// Alerts implements store.Store.
func (s *Store) Alerts(ctx context.Context) ([]alert.Alert, error) {
	rows, err := s.db.QueryContext(ctx, store.AlertsQuery)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	defer rows.Close()
	return store.ScanAlerts(rows)
}
