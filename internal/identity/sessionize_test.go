package identity

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/geoip"
)

var t0 = time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// fact is a fact with an id from its name.
func fact(name string, f event.VPNSession) event.VPNSession {
	f.ID = event.NewID("test", []byte(name))
	return f
}

func ids(names ...string) []event.ID {
	var out []event.ID
	for _, n := range names {
		out = append(out, event.NewID("test", []byte(n)))
	}
	slices.SortFunc(out, func(a, b event.ID) int { return slices.Compare(a[:], b[:]) })
	return out
}

var (
	remote   = netip.MustParseAddr("198.51.100.7")
	pool10   = netip.MustParseAddr("172.16.1.10")
	pool11   = netip.MustParseAddr("172.16.1.11")
	asaStart = func(name string, min int, user string) event.VPNSession {
		return fact(name, event.VPNSession{Time: at(min), Kind: event.VPNStart, User: user, Group: "staff", RemoteIP: remote,
			Sensor: "asa1", Format: "cisco-asa", Raw: "%ASA-6-113039: ..."})
	}
)

func TestSessionize(t *testing.T) {
	asaTunnel := fact("a-722022", event.VPNSession{Time: at(1), Kind: event.VPNStart, User: "kimura", RemoteIP: remote,
		Sensor: "asa1", Format: "cisco-asa", Raw: "%ASA-6-722022: Group staff ..."})
	asaAssign := fact("a-722051", event.VPNSession{Time: at(1), Kind: event.VPNAssign, User: "kimura", Group: "staff",
		RemoteIP: remote, AssignedIP: pool10, Sensor: "asa1", Format: "cisco-asa"})
	asaTunnelEnd := fact("a-722023", event.VPNSession{Time: at(20), Kind: event.VPNEnd, User: "kimura", RemoteIP: remote,
		Reason: "UDP SVC connection terminated without compression", Sensor: "asa1", Format: "cisco-asa"})
	asaEnd := fact("a-113019", event.VPNSession{Time: at(62), Kind: event.VPNEnd, User: "kimura", Group: "staff", RemoteIP: remote,
		DurationS: 3720, BytesIn: 100, BytesOut: 200, Reason: "User Requested", Sensor: "asa1", Format: "cisco-asa"})
	forti := func(name string, min int, kind, id string, assigned netip.Addr, dur float64) event.VPNSession {
		return fact(name, event.VPNSession{Time: at(min), Kind: kind, User: "sato", RemoteIP: remote, RemotePort: 50000,
			AssignedIP: assigned, SessionID: id, DurationS: dur, Sensor: "fgt", Format: "fortigate"})
	}
	ovpn := func(name string, min int, kind, user string, port uint16, assigned netip.Addr) event.VPNSession {
		return fact(name, event.VPNSession{Time: at(min), Kind: kind, User: user, RemoteIP: remote, RemotePort: port,
			AssignedIP: assigned, Sensor: "gw", Format: "openvpn"})
	}
	geo := func(a netip.Addr) (geoip.Info, bool) {
		return geoip.Info{Country: "JP", ASN: 64500, Located: true, Lat: 35.6, Lon: 139.7}, a == remote
	}
	for _, c := range []struct {
		name  string
		facts []event.VPNSession
		want  []Interval
	}{
		{"asa: the session ends at 113019, not at a tunnel's 722023", []event.VPNSession{asaEnd, asaTunnelEnd, asaAssign, asaTunnel, asaStart("a-113039", 0, "kimura")},
			[]Interval{{Start: at(0), End: at(62), EndKind: EndLogged, User: "kimura", Group: "staff", RemoteIP: remote, AssignedIP: pool10,
				BytesIn: 100, BytesOut: 200, Reason: "User Requested", Sensor: "asa1", Format: "cisco-asa",
				Facts: ids("a-113039", "a-722022", "a-722051", "a-722023", "a-113019")}}},
		{"asa: an end without its start starts at end less duration", []event.VPNSession{asaEnd},
			[]Interval{{Start: at(0), End: at(62), EndKind: EndLogged, User: "kimura", Group: "staff", RemoteIP: remote,
				BytesIn: 100, BytesOut: 200, Reason: "User Requested", Sensor: "asa1", Format: "cisco-asa",
				Facts: ids("a-113019")}}},
		{"fortigate: tied by tunnel id, ended by another session's assignment",
			[]event.VPNSession{forti("f1", 0, event.VPNStart, "7", netip.Addr{}, 0), forti("f1a", 0, event.VPNAssign, "7", pool11, 0),
				forti("f2a", 30, event.VPNAssign, "8", pool11, 0), forti("f2e", 90, event.VPNEnd, "8", netip.Addr{}, 3600)},
			[]Interval{
				{Start: at(0), End: at(30), EndKind: EndReassigned, User: "sato", RemoteIP: remote, RemotePort: 50000, AssignedIP: pool11,
					SessionID: "7", Sensor: "fgt", Format: "fortigate", Facts: ids("f1", "f1a")},
				{Start: at(30), End: at(90), EndKind: EndLogged, User: "sato", RemoteIP: remote, RemotePort: 50000, AssignedIP: pool11,
					SessionID: "8", Sensor: "fgt", Format: "fortigate", Facts: ids("f2a", "f2e")}}},
		{"openvpn: tied by user and remote address, no end: max",
			[]event.VPNSession{ovpn("o1", 0, event.VPNStart, "ito", 1194, netip.Addr{}), ovpn("o1a", 0, event.VPNAssign, "ito", 1194, pool10),
				ovpn("o2", 5, event.VPNStart, "ueda", 1195, netip.Addr{}), ovpn("o2a", 5, event.VPNAssign, "ueda", 1195, pool11),
				ovpn("o2e", 50, event.VPNEnd, "ueda", 1195, netip.Addr{})},
			[]Interval{
				{Start: at(0), End: at(0).Add(2 * time.Hour), EndKind: EndMax, User: "ito", RemoteIP: remote, RemotePort: 1194, AssignedIP: pool10,
					Sensor: "gw", Format: "openvpn", Facts: ids("o1", "o1a")},
				{Start: at(5), End: at(50), EndKind: EndLogged, User: "ueda", RemoteIP: remote, RemotePort: 1195, AssignedIP: pool11,
					Sensor: "gw", Format: "openvpn", Facts: ids("o2", "o2a", "o2e")}}},
		{"asa: a client that reconnects in the second its session ended",
			[]event.VPNSession{asaStart("r1", 0, "kimura"), asaAssign,
				fact("r1e", event.VPNSession{Time: at(30), Kind: event.VPNEnd, User: "kimura", Group: "staff", RemoteIP: remote,
					DurationS: 1800, Reason: "Idle Timeout", Sensor: "asa1", Format: "cisco-asa"}),
				asaStart("r2", 30, "kimura"),
				fact("r2a", event.VPNSession{Time: at(30), Kind: event.VPNAssign, User: "kimura", Group: "staff", RemoteIP: remote,
					AssignedIP: pool11, Sensor: "asa1", Format: "cisco-asa"})},
			[]Interval{
				{Start: at(0), End: at(30), EndKind: EndLogged, User: "kimura", Group: "staff", RemoteIP: remote, AssignedIP: pool10,
					Reason: "Idle Timeout", Sensor: "asa1", Format: "cisco-asa", Facts: ids("r1", "a-722051", "r1e")},
				{Start: at(30), End: at(30).Add(2 * time.Hour), EndKind: EndMax, User: "kimura", Group: "staff", RemoteIP: remote,
					AssignedIP: pool11, Sensor: "asa1", Format: "cisco-asa", Facts: ids("r2", "r2a")}}},
		{"fortigate: a session longer than the maximum, ended with its duration, is one interval",
			[]event.VPNSession{forti("l1", 0, event.VPNStart, "9", netip.Addr{}, 0), forti("l1a", 0, event.VPNAssign, "9", pool10, 0),
				forti("l1e", 180, event.VPNEnd, "9", netip.Addr{}, 3*3600)},
			[]Interval{{Start: at(0), End: at(180), EndKind: EndLogged, User: "sato", RemoteIP: remote, RemotePort: 50000, AssignedIP: pool10,
				SessionID: "9", Sensor: "fgt", Format: "fortigate", Facts: ids("l1", "l1a", "l1e")}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Sessionize(c.facts, Options{MaxSession: 2 * time.Hour, Geo: geo})
			if len(got) != len(c.want) {
				t.Fatalf("got %d intervals, want %d: %+v", len(got), len(c.want), got)
			}
			for i := range got {
				w := c.want[i]
				if got[i].ID.IsZero() {
					t.Errorf("interval %d: zero id", i)
				}
				w.ID = got[i].ID
				w.Remote = geoip.Info{Country: "JP", ASN: 64500, Located: true, Lat: 35.6, Lon: 139.7} // every remote is located
				if !equalIntervals(got[i], w) {
					t.Errorf("interval %d:\n got %+v\nwant %+v", i, got[i], w)
				}
			}
			rev := slices.Clone(c.facts)
			slices.Reverse(rev)
			again := Sessionize(rev, Options{MaxSession: 2 * time.Hour, Geo: geo})
			if len(again) != len(got) {
				t.Fatalf("reversed input: %d intervals, want %d", len(again), len(got))
			}
			for i := range got {
				if !equalIntervals(got[i], again[i]) {
					t.Errorf("reversed input: interval %d differs: %+v", i, again[i])
				}
			}
		})
	}
}

func equalIntervals(a, b Interval) bool {
	return reflect.DeepEqual(a, b)
}

func TestIntervalIDStable(t *testing.T) {
	a := IntervalID("k", pool10, at(0))
	if a != IntervalID("k", pool10, at(0)) || a == IntervalID("k", pool11, at(0)) || a == IntervalID("k", pool10, at(1)) {
		t.Fatal("IntervalID is not a function of key, address and start alone")
	}
}
