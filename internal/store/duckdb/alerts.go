package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/store"
)

// UpsertAlerts implements store.Store. A known alert widens its first/last
// seen, and its count grows only when the detection brings evidence newer
// than what the alert already holds, so re-running a rule over the same
// window does not inflate it.
func (s *Store) UpsertAlerts(ctx context.Context, as []alert.Alert) (store.AlertCounts, error) {
	var c store.AlertCounts
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, a := range as {
			var known int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM alerts WHERE alert_id = ?`, a.ID).Scan(&known); err != nil {
				return err
			}
			detail, _ := json.Marshal(a.Detail) // a map[string]string always marshals
			if known == 0 {
				c.Opened++
				if _, err := tx.ExecContext(ctx, `INSERT INTO alerts (alert_id, rule_id, title, severity, group_json,
					first_seen, last_seen, count, events, detail, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, 'open', ?)`,
					a.ID, a.RuleID, a.Title, a.Severity, alert.GroupJSON(a.Group),
					a.FirstSeen, a.LastSeen, a.Events, string(detail), a.UpdatedAt); err != nil {
					return fmt.Errorf("open alert %s: %w", a.ID, err)
				}
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE alerts SET
					count = count + 1, first_seen = least(first_seen, ?), last_seen = ?,
					events = ?, detail = ?, title = ?, severity = ?, updated_at = ?
				WHERE alert_id = ? AND last_seen < ?`,
				a.FirstSeen, a.LastSeen, a.Events, string(detail), a.Title, a.Severity, a.UpdatedAt, a.ID, a.LastSeen)
			if err != nil {
				return fmt.Errorf("update alert %s: %w", a.ID, err)
			}
			c.Updated += rowsAffected(res)
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
