package duckdb

import (
	"context"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/store"
)

// proxyAction is store.ProxyAction in SQL, over http_events AS e.
const proxyAction = `CASE WHEN strpos(e.action, 'DENIED') > 0 THEN 'deny' ELSE 'allow' END`

// HTTPNames implements store.Store.
func (s *Store) HTTPNames(ctx context.Context, fn func(string) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT host FROM http_events WHERE host <> ''
		UNION SELECT url FROM http_events WHERE url <> ''`)
	if err != nil {
		return fmt.Errorf("read proxy names: %w", err)
	}
	defer rows.Close()
	return store.EachString(rows, "proxy names", fn)
}

// SightingsFromNames implements store.Store: the matched names are staged
// and joined back to the requests that carry them, by host and by URL, in
// one statement; a request matched both ways is one sighting.
func (s *Store) SightingsFromNames(ctx context.Context, ms []store.NameMatch, source string) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS stage_names (name VARCHAR, indicator_id VARCHAR);
		DELETE FROM stage_names`); err != nil {
		return 0, fmt.Errorf("prepare staging: %w", err)
	}
	err := s.appendRows(ctx, "temp", "stage_names", func(a *duckdb.Appender) error {
		for _, m := range ms {
			if err := a.AppendRow(m.Name, m.IndicatorID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stage name matches: %w", err)
	}
	now := store.Now()
	const sel = `SELECT e.id AS event_id, m.indicator_id, e.time, e.dst_ip, e.src_ip, e.src_port, e.dst_port, '` +
		store.ProxyProtocol + `', ?, ?, ` + proxyAction + `, 1 FROM http_events AS e JOIN stage_names AS m ON `
	return s.insertNewSightings(ctx, sel+`e.host = m.name UNION ALL `+sel+`e.url = m.name`, source, now, source, now)
}
