package clickhouse

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// indicatorColumns are the columns of an indicator version.
const indicatorColumns = "id, type, value, feed, threat, confidence, first_seen, last_seen, active, fields, loaded_at, version"

// WriteIndicators implements store.Store: new ids are added; known ids whose
// content changed are refreshed (first_seen only ever moves back, last_seen
// only forward) by a new version of their row; the rest are unchanged.
func (s *Store) WriteIndicators(ctx context.Context, ins []event.Indicator) (store.IndicatorCounts, error) {
	var c store.IndicatorCounts
	if len(ins) == 0 {
		return c, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[string]struct{}, len(ins))
	uniq := make([]event.Indicator, 0, len(ins))
	ids := make([]string, 0, len(ins))
	for _, in := range ins {
		if _, dup := seen[in.ID]; dup {
			continue
		}
		seen[in.ID] = struct{}{}
		if in.Fields == "" {
			in.Fields = "{}"
		}
		in.FirstSeen, in.LastSeen = storedTime(in.FirstSeen), storedTime(in.LastSeen)
		uniq = append(uniq, in)
		ids = append(ids, in.ID)
	}
	known, err := s.knownIndicators(ctx, ids)
	if err != nil {
		return c, fmt.Errorf("read known indicators: %w", err)
	}
	var rows indicatorRows
	now := store.Now()
	for _, in := range uniq {
		old, ok := known[in.ID]
		switch {
		case !ok:
			c.Added++
		case old.Threat != in.Threat || old.Confidence != in.Confidence || old.Active != in.Active ||
			old.Fields != in.Fields || in.FirstSeen.Before(old.FirstSeen) || in.LastSeen.After(old.LastSeen):
			c.Updated++
			in.Type, in.Value, in.Feed = old.Type, old.Value, old.Feed
			in.FirstSeen, in.LastSeen = store.MinTime(old.FirstSeen, in.FirstSeen), store.MaxTime(old.LastSeen, in.LastSeen)
		default:
			c.Unchanged++
			continue
		}
		rows.add(in, now, s.nextVersion(0))
	}
	if len(rows.ids) == 0 {
		return c, nil
	}
	if err := s.insertColumns(ctx, "indicator_versions", indicatorColumns, rows.ids, rows.types, rows.values,
		rows.feeds, rows.threats, rows.confidences, rows.firstSeen, rows.lastSeen, rows.active, rows.fields,
		rows.loadedAt, rows.versions); err != nil {
		return store.IndicatorCounts{}, fmt.Errorf("write indicators: %w", err)
	}
	return c, nil
}

// indicatorRows are indicator versions to insert, column by column.
type indicatorRows struct {
	ids, types, values, feeds, threats, fields []string
	confidences                                []int32
	firstSeen, lastSeen, loadedAt              []int64
	active                                     []uint8
	versions                                   []uint64
}

func (r *indicatorRows) add(in event.Indicator, loadedAt time.Time, version uint64) {
	r.ids, r.types, r.values, r.feeds = append(r.ids, in.ID), append(r.types, in.Type), append(r.values, in.Value), append(r.feeds, in.Feed)
	r.threats, r.confidences = append(r.threats, in.Threat), append(r.confidences, int32(in.Confidence))
	r.firstSeen, r.lastSeen = append(r.firstSeen, in.FirstSeen.Unix()), append(r.lastSeen, in.LastSeen.Unix())
	r.active, r.fields = append(r.active, boolInt(in.Active)), append(r.fields, in.Fields)
	r.loadedAt, r.versions = append(r.loadedAt, loadedAt.Unix()), append(r.versions, version)
}

