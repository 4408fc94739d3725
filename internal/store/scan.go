package store

import (
	"encoding/json"
	"fmt"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/event"
)

// The queries and row scans every engine shares: the tables have the same
// columns on each, and both drivers scan into the same Go types.

// IndicatorColumns are the indicators columns ScanIndicator reads, in order.
const IndicatorColumns = "id, type, value, feed, threat, confidence, first_seen, last_seen, active, fields"

// ScanIndicator reads a row of IndicatorColumns.
func ScanIndicator(row interface{ Scan(...any) error }) (event.Indicator, error) {
	var in event.Indicator
	var conf int32
	var act uint8
	if err := row.Scan(&in.ID, &in.Type, &in.Value, &in.Feed, &in.Threat, &conf,
		&in.FirstSeen, &in.LastSeen, &act, &in.Fields); err != nil {
		return in, err
	}
	in.Confidence, in.Active = int(conf), act == 1
	in.FirstSeen, in.LastSeen = in.FirstSeen.UTC(), in.LastSeen.UTC()
	return in, nil
}

// IndicatorsQuery lists the indicators (only the active ones if active) as
// Store.Indicators returns them; ScanIndicators reads its rows.
func IndicatorsQuery(active bool) string {
	q := "SELECT " + IndicatorColumns + " FROM indicators"
	if active {
		q += " WHERE active = 1"
	}
	return q + " ORDER BY id"
}

// ScanIndicators reads every row of IndicatorsQuery.
func ScanIndicators(rows Rows) ([]event.Indicator, error) {
	var out []event.Indicator
	for rows.Next() {
		in, err := ScanIndicator(rows)
		if err != nil {
			return nil, fmt.Errorf("read indicators: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// AlertsQuery lists the alerts as Store.Alerts returns them, the most
// recently seen first; ScanAlerts reads its rows.
const AlertsQuery = `SELECT ` + alertColumnList + ` FROM alerts ORDER BY last_seen DESC, alert_id`

// ScanAlerts reads every row of AlertsQuery.
func ScanAlerts(rows Rows) ([]alert.Alert, error) {
	var out []alert.Alert
	for rows.Next() {
		a, err := ScanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ScanAlert reads the current row of AlertsQuery (or AlertsWhere), and
// into extra the columns after the alert's.
func ScanAlert(rows Rows, extra ...any) (alert.Alert, error) {
	var a alert.Alert
	var group, detail, ident, history string
	dest := append([]any{&a.ID, &a.RuleID, &a.Title, &a.Severity, &group, &a.FirstSeen, &a.LastSeen,
		&a.Count, &a.Events, &detail, &a.Status, &a.UpdatedAt, &ident, &history}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return a, fmt.Errorf("read alerts: %w", err)
	}
	a.FirstSeen, a.LastSeen, a.UpdatedAt = a.FirstSeen.UTC(), a.LastSeen.UTC(), a.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(group), &a.Group); err != nil {
		return a, fmt.Errorf("alert %s: group: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(detail), &a.Detail); err != nil {
		return a, fmt.Errorf("alert %s: detail: %w", a.ID, err)
	}
	var err error
	if a.Identity, err = ParseIdentity(ident); err != nil {
		return a, fmt.Errorf("alert %s: %w", a.ID, err)
	}
	if a.History, err = ParseHistory(history); err != nil {
		return a, fmt.Errorf("alert %s: %w", a.ID, err)
	}
	return a, nil
}
