package assets

import (
	"slices"

	"github.com/homesoc/homesoc/internal/event"
)

// FromStates makes the updates of what EDRs reported about devices: one
// observed update per device id (states without one are not a device's),
// in order of first appearance, with the host name, OS and platform of its
// latest state that gives them, the MACs of all its states, the time span
// of its states as FirstSeen and LastSeen, and the latest state's format as
// Source. Every kind of state counts: a listening port also says the
// device was up then.
func FromStates(sts []event.EndpointState) []Update {
	var out []Update
	at := map[string]int{}
	// latest time a field was set from, per update, so that states out of
	// order do not let an older host name win
	type times struct{ host, os, platform, source int64 }
	var seen []times
	for i := range sts {
		s := &sts[i]
		if s.DeviceID == "" {
			continue
		}
		j, ok := at[s.DeviceID]
		if !ok {
			j = len(out)
			at[s.DeviceID] = j
			out = append(out, Update{Observed: true, Asset: Asset{ID: s.DeviceID, FirstSeen: s.Time, LastSeen: s.Time}})
			seen = append(seen, times{-1 << 62, -1 << 62, -1 << 62, -1 << 62})
		}
		u, ts, t := &out[j], &seen[j], s.Time.Unix()
		for _, f := range []struct {
			v    string
			dst  *string
			last *int64
		}{{s.Hostname, &u.Hostname, &ts.host}, {s.OS, &u.OS, &ts.os}, {s.Platform, &u.Platform, &ts.platform},
			{s.Format, &u.Source, &ts.source}} {
			if f.v != "" && t >= *f.last {
				*f.dst, *f.last = f.v, t
			}
		}
		if s.MAC != "" && !slices.Contains(u.MACs, s.MAC) {
			u.MACs = append(u.MACs, s.MAC)
		}
		if s.Time.Before(u.FirstSeen) {
			u.FirstSeen = s.Time
		}
		if s.Time.After(u.LastSeen) {
			u.LastSeen = s.Time
		}
	}
	for i := range out {
		out[i].Asset = Normal(out[i].Asset)
	}
	return out
}
