package store

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// EventFilter selects stored network events; its zero value selects all of
// them (with no limit).
type EventFilter struct {
	Since, Until time.Time  // events at or after Since and before Until; zero: unbounded
	Src, Dst     netip.Addr // the source or destination address; invalid: any
	Port         uint16     // either side's port; 0: any
	Action       string     // e.g. drop, allow; "": any
	Limit        int        // at most this many; 0: no limit
}

// Where returns the WHERE clause (with a leading space, "" for none) and
// its ? arguments that select f's events; times and addresses as the
// engines store them.
func (f EventFilter) Where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if !f.Since.IsZero() {
		add("time >= ?", storedTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < ?", storedTime(f.Until))
	}
	if f.Src.IsValid() {
		add("src_ip = ?", AddrText(f.Src))
	}
	if f.Dst.IsValid() {
		add("dst_ip = ?", AddrText(f.Dst))
	}
	if f.Port != 0 {
		add("(src_port = ? OR dst_port = ?)", int32(f.Port), int32(f.Port))
	}
	if f.Action != "" {
		add("action = ?", strings.ToLower(f.Action))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// EventsQueries returns the queries of Store.Events: the events (every
// column, the most recent first; raw breaks ties, as event ids sort
// differently on each engine) and their count, and the arguments of each.
func (f EventFilter) EventsQueries() (events string, eventArgs []any, count string, countArgs []any) {
	where, args := f.Where()
	events = "SELECT * FROM network_events" + where + " ORDER BY time DESC, raw DESC"
	eventArgs = slices.Clone(args)
	if f.Limit > 0 {
		events += " LIMIT ?"
		eventArgs = append(eventArgs, f.Limit)
	}
	return events, eventArgs, "SELECT count(*) FROM network_events" + where, args
}

// storedTime is t as the stores keep times: UTC, whole seconds; a time
// before 1970 (a zero Until) as 1970, where ClickHouse's DateTime starts.
func storedTime(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Second)
	if t.Before(time.Unix(0, 0)) {
		return time.Unix(0, 0).UTC()
	}
	return t
}

// TableSchema describes a table (or view) of a store.
type TableSchema struct {
	Name    string         `json:"name"`
	Kind    string         `json:"kind"` // "table" or "view"
	Columns []ColumnSchema `json:"columns"`
}

// ColumnSchema describes a column: its name, the engine's type and the
// default an omitted value takes ("" for the type's zero).
type ColumnSchema struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Default string `json:"default"`
	Comment string `json:"comment"` // the meaning a migration gave it, if any
}

// SortTables puts ts in Schema's order: the tables of Tables first, in
// that order, then the others by name.
func SortTables(ts []TableSchema) {
	rank := func(name string) int {
		if i := slices.Index(Tables, name); i >= 0 {
			return i
		}
		return len(Tables)
	}
	slices.SortStableFunc(ts, func(a, b TableSchema) int {
		if ra, rb := rank(a.Name), rank(b.Name); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Name, b.Name)
	})
}
