package store

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/ipscope"
)

// FixtureRow returns the columns and values of row i of a LoadRows call on
// table, columns sorted, completed as a real write would have filled them:
// network_events and sightings rows without an event_id get one hashed from
// their values; indicators without an id get the deterministic one a feed
// load would give them; network events without an end_time end when they
// start; the *_scope columns a row does not give are the scope of its
// address, as ingest writes them (ipscope.Text); endpoint_states,
// vpn_sessions and http_events rows without an id get one hashed from their values. It fails for a table that
// is not in Tables.
func FixtureRow(table string, i int, row map[string]any) ([]string, []any, error) {
	if err := CheckTable(table); err != nil {
		return nil, nil, err
	}
	cols := make([]string, 0, len(row)+2)
	for c := range row {
		cols = append(cols, c)
	}
	slices.Sort(cols)
	vals := make([]any, 0, len(cols)+2)
	for _, c := range cols {
		vals = append(vals, row[c])
	}
	for _, sc := range scopeColumns[table] {
		if _, ok := row[sc.scope]; !ok {
			cols = append(cols, sc.scope)
			vals = append(vals, fixtureScope(row[sc.addr]))
		}
	}
	if _, ok := row["id"]; !ok && (table == "endpoint_states" || table == "vpn_sessions" || table == "http_events" || table == "vpn_intervals") {
		cols = append(cols, "id")
		vals = append(vals, event.NewID("fixture", fmt.Appendf(nil, "%s %d %v", table, i, vals)).String())
	}
	if _, ok := row["event_id"]; !ok && (table == "network_events" || table == "sightings") {
		cols = append(cols, "event_id")
		vals = append(vals, event.NewID("fixture", fmt.Appendf(nil, "%s %d %v", table, i, vals)).String())
	}
	if _, ok := row["id"]; !ok && table == "indicators" {
		feed, _ := row["feed"].(string)
		value, _ := row["value"].(string)
		typ, _ := row["type"].(string)
		if typ == "" {
			typ = event.IndicatorIP
		}
		cols = append(cols, "id")
		vals = append(vals, event.IndicatorID(feed, typ, value))
	}
	if _, ok := row["built_at"]; !ok && table == "vpn_intervals" { // NOT NULL, no default: rules never read it
		cols = append(cols, "built_at")
		vals = append(vals, time.Unix(0, 0).UTC())
	}
	if t, ok := row["time"]; ok && table == "network_events" && row["end_time"] == nil {
		cols = append(cols, "end_time")
		vals = append(vals, t)
	}
	return cols, vals, nil
}

// scopeColumns are the columns of each table that hold the scope of an
// address column, written at ingest.
var scopeColumns = map[string][]struct{ addr, scope string }{
	"network_events":  {{"src_ip", "src_scope"}, {"dst_ip", "dst_scope"}},
	"endpoint_states": {{"address", "address_scope"}},
	"vpn_sessions":    {{"remote_ip", "remote_scope"}, {"assigned_ip", "assigned_scope"}},
	"http_events":     {{"src_ip", "src_scope"}, {"dst_ip", "dst_scope"}},
}

// fixtureScope is the scope of a fixture's address value: "" when it has
// none or it is not an address.
func fixtureScope(v any) string {
	s, ok := v.(string)
	if !ok {
		return ""
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	return ipscope.Text(a)
}

// CheckTable fails unless table is one of Tables.
func CheckTable(table string) error {
	if !slices.Contains(Tables, table) {
		return fmt.Errorf("unknown table %q (one of %s)", table, strings.Join(Tables, ", "))
	}
	return nil
}

// AddrText is an address in the canonical text every engine stores; "" when
// the source had none.
func AddrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}

// Rows is what both engines' drivers return for a query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// EachAddr calls fn with the address of every row of rows, one text column
// each, skipping the "" of events without one: the EventAddresses loop of
// every engine.
func EachAddr(rows Rows, fn func(netip.Addr) error) error {
	var text string
	for rows.Next() {
		if err := rows.Scan(&text); err != nil {
			return fmt.Errorf("read event addresses: %w", err)
		}
		a, err := netip.ParseAddr(text)
		if err != nil {
			continue // "" where an event had no address
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EachString calls fn with the text of every row of rows, one text column
// each, and returns fn's first error as it is: the HTTPNames loop of every
// engine. A failure to read says it was reading what.
func EachString(rows Rows, what string, fn func(string) error) error {
	var text string
	for rows.Next() {
		if err := rows.Scan(&text); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		if err := fn(text); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// MinTime returns the earlier of a and b.
func MinTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// MaxTime returns the later of a and b.
func MaxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
