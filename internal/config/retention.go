package config

import (
	"encoding/json"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultNotificationRetention is how long delivered and dead
// notifications are kept when the retention section does not say: the
// outbox is the one table that grows with every alert sent.
const DefaultNotificationRetention = Duration(30 * 24 * time.Hour)

// MinRetention is the shortest retention a table may have: rules look back
// up to a day, and a retention below their window would hide what they
// look for.
const MinRetention = Duration(24 * time.Hour)

// Retention says how long rows are kept, per table: a table left out (or
// given 0) is kept forever, except notifications, which default to
// DefaultNotificationRetention. Only history may expire: indicators,
// silences, assets, allowances and the other tables of state are not keys
// here, so naming one is an error. homesoc retention run applies it, and
// homesoc serve daily.
type Retention struct {
	// NetworkEvents, EndpointStates, VPNSessions, HTTPEvents and Sightings
	// expire by event time, Rejects by when the record was rejected.
	NetworkEvents  Duration `yaml:"network_events" json:"network_events_s"`
	EndpointStates Duration `yaml:"endpoint_states" json:"endpoint_states_s"`
	VPNSessions    Duration `yaml:"vpn_sessions" json:"vpn_sessions_s"`
	HTTPEvents     Duration `yaml:"http_events" json:"http_events_s"`
	Rejects        Duration `yaml:"rejects" json:"rejects_s"`
	Sightings      Duration `yaml:"sightings" json:"sightings_s"`
	// Scans expire by start time, with their hosts and ports; the newest
	// scan of each address is kept whatever its age, as the baseline the
	// next rescan is compared with.
	Scans Duration `yaml:"scans" json:"scans_s"`
	// Alerts expire only once resolved, by their last finding or change;
	// an open or acknowledged alert is never deleted.
	Alerts Duration `yaml:"alerts" json:"alerts_s"`
	// Notifications expire only once delivered or dead, by their last
	// attempt; a pending one is never deleted.
	Notifications Duration `yaml:"notifications" json:"notifications_s"`

	lines map[string]int // the line of each key the file gave
}

// UnmarshalYAML reads the section and remembers its keys, so that an
// explicit 0 (keep forever) is told from a key left out.
func (r *Retention) UnmarshalYAML(n *yaml.Node) error {
	type plain Retention
	err := n.Decode((*plain)(r))
	r.lines = map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		r.lines[n.Content[i].Value] = n.Content[i].Line
	}
	return err
}

// MarshalJSON writes the retention in effect: notifications' default
// included, so that config check --json shows what retention run does.
func (r Retention) MarshalJSON() ([]byte, error) {
	type plain Retention
	p := plain(r)
	p.Notifications = Duration(r.Periods()["notifications"])
	return json.Marshal(p)
}

// sets reports whether the file gave the key.
func (r Retention) sets(key string) bool {
	_, ok := r.lines[key]
	return ok
}

// fields lists the section's tables and their durations, in store order.
func (r *Retention) fields() []struct {
	table string
	d     *Duration
} {
	return []struct {
		table string
		d     *Duration
	}{
		{"network_events", &r.NetworkEvents}, {"endpoint_states", &r.EndpointStates},
		{"vpn_sessions", &r.VPNSessions}, {"http_events", &r.HTTPEvents},
		{"rejects", &r.Rejects}, {"sightings", &r.Sightings}, {"scans", &r.Scans},
		{"alerts", &r.Alerts}, {"notifications", &r.Notifications},
	}
}

// RetentionTables are the tables a retention section may name, in the
// order Periods reports them.
var RetentionTables = []string{"network_events", "endpoint_states", "vpn_sessions", "http_events",
	"rejects", "sightings", "scans", "alerts", "notifications"}

// Periods returns how long each table that expires keeps its rows,
// defaults included; a table kept forever is not in it.
func (r Retention) Periods() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, f := range r.fields() {
		d := *f.d
		if f.table == "notifications" && !r.sets("notifications") {
			d = DefaultNotificationRetention
		}
		if d > 0 {
			out[f.table] = time.Duration(d)
		}
	}
	return out
}

// Cutoffs returns, per table that expires, the time before which its rows
// are deleted at now.
func (r Retention) Cutoffs(now time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for t, d := range r.Periods() {
		out[t] = now.UTC().Add(-d).Truncate(time.Second)
	}
	return out
}

// checkRetention adds the errors of the retention section.
func (p *parser) checkRetention(r *Retention) {
	for _, f := range r.fields() {
		d := *f.d
		if d < 0 || d > 0 && d < MinRetention {
			p.add(r.lines[f.table], "retention: %s: %s is below %s (0 keeps the rows forever)", f.table, d, MinRetention)
		}
	}
}
