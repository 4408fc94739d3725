package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/google/uuid"

	"github.com/homesoc/homesoc/internal/store"
)

// HTTPNames implements store.Store.
func (s *Store) HTTPNames(ctx context.Context, fn func(string) error) error {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT name FROM (SELECT host AS name FROM http_events
		UNION ALL SELECT url AS name FROM http_events) WHERE name != ''`)
	if err != nil {
		return fmt.Errorf("read proxy names: %w", err)
	}
	defer rows.Close()
	return store.EachString(rows, "proxy names", fn)
}

// SightingsFromNames implements store.Store. The requests whose host or URL
// is a matched name come back to Go, which pairs them with the indicators
// of their names, as SightingsFromMatches does with addresses.
func (s *Store) SightingsFromNames(ctx context.Context, ms []store.NameMatch, source string) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	byName := make(map[string][]string)
	var names []string
	for _, m := range ms {
		if _, ok := byName[m.Name]; !ok {
			names = append(names, m.Name)
		}
		byName[m.Name] = append(byName[m.Name], m.IndicatorID)
	}
	batch, err := externalTable("_names", []string{"name String"}, names)
	if err != nil {
		return 0, fmt.Errorf("stage name matches: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.in()
	rows, err := s.proxySightings(ctx, batch, "host "+in+" _names OR url "+in+" _names",
		func(_, host, url string) [][]string { return [][]string{byName[host], byName[url]} }, source, nil)
	if err != nil {
		return 0, fmt.Errorf("find proxy events of matches: %w", err)
	}
	return s.insertNewSightings(ctx, rows)
}

// proxySightings appends to rows the sightings of the http_events that
// where selects (with the external table t): for each request, one per
// indicator of the lists that indicators gives for its server address,
// host and URL. The sighting's shape is intel's for proxy requests: the
// client is the peer and initiated (peer_is_src = 1), the action is
// store.ProxyAction of the proxy's verdict.
func (s *Store) proxySightings(ctx context.Context, t *ext.Table, where string,
	indicators func(dst, host, url string) [][]string, source string, rows []sighting) ([]sighting, error) {
	res, err := s.conn.Query(withTables(ctx, t), `SELECT id, time, src_ip, dst_ip, src_port, dst_port,
		host, url, action FROM http_events WHERE `+where)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	for res.Next() {
		var (
			id                     uuid.UUID
			tm                     time.Time
			src, dst               string
			sport, dport           int32
			host, url, proxyAction string
		)
		if err := res.Scan(&id, &tm, &src, &dst, &sport, &dport, &host, &url, &proxyAction); err != nil {
			return nil, err
		}
		for _, inds := range indicators(dst, host, url) {
			for _, ind := range inds {
				rows = append(rows, sighting{eventID: id, indicatorID: ind, time: tm.Unix(), matchedIP: dst,
					peerIP: src, peerPort: sport, port: dport, protocol: store.ProxyProtocol, source: source,
					action: store.ProxyAction(proxyAction), peerIsSrc: 1})
			}
		}
	}
	return rows, res.Err()
}
