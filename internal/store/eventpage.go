package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventCursor is where a page of events ended: the time and event_id of
// its last (oldest) event. The next page holds the events after it in
// EventPageQuery's order, so events stored between two page reads are
// never read twice and never push a stored one off the pages: an event
// newer than the cursor is on no later page, an older one on a later page.
type EventCursor struct {
	Time    time.Time
	EventID string // a UUID, as the engines return event_id
}

// EventPageQueries returns the queries of one page of f's events after c
// (nil: the first page) on dialect's engine ("duckdb" or "clickhouse"), for
// Store.Query: the events, every column, the most recent first (time, then
// event_id, which no two events share), at most f.Limit of them; and the
// count of all of f's events. Values are written into the SQL as the
// engine's literals, as Query takes no arguments. It fails on an event id
// that is not a UUID.
func (f EventFilter) EventPageQueries(dialect string, c *EventCursor) (events, count string, err error) {
	where, args := f.Where()
	where, err = inline(dialect, where, args)
	if err != nil {
		return "", "", err
	}
	count = "SELECT count(*) AS n FROM network_events" + where
	if c != nil {
		id, err := uuidLiteral(dialect, c.EventID)
		if err != nil {
			return "", "", err
		}
		t := timeLiteral(c.Time)
		after := fmt.Sprintf("(time < %s OR (time = %s AND event_id < %s))", t, t, id)
		if where == "" {
			where = " WHERE " + after
		} else {
			where += " AND " + after
		}
	}
	events = "SELECT * FROM network_events" + where + " ORDER BY time DESC, event_id DESC"
	if f.Limit > 0 {
		events += " LIMIT " + strconv.Itoa(f.Limit)
	}
	return events, count, nil
}

// inline replaces each ? of where with its argument as a literal.
func inline(dialect, where string, args []any) (string, error) {
	var b strings.Builder
	for _, a := range args {
		i := strings.IndexByte(where, '?')
		if i < 0 {
			return "", fmt.Errorf("event filter: %d arguments for fewer placeholders", len(args))
		}
		b.WriteString(where[:i])
		where = where[i+1:]
		switch v := a.(type) {
		case time.Time:
			b.WriteString(timeLiteral(v))
		case string:
			b.WriteString(stringLiteral(dialect, v))
		case int32:
			b.WriteString(strconv.Itoa(int(v)))
		case int:
			b.WriteString(strconv.Itoa(v))
		default:
			return "", fmt.Errorf("event filter: no literal for %T", a)
		}
	}
	b.WriteString(where)
	return b.String(), nil
}

// timeLiteral is t as both engines compare text with a timestamp column:
// 'YYYY-MM-DD hh:mm:ss', UTC, at the stores' resolution.
func timeLiteral(t time.Time) string {
	return "'" + storedTime(t).Format(time.DateTime) + "'"
}

// stringLiteral quotes s for dialect: DuckDB doubles quotes and keeps
// backslashes as they are; ClickHouse reads backslash escapes.
func stringLiteral(dialect, s string) string {
	if dialect == "clickhouse" {
		s = strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
		return "'" + s + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// uuidLiteral is id as dialect compares it with a UUID column, once it
// is known to be a UUID (so that it needs no quoting).
func uuidLiteral(dialect, id string) (string, error) {
	if !isUUID(id) {
		return "", fmt.Errorf("event id %q is not a UUID", id)
	}
	if dialect == "clickhouse" {
		return "toUUID('" + id + "')", nil
	}
	return "CAST('" + id + "' AS UUID)", nil
}

// isUUID reports whether s is a UUID in its canonical text form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range []byte(s) {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
