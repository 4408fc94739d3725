package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// WriteIndicators implements store.Store: new ids are added; known ids whose
// content changed are refreshed (first_seen only ever moves back, last_seen
// only forward); the rest are unchanged.
func (s *Store) WriteIndicators(ctx context.Context, ins []event.Indicator) (store.IndicatorCounts, error) {
	var c store.IndicatorCounts
	if len(ins) == 0 {
		return c, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stage(ctx, "stage_indicators", "indicators"); err != nil {
		return c, err
	}
	now := store.Now()
	seq, err := s.nextLoadSeq(ctx)
	if err != nil {
		return c, err
	}
	seen := make(map[string]struct{}, len(ins))
	err = s.appendRows(ctx, "temp", "stage_indicators", func(a *duckdb.Appender) error {
		for _, in := range ins {
			if _, dup := seen[in.ID]; dup {
				continue
			}
			seen[in.ID] = struct{}{}
			fields := in.Fields
			if fields == "" {
				fields = "{}"
			}
			if err := a.AppendRow(in.ID, in.Type, in.Value, in.Feed, in.Threat, int32(in.Confidence),
				event.SecondsUTC(in.FirstSeen), event.SecondsUTC(in.LastSeen), boolInt(in.Active), fields, now, seq); err != nil {
				return fmt.Errorf("indicator %s %q: %w", in.Type, in.Value, err)
			}
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("stage indicators: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE indicators AS i SET
				threat = s.threat, confidence = s.confidence, active = s.active, fields = s.fields,
				first_seen = least(i.first_seen, s.first_seen), last_seen = greatest(i.last_seen, s.last_seen),
				loaded_at = s.loaded_at, load_seq = s.load_seq
			FROM stage_indicators AS s
			WHERE i.id = s.id AND (i.threat <> s.threat OR i.confidence <> s.confidence OR i.active <> s.active
				OR i.fields <> s.fields OR s.first_seen < i.first_seen OR s.last_seen > i.last_seen)`)
		if err != nil {
			return fmt.Errorf("refresh indicators: %w", err)
		}
		c.Updated = rowsAffected(res)
		res, err = tx.ExecContext(ctx, `INSERT INTO indicators SELECT * FROM stage_indicators
			WHERE id NOT IN (SELECT id FROM indicators)`)
		if err != nil {
			return fmt.Errorf("add indicators: %w", err)
		}
		c.Added = rowsAffected(res)
		return nil
	})
	c.Unchanged = len(seen) - c.Added - c.Updated
	return c, err
}

// Indicators implements store.Store.
func (s *Store) Indicators(ctx context.Context, active bool) ([]event.Indicator, error) {
	rows, err := s.db.QueryContext(ctx, store.IndicatorsQuery(active))
	if err != nil {
		return nil, fmt.Errorf("read indicators: %w", err)
	}
	defer rows.Close()
	return store.ScanIndicators(rows)
}

// WriteSightings implements store.Store.
func (s *Store) WriteSightings(ctx context.Context, ss []event.Sighting) (int, error) {
	if len(ss) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stage(ctx, "stage_sightings", "sightings"); err != nil {
		return 0, err
	}
	now := store.Now()
	err := s.appendRows(ctx, "temp", "stage_sightings", func(a *duckdb.Appender) error {
		for _, x := range ss {
			if err := a.AppendRow(duckdb.UUID(x.EventID), x.IndicatorID, event.SecondsUTC(x.Time),
				store.AddrText(x.MatchedIP), store.AddrText(x.PeerIP), int32(x.PeerPort), int32(x.Port),
				x.Protocol, x.Source, now, x.Action, boolInt(x.PeerIsSource)); err != nil {
				return fmt.Errorf("append sighting: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stage sightings: %w", err)
	}
	return s.insertNewSightings(ctx, `SELECT * FROM stage_sightings`)
}

// insertNewSightings inserts the sightings that query yields, once per event
// and indicator, skipping those already stored, and records the spans of
// their times as an ingest (see store.IngestSpan), in one transaction.
func (s *Store) insertNewSightings(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := s.inWriteTx(ctx, func() error {
		rows, err := s.conn.QueryContext(ctx, `INSERT INTO sightings
			SELECT DISTINCT ON (n.event_id, n.indicator_id) n.* FROM (`+query+`) AS n
			WHERE NOT EXISTS (SELECT 1 FROM sightings AS x WHERE x.event_id = n.event_id AND x.indicator_id = n.indicator_id)
			RETURNING time`, args...)
		if err != nil {
			return fmt.Errorf("insert sightings: %w", err)
		}
		defer rows.Close()
		var (
			t     time.Time
			spans store.SpanBuilder
		)
		for rows.Next() {
			if err := rows.Scan(&t); err != nil {
				return fmt.Errorf("insert sightings: %w", err)
			}
			spans.Add(t)
			n++
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("insert sightings: %w", err)
		}
		rows.Close()
		return s.recordIngest(context.WithoutCancel(ctx), spans.Spans("sightings"))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// EventAddresses implements store.Store.
func (s *Store) EventAddresses(ctx context.Context, fn func(netip.Addr) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT src_ip FROM network_events UNION SELECT dst_ip FROM network_events
		UNION SELECT dst_ip FROM http_events`)
	if err != nil {
		return fmt.Errorf("read event addresses: %w", err)
	}
	defer rows.Close()
	return store.EachAddr(rows, fn)
}

// SightingsFromMatches implements store.Store.
func (s *Store) SightingsFromMatches(ctx context.Context, ms []store.AddrMatch, source string) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS stage_matches (ip VARCHAR, indicator_id VARCHAR);
		DELETE FROM stage_matches`); err != nil {
		return 0, fmt.Errorf("prepare staging: %w", err)
	}
	err := s.appendRows(ctx, "temp", "stage_matches", func(a *duckdb.Appender) error {
		for _, m := range ms {
			if err := a.AppendRow(store.AddrText(m.Addr), m.IndicatorID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stage matches: %w", err)
	}
	now := store.Now()
	return s.insertNewSightings(ctx, `
		SELECT e.event_id, m.indicator_id, e.time, e.src_ip AS matched_ip, e.dst_ip AS peer_ip,
			e.dst_port AS peer_port, e.src_port AS port, e.protocol, ? AS source, ? AS found_at,
			e.action, 0 AS peer_is_src
		FROM network_events AS e JOIN stage_matches AS m ON e.src_ip = m.ip
		UNION ALL
		SELECT e.event_id, m.indicator_id, e.time, e.dst_ip, e.src_ip, e.src_port, e.dst_port, e.protocol, ?, ?,
			e.action, 1
		FROM network_events AS e JOIN stage_matches AS m ON e.dst_ip = m.ip
		UNION ALL
		SELECT e.id, m.indicator_id, e.time, e.dst_ip, e.src_ip, e.src_port, e.dst_port, '`+store.ProxyProtocol+`', ?, ?,
			`+proxyAction+`, 1
		FROM http_events AS e JOIN stage_matches AS m ON e.dst_ip = m.ip`, source, now, source, now, source, now)
}

// stage (re)creates an empty temporary table shaped like table.
func (s *Store) stage(ctx context.Context, name, table string) error {
	if _, err := s.conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+name+` AS SELECT * FROM `+table+` LIMIT 0;
		DELETE FROM `+name); err != nil {
		return fmt.Errorf("prepare staging for %s: %w", table, err)
	}
	return nil
}

func rowsAffected(res sql.Result) int {
	n, _ := res.RowsAffected() // DuckDB always reports it
	return int(n)
}
