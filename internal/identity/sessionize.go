package identity

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/geoip"
)

// DefaultMaxSession is how long a session with no logged end is assumed to
// last at most.
const DefaultMaxSession = 24 * time.Hour

// Options tune Sessionize.
type Options struct {
	// MaxSession bounds a session whose end was not logged and whose
	// address was not assigned again; DefaultMaxSession when zero.
	MaxSession time.Duration
	// Geo locates a session's public address; nil for none.
	Geo func(netip.Addr) (geoip.Info, bool)
	// GeoSource names what Geo answers from (the databases' types and
	// build dates; "" for none). Intervals keep the locations of the
	// databases in effect when they were built: when it changes, the
	// incremental rebuild (package refresh) rebuilds every interval.
	GeoSource string
}

func (o Options) maxSession() time.Duration {
	if o.MaxSession <= 0 {
		return DefaultMaxSession
	}
	return o.MaxSession
}

// sessionIDFormats are the formats whose every fact of a session carries
// the concentrator's session id (FortiGate's tunnelid), which then ties
// them together. The others are tied by user and public address and port:
// Cisco ASA logs no session id, OpenVPN's log none, and its status file's
// Client ID is on client rows only, not on the routing table's.
var sessionIDFormats = map[string]bool{"fortigate": true}

// sessionKey is what ties the facts of one session together.
func sessionKey(f *event.VPNSession) string {
	if f.SessionID != "" && sessionIDFormats[f.Format] {
		return f.Sensor + "\x00" + f.Format + "\x00id\x00" + f.SessionID
	}
	remote := ""
	if f.RemoteIP.IsValid() {
		remote = netip.AddrPortFrom(f.RemoteIP, f.RemotePort).String()
	}
	return f.Sensor + "\x00" + f.Format + "\x00u\x00" + f.User + "\x00" + remote
}

// tunnelEnd reports whether an end fact ends one tunnel of a session that
// may go on: Cisco ASA's 722023 ("TCP SVC connection terminated"), logged
// for each TLS or DTLS tunnel of an AnyConnect session; the session's end
// is 113019 or 716002.
func tunnelEnd(f *event.VPNSession) bool {
	return f.Format == "cisco-asa" && strings.Contains(f.Reason, "SVC connection terminated")
}

// tunnelStart reports whether a start fact starts one tunnel of a session
// (Cisco ASA's 722022, "SVC connection established") rather than the
// session (113039, 716001).
func tunnelStart(f *event.VPNSession) bool {
	return f.Format == "cisco-asa" && strings.Contains(f.Raw, "-722022")
}

// endsLongSession reports whether f, a fact later than the maximum session
// length after start, is the end of the session that began at start: an
// end whose logged duration reaches back to it (within a minute). A
// session longer than the maximum is then one interval, not two.
func endsLongSession(f *event.VPNSession, start time.Time) bool {
	if f.Kind != event.VPNEnd || f.DurationS <= 0 {
		return false
	}
	d := f.Time.Add(-time.Duration(f.DurationS) * time.Second).Sub(start)
	return d.Abs() <= time.Minute
}

// kindRank orders the facts of one second: an end that logs a duration
// ends a session that began earlier, so it comes before a start in the
// same second (a client that reconnects at once: ASA's 113019 and the next
// 113039); then starts, assignments, and the ends of sessions that may have
// begun in that very second.
func kindRank(f *event.VPNSession) int {
	switch {
	case f.Kind == event.VPNEnd && f.DurationS > 0:
		return 0
	case f.Kind == event.VPNStart:
		return 1
	case f.Kind == event.VPNAssign:
		return 2
	}
	return 3
}

// building is a session being built from its facts.
type building struct {
	key        string
	start      time.Time
	end        time.Time // zero while no end is known
	tunnelEnd  time.Time // the last tunnel end (ASA 722023) seen
	facts      []*event.VPNSession
	fromDur    bool // start taken from an end's duration
	sessionEnd *event.VPNSession
}

// Sessionize builds the sessions of facts as intervals, sorted by start,
// assigned address and id. It is pure: the same facts, in any order, give
// the same intervals.
//
// Facts are tied into sessions by (sensor, session id) where the format has
// one, else by (sensor, user, public address and port), in time order: a
// session opens at its first fact and closes at its end fact; a start
// after it (or after MaxSession) opens the next. A session ends at its
// logged end; failing that at the next assignment of its address (on the
// same concentrator) to another session (EndReassigned); failing that at
// Start + MaxSession (EndMax). An end whose start is not among facts
// starts at its time less its logged duration, or at its time if none.
func Sessionize(facts []event.VPNSession, o Options) []Interval {
	max := o.maxSession()
	fs := make([]*event.VPNSession, len(facts))
	for i := range facts {
		fs[i] = &facts[i]
	}
	slices.SortFunc(fs, func(a, b *event.VPNSession) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(kindRank(a), kindRank(b)), slices.Compare(a.ID[:], b.ID[:]))
	})
	open := map[string]*building{}
	var done []*building
	closeB := func(b *building) {
		done = append(done, b)
		delete(open, b.key)
	}
	for _, f := range fs {
		key := sessionKey(f)
		b := open[key]
		if b != nil && f.Time.Sub(b.start) > max && !endsLongSession(f, b.start) {
			closeB(b)
			b = nil
		}
		if b != nil && f.Kind == event.VPNStart && !tunnelStart(f) && !f.Time.Equal(b.start) {
			closeB(b) // a new session of the same key: the old one ended unlogged
			b = nil
		}
		if b == nil {
			b = &building{key: key, start: f.Time}
			if f.Kind == event.VPNEnd && !tunnelEnd(f) && f.DurationS > 0 {
				b.start = f.Time.Add(-time.Duration(f.DurationS) * time.Second)
				b.fromDur = true
			}
			open[key] = b
		}
		b.facts = append(b.facts, f)
		if f.Kind == event.VPNEnd {
			if tunnelEnd(f) {
				b.tunnelEnd = f.Time
				continue
			}
			b.end, b.sessionEnd = f.Time, f
			closeB(b)
		}
	}
	for _, b := range open {
		done = append(done, b)
	}
	ivs := make([]Interval, 0, len(done))
	for _, b := range done {
		ivs = append(ivs, b.interval(o))
	}
	endUnlogged(ivs, max)
	slices.SortFunc(ivs, func(a, b Interval) int {
		return cmp.Or(a.Start.Compare(b.Start), a.AssignedIP.Compare(b.AssignedIP), slices.Compare(a.ID[:], b.ID[:]))
	})
	return ivs
}

