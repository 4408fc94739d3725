package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/store"
)

// UpsertAlerts implements store.Store: the stored alerts among the
// findings' ids are read in one query, each finding is merged into its alert
// in Go (alert.Alert.Apply), and the alerts that changed are replaced in one
// transaction, set-wise: a pass over much history may bring thousands.
func (s *Store) UpsertAlerts(ctx context.Context, as []alert.Alert) (store.AlertCounts, error) {
	var c store.AlertCounts
	if len(as) == 0 {
		return c, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS stage_alert_ids (alert_id VARCHAR);
		DELETE FROM stage_alert_ids`); err != nil {
		return c, fmt.Errorf("prepare staging: %w", err)
	}
	if err := s.appendRows(ctx, "temp", "stage_alert_ids", func(a *duckdb.Appender) error {
		for _, f := range as {
			if err := a.AppendRow(f.ID); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return c, fmt.Errorf("stage alert ids: %w", err)
	}
	rows, err := s.conn.QueryContext(ctx, `SELECT * FROM (`+store.AlertsQuery+`)
		WHERE alert_id IN (SELECT alert_id FROM stage_alert_ids)`)
	if err != nil {
		return c, fmt.Errorf("read known alerts: %w", err)
	}
	known, err := store.ScanAlerts(rows)
	rows.Close()
	if err != nil {
		return c, err
	}
	byID := make(map[string]*alert.Alert, len(known))
	for i := range known {
		byID[known[i].ID] = &known[i]
	}
	var changed []*alert.Alert // in the order first changed
	seen := map[string]bool{}
	for _, f := range as {
		a, ok := byID[f.ID]
		switch {
		case !ok:
			c.Opened++
			opened := alert.Open(f)
			a = &opened
			byID[f.ID] = a
		case a.Apply(f):
			c.Updated++
		default:
			continue
		}
		if !seen[a.ID] {
			seen[a.ID] = true
			changed = append(changed, a)
		}
	}
	if len(changed) == 0 {
		return c, nil
	}
	return c, s.writeAlerts(ctx, changed)
}

// writeAlerts replaces the stored alerts by as, in one transaction.
func (s *Store) writeAlerts(ctx context.Context, as []*alert.Alert) error {
	if err := s.stage(ctx, "stage_alerts", "alerts"); err != nil {
		return err
	}
	if err := s.appendRows(ctx, "temp", "stage_alerts", func(ap *duckdb.Appender) error {
		for _, a := range as {
			detail, _ := json.Marshal(a.Detail) // a map[string]string always marshals
			if err := ap.AppendRow(a.ID, a.RuleID, a.Title, a.Severity, alert.GroupJSON(a.Group),
				a.FirstSeen.UTC(), a.LastSeen.UTC(), a.Count, a.Events, string(detail), a.Status, a.UpdatedAt.UTC(),
				store.IdentityJSON(a.Identity), store.HistoryJSON(a.History)); err != nil {
				return fmt.Errorf("alert %s: %w", a.ID, err)
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("stage alerts: %w", err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM alerts WHERE alert_id IN (SELECT alert_id FROM stage_alerts)`); err != nil {
			return fmt.Errorf("write alerts: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alerts SELECT * FROM stage_alerts`); err != nil {
			return fmt.Errorf("write alerts: %w", err)
		}
		return nil
	})
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

// FindAlerts implements store.Store.
func (s *Store) FindAlerts(ctx context.Context, f store.AlertFilter) ([]alert.Alert, error) {
	q, args := store.AlertsWhere(f, "alerts")
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	defer rows.Close()
	return store.ScanAlerts(rows)
}

// MoveAlerts implements store.Store.
func (s *Store) MoveAlerts(ctx context.Context, f store.AlertFilter, t alert.Transition) ([]alert.Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, args := store.AlertsWhere(f, "alerts")
	rows, err := s.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	as, err := store.ScanAlerts(rows)
	rows.Close()
	if err != nil {
		return nil, err
	}
	moved, changed, err := store.MoveEach(as, t)
	if err != nil || len(moved) == 0 {
		return moved, err
	}
	if err := s.writeAlerts(ctx, changed); err != nil {
		return nil, err
	}
	return moved, nil
}
