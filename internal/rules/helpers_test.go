package rules

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// duckEnv runs rule tests in fresh in-memory DuckDB stores, deriving
// sightings with deriveSightings.
var duckEnv = TestEnv{
	Open: func(ctx context.Context) (Store, error) {
		s, err := duckdb.Open(ctx, "")
		if err != nil {
			return nil, err
		}
		return s, nil
	},
	Prepare: deriveSightings,
}

// deriveSightings stands in for homesoc's retro-hunt in this package's tests:
// it matches every loaded event against every loaded indicator (an IP, or a
// CIDR range, compared in Go as the intel matcher does) and stores a
// sighting per event and indicator, the matched address on the indicator's
// side and the peer on ours.
func deriveSightings(ctx context.Context, s Store, now time.Time) error {
	inds, err := s.Query(ctx, `SELECT id, type, value FROM indicators`)
	if err != nil {
		return err
	}
	type indicator struct {
		id     string
		prefix netip.Prefix
	}
	var ins []indicator
	for _, row := range inds.Rows {
		value := row[2].(string)
		p, err := netip.ParsePrefix(value)
		if row[1] == "ip" {
			var a netip.Addr
			if a, err = netip.ParseAddr(value); err == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			return fmt.Errorf("indicator %q: %w", value, err)
		}
		ins = append(ins, indicator{row[0].(string), p})
	}
	evs, err := s.Query(ctx, `SELECT event_id, time, src_ip, src_port, dst_ip, dst_port, protocol, action FROM network_events`)
	if err != nil {
		return err
	}
	var sightings []map[string]any
	for _, e := range evs.Rows {
		src, _ := netip.ParseAddr(e[2].(string))
		dst, _ := netip.ParseAddr(e[4].(string))
		for _, in := range ins {
			sg := map[string]any{"event_id": e[0], "indicator_id": in.id, "time": e[1],
				"protocol": e[6], "action": e[7], "source": "test", "found_at": now}
			switch {
			case in.prefix.Contains(src):
				sg["matched_ip"], sg["peer_ip"], sg["peer_port"], sg["port"] = e[2], e[4], e[5], e[3]
			case in.prefix.Contains(dst):
				sg["matched_ip"], sg["peer_ip"], sg["peer_port"], sg["port"] = e[4], e[2], e[3], e[5]
				sg["peer_is_src"] = 1
			default:
				continue
			}
			sightings = append(sightings, sg)
		}
	}
	return s.LoadRows(ctx, "sightings", sightings)
}