// interval is b as an Interval, its end left zero when not logged.
func (b *building) interval(o Options) Interval {
	iv := Interval{Start: b.start, End: b.end}
	if !b.end.IsZero() {
		iv.EndKind = EndLogged
	}
	for _, f := range b.facts {
		iv.User = cmp.Or(iv.User, f.User)
		iv.Group = cmp.Or(iv.Group, f.Group)
		if !iv.RemoteIP.IsValid() && f.RemoteIP.IsValid() {
			iv.RemoteIP, iv.RemotePort = f.RemoteIP, f.RemotePort
		}
		if !iv.AssignedIP.IsValid() && f.AssignedIP.IsValid() {
			iv.AssignedIP = f.AssignedIP
		}
		iv.SessionID = cmp.Or(iv.SessionID, f.SessionID)
		iv.DeviceID = cmp.Or(iv.DeviceID, f.DeviceID)
		iv.Hostname = cmp.Or(iv.Hostname, f.Hostname)
		iv.Sensor = cmp.Or(iv.Sensor, f.Sensor)
		iv.Format = cmp.Or(iv.Format, f.Format)
		if f.Kind != event.VPNEnd && (f.BytesIn > iv.BytesIn || f.BytesOut > iv.BytesOut) {
			// A status snapshot's counters so far; an end's win below.
			iv.BytesIn, iv.BytesOut = max(iv.BytesIn, f.BytesIn), max(iv.BytesOut, f.BytesOut)
		}
		iv.Facts = append(iv.Facts, f.ID)
	}
	if e := b.sessionEnd; e != nil {
		if e.BytesIn != 0 || e.BytesOut != 0 {
			iv.BytesIn, iv.BytesOut = e.BytesIn, e.BytesOut
		}
		iv.Reason = e.Reason
	}
	if o.Geo != nil && iv.RemoteIP.IsValid() {
		if g, ok := o.Geo(iv.RemoteIP); ok {
			iv.Remote = g
		}
	}
	slices.SortFunc(iv.Facts, func(a, b event.ID) int { return slices.Compare(a[:], b[:]) })
	iv.ID = IntervalID(b.key, iv.AssignedIP, iv.Start)
	return iv
}

// IntervalID is the id of a session's interval: a hash of its key, its
// assigned address and its start, so a rebuild that yields the same
// session keeps its id (and ClickHouse's sorting key, which holds the
// address and the start, stays that of its id).
func IntervalID(key string, assigned netip.Addr, start time.Time) event.ID {
	a := ""
	if assigned.IsValid() {
		a = assigned.String()
	}
	return event.NewID("vpn-interval", []byte(key+"\x00"+a+"\x00"+strconv.FormatInt(start.Unix(), 10)))
}

// endUnlogged ends the intervals with no logged end: at the next start of
// another session with the same assigned address on the same concentrator,
// if before Start + max, else at Start + max.
func endUnlogged(ivs []Interval, max time.Duration) {
	byAddr := map[string][]int{}
	for i := range ivs {
		if ivs[i].AssignedIP.IsValid() {
			k := ivs[i].Sensor + "\x00" + ivs[i].AssignedIP.String()
			byAddr[k] = append(byAddr[k], i)
		}
	}
	for _, idx := range byAddr {
		slices.SortFunc(idx, func(a, b int) int {
			return cmp.Or(ivs[a].Start.Compare(ivs[b].Start), slices.Compare(ivs[a].ID[:], ivs[b].ID[:]))
		})
		for n, i := range idx {
			if ivs[i].EndKind != "" {
				continue
			}
			for _, j := range idx[n+1:] {
				if ivs[j].Start.After(ivs[i].Start) {
					if ivs[j].Start.Sub(ivs[i].Start) < max {
						ivs[i].End, ivs[i].EndKind = ivs[j].Start, EndReassigned
					}
					break
				}
			}
		}
	}
	for i := range ivs {
		if ivs[i].EndKind == "" {
			ivs[i].End, ivs[i].EndKind = ivs[i].Start.Add(max), EndMax
		}
	}
}
