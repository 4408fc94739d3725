package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/homesoc/homesoc/internal/event"
)

// insertColumns inserts rows into table, given column by column: cols names
// the columns (an INSERT always names them, so a column added later takes
// its default), values holds a slice per column, all of one length.
func (s *Store) insertColumns(ctx context.Context, table, cols string, values ...any) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+cols+")")
	if err != nil {
		return err
	}
	defer batch.Close()
	for i, v := range values {
		if err := batch.Column(i).Append(v); err != nil {
			return fmt.Errorf("column %d of %s: %w", i+1, table, err)
		}
	}
	return batch.Send()
}

// withTables returns ctx carrying external tables for the query run with it.
func withTables(ctx context.Context, ts ...*ext.Table) context.Context {
	return ch.Context(ctx, ch.WithExternalTable(ts...))
}

// cutSpace splits "name Type" at its first space.
func cutSpace(s string) (before, after string, found bool) {
	return strings.Cut(s, " ")
}

// boolInt is a flag as the 0/1 every engine stores.
func boolInt(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// storedTime is t as a DateTime column keeps it: UTC, whole seconds, within
// the range the type holds (from the epoch, which stands for "none").
func storedTime(t time.Time) time.Time {
	t = event.SecondsUTC(t)
	if t.Unix() < 0 {
		return time.Unix(0, 0).UTC()
	}
	if t.Unix() > 1<<32-1 {
		return time.Unix(1<<32-1, 0).UTC()
	}
	return t
}

// dateTime is t as a DateTime value: seconds since the epoch, within the
// type's range.
func dateTime(t time.Time) uint32 {
	return uint32(storedTime(t).Unix())
}