// knownIndicators returns the latest versions of the stored indicators among
// ids, by id.
func (s *Store) knownIndicators(ctx context.Context, ids []string) (map[string]event.Indicator, error) {
	batch, err := externalTable("_batch", []string{"id String"}, ids)
	if err != nil {
		return nil, err
	}
	// The versions table, not the view: the filter on its sorting key then
	// reads only the granules of these ids.
	rows, err := s.conn.Query(withTables(ctx, batch), `SELECT `+store.IndicatorColumns+` FROM indicator_versions FINAL WHERE id `+s.in()+` _batch`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	known := make(map[string]event.Indicator)
	for rows.Next() {
		in, err := store.ScanIndicator(rows)
		if err != nil {
			return nil, err
		}
		known[in.ID] = in
	}
	return known, rows.Err()
}

// Indicators implements store.Store.
func (s *Store) Indicators(ctx context.Context, active bool) ([]event.Indicator, error) {
	rows, err := s.conn.Query(ctx, store.IndicatorsQuery(active))
	if err != nil {
		return nil, fmt.Errorf("read indicators: %w", err)
	}
	defer rows.Close()
	return store.ScanIndicators(rows)
}

// sighting is a sightings row as stored.
type sighting struct {
	eventID                  uuid.UUID
	indicatorID              string
	time                     int64
	matchedIP, peerIP        string
	peerPort, port           int32
	protocol, source, action string
	peerIsSrc                uint8
}

// sightingKey identifies a sighting.
type sightingKey struct {
	eventID     uuid.UUID
	indicatorID string
}

// WriteSightings implements store.Store.
func (s *Store) WriteSightings(ctx context.Context, ss []event.Sighting) (int, error) {
	if len(ss) == 0 {
		return 0, nil
	}
	rows := make([]sighting, len(ss))
	for i, x := range ss {
		rows[i] = sighting{eventID: uuid.UUID(x.EventID), indicatorID: x.IndicatorID, time: storedTime(x.Time).Unix(),
			matchedIP: store.AddrText(x.MatchedIP), peerIP: store.AddrText(x.PeerIP), peerPort: int32(x.PeerPort), port: int32(x.Port),
			protocol: x.Protocol, source: x.Source, action: x.Action, peerIsSrc: boolInt(x.PeerIsSource)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.insertNewSightings(ctx, rows)
}

// insertNewSightings inserts rows, once per event and indicator (the first
// of repeats), skipping those already stored, and returns how many it
// inserted. A sighting's time is its event's, so a stored one lies in the
// time range of rows.
func (s *Store) insertNewSightings(ctx context.Context, rows []sighting) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	fresh := make(map[sightingKey]struct{}, len(rows))
	var ids []uuid.UUID
	var indicators []string
	uniq := rows[:0:0]
	lo, hi := rows[0].time, rows[0].time
	for _, r := range rows {
		k := sightingKey{r.eventID, r.indicatorID}
		if _, dup := fresh[k]; dup {
			continue
		}
		fresh[k] = struct{}{}
		uniq = append(uniq, r)
		ids, indicators = append(ids, r.eventID), append(indicators, r.indicatorID)
		lo, hi = min(lo, r.time), max(hi, r.time)
	}
	batch, err := externalTable("_batch", []string{"event_id UUID", "indicator_id String"}, ids, indicators)
	if err != nil {
		return 0, fmt.Errorf("find stored sightings: %w", err)
	}
	res, err := s.conn.Query(withTables(ctx, batch), `SELECT event_id, indicator_id FROM `+s.layout().stored("sightings")+`
		WHERE time BETWEEN ? AND ? AND (event_id, indicator_id) `+s.in()+` _batch`,
		time.Unix(lo, 0).UTC(), time.Unix(hi, 0).UTC())
	if err != nil {
		return 0, fmt.Errorf("find stored sightings: %w", err)
	}
	defer res.Close()
	for res.Next() {
		var k sightingKey
		if err := res.Scan(&k.eventID, &k.indicatorID); err != nil {
			return 0, fmt.Errorf("find stored sightings: %w", err)
		}
		delete(fresh, k)
	}
	if err := res.Err(); err != nil {
		return 0, fmt.Errorf("find stored sightings: %w", err)
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	n := len(fresh)
	var (
		eventIDs                     = make([]uuid.UUID, 0, n)
		times, found                 = make([]int64, 0, n), make([]int64, 0, n)
		indicatorIDs, matched, peers = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		peerPorts, ports             = make([]int32, 0, n), make([]int32, 0, n)
		protocols, sources, actions  = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		peerIsSrc                    = make([]uint8, 0, n)
		now                          = store.Now().Unix()
	)
	for _, r := range uniq {
		if _, ok := fresh[sightingKey{r.eventID, r.indicatorID}]; !ok {
			continue
		}
		eventIDs, indicatorIDs, times = append(eventIDs, r.eventID), append(indicatorIDs, r.indicatorID), append(times, r.time)
		matched, peers = append(matched, r.matchedIP), append(peers, r.peerIP)
		peerPorts, ports = append(peerPorts, r.peerPort), append(ports, r.port)
		protocols, sources, found = append(protocols, r.protocol), append(sources, r.source), append(found, now)
		actions, peerIsSrc = append(actions, r.action), append(peerIsSrc, r.peerIsSrc)
	}
	if err := s.insertColumns(ctx, s.layout().stored("sightings"), `event_id, indicator_id, time, matched_ip, peer_ip, peer_port,
		port, protocol, source, found_at, action, peer_is_src`, eventIDs, indicatorIDs, times, matched, peers,
		peerPorts, ports, protocols, sources, found, actions, peerIsSrc); err != nil {
		return 0, fmt.Errorf("insert sightings: %w", err)
	}
	return n, s.recordIngest(ctx, sightingSpans(uniq, func(r *sighting) bool {
		_, ok := fresh[sightingKey{r.eventID, r.indicatorID}]
		return ok
	}))
}

// EventAddresses implements store.Store.
func (s *Store) EventAddresses(ctx context.Context, fn func(netip.Addr) error) error {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT a FROM (SELECT arrayJoin([src_ip, dst_ip]) AS a FROM network_events
		UNION ALL SELECT dst_ip AS a FROM http_events)`)
	if err != nil {
		return fmt.Errorf("read event addresses: %w", err)
	}
	defer rows.Close()
	return store.EachAddr(rows, fn)
}

// SightingsFromMatches implements store.Store. The events that carry a
// matched address come back to Go, which pairs them with the indicators of
// their addresses (source side first, as DuckDB's UNION ALL lists it): one
// query, no JOIN to spell for 18.16 and for a cluster.
func (s *Store) SightingsFromMatches(ctx context.Context, ms []store.AddrMatch, source string) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	byIP := make(map[string][]string)
	var ips []string
	for _, m := range ms {
		ip := store.AddrText(m.Addr)
		if _, ok := byIP[ip]; !ok {
			ips = append(ips, ip)
		}
		byIP[ip] = append(byIP[ip], m.IndicatorID)
	}
	batch, err := externalTable("_ips", []string{"ip String"}, ips)
	if err != nil {
		return 0, fmt.Errorf("stage matches: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.in()
	res, err := s.conn.Query(withTables(ctx, batch), `SELECT event_id, time, src_ip, dst_ip, src_port, dst_port,
		protocol, action FROM network_events WHERE src_ip `+in+` _ips OR dst_ip `+in+` _ips`)
	if err != nil {
		return 0, fmt.Errorf("find events of matches: %w", err)
	}
	defer res.Close()
	var rows []sighting
	for res.Next() {
		var e struct {
			id               uuid.UUID
			t                time.Time
			src, dst         string
			sport, dport     int32
			protocol, action string
		}
		if err := res.Scan(&e.id, &e.t, &e.src, &e.dst, &e.sport, &e.dport, &e.protocol, &e.action); err != nil {
			return 0, fmt.Errorf("find events of matches: %w", err)
		}
		for _, ind := range byIP[e.src] {
			rows = append(rows, sighting{eventID: e.id, indicatorID: ind, time: e.t.Unix(), matchedIP: e.src,
				peerIP: e.dst, peerPort: e.dport, port: e.sport, protocol: e.protocol, source: source, action: e.action})
		}
		for _, ind := range byIP[e.dst] {
			rows = append(rows, sighting{eventID: e.id, indicatorID: ind, time: e.t.Unix(), matchedIP: e.dst,
				peerIP: e.src, peerPort: e.sport, port: e.dport, protocol: e.protocol, source: source, action: e.action,
				peerIsSrc: 1})
		}
	}
	if err := res.Err(); err != nil {
		return 0, fmt.Errorf("find events of matches: %w", err)
	}
	res.Close()
	rows, err = s.proxySightings(ctx, batch, "dst_ip "+in+" _ips", func(dst, _, _ string) [][]string {
		return [][]string{byIP[dst]}
	}, source, rows)
	if err != nil {
		return 0, fmt.Errorf("find proxy events of matches: %w", err)
	}
	return s.insertNewSightings(ctx, rows)
}
