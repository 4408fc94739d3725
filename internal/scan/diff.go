package scan

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// HostDiff is what changed on one target between two scans, a and b (b the
// later): ports opened, closed and changed, and those that stayed the same.
// Ports are matched by protocol and number, so a scan imported from nmap
// compares with one of ours. Every list is sorted by protocol, then port,
// and is [] rather than null in JSON.
//
// "Open" means the state open. A UDP port that stays silent is
// open|filtered: it may be open, or dropped, so it is not counted open.
// A port open in a that b reports open|filtered is therefore neither closed
// (nothing refused it) nor still open: it is Unconfirmed, and what a UDP
// probe said in a stays the last word on it. A port that goes from
// open|filtered to open was confirmed, and is Opened. Ports open on neither
// side (closed, filtered or open|filtered in both) are no change and are not
// listed.
//
// A scan that does not list a port either tried it and found it closed or
// silent, or never tried it (a scan without UDP, a smaller port set, an
// nmap -F import against our top1000). Scans record the ports they tried
// (Scan.TCPPorts, UDPPorts), and a port open in a that b did not try is
// NotScanned, not Closed: a rescan of fewer ports says nothing about it.
// A scan that recorded no port sets (stored before scans did, or an nmap
// file without <scaninfo services=...>) is taken to have tried every port
// it does not list, as diffs did before: such a port open in a is Closed.
type HostDiff struct {
	Target netip.Addr `json:"target"`
	A      string     `json:"a"` // the scan ids compared
	B      string     `json:"b"`
	// Opened: not open in a (listed in another state, or not listed), open
	// in b; whether or not a tried the port: an open port is a finding
	// whatever the baseline covered.
	Opened []PortDiff `json:"opened"`
	// Closed: open in a; in b closed, filtered, or not listed while b
	// tried it (among the host's closed or filtered rest, or the host was
	// down).
	Closed []PortDiff `json:"closed"`
	// Changed: open in both, but the service, product or version differs.
	Changed []PortDiff `json:"changed"`
	// Unconfirmed: open in a, open|filtered in b.
	Unconfirmed []PortDiff `json:"unconfirmed"`
	// Unchanged: open in both with the same service.
	Unchanged []PortDiff `json:"unchanged"`
	// NotScanned: open in a, not listed in b, and outside the ports b
	// tried (Coverage): its state now is unknown. It is no change.
	NotScanned []PortDiff `json:"not_scanned"`
}

// PortDiff is one port of a HostDiff.
type PortDiff struct {
	Port  uint16 `json:"port"`
	Proto string `json:"proto"`
	// Before and After are the port's state in a and in b, "" where the
	// scan does not list the port.
	Before string `json:"before"`
	After  string `json:"after"`
	// Fields names what changed, of service, product and version (only in
	// Changed).
	Fields []string `json:"fields,omitempty"`
	// Old and New are the port as a and b list it, nil where not listed.
	Old *Port `json:"old,omitempty"`
	New *Port `json:"new,omitempty"`
}

// Changes is the number of ports opened, closed, changed or unconfirmed;
// ports unchanged or not scanned are not changes.
func (d HostDiff) Changes() int {
	return len(d.Opened) + len(d.Closed) + len(d.Changed) + len(d.Unconfirmed)
}

// Diff compares what scans a and b (b the later) found on target; it fails
// when either scan has no host of that address, or b's port sets are not
// port lists.
func Diff(a, b Scan, target netip.Addr) (HostDiff, error) {
	d := HostDiff{Target: target.Unmap(), A: a.ID, B: b.ID,
		Opened: []PortDiff{}, Closed: []PortDiff{}, Changed: []PortDiff{}, Unconfirmed: []PortDiff{}, Unchanged: []PortDiff{},
		NotScanned: []PortDiff{}}
	covB, err := b.Coverage()
	if err != nil {
		return d, fmt.Errorf("diff: %w", err)
	}
	ha, ok := findHost(a, target)
	if !ok {
		return d, fmt.Errorf("diff: scan %s has no host %s", a.ID, target.Unmap())
	}
	hb, ok := findHost(b, target)
	if !ok {
		return d, fmt.Errorf("diff: scan %s has no host %s", b.ID, target.Unmap())
	}
	pa, pb := portsByKey(ha), portsByKey(hb)
	keys := make([]portKey, 0, len(pa)+len(pb))
	for k := range pa {
		keys = append(keys, k)
	}
	for k := range pb {
		if _, ok := pa[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y portKey) int {
		return cmp.Or(cmp.Compare(x.proto, y.proto), cmp.Compare(x.port, y.port))
	})
	for _, k := range keys {
		old, nw := pa[k], pb[k]
		pd := PortDiff{Port: k.port, Proto: k.proto, Old: old, New: nw}
		if old != nil {
			pd.Before = old.State
		}
		if nw != nil {
			pd.After = nw.State
		}
		openA, openB := pd.Before == Open, pd.After == Open
		switch {
		case openA && openB:
			if pd.Fields = changedFields(*old, *nw); len(pd.Fields) > 0 {
				d.Changed = append(d.Changed, pd)
			} else {
				d.Unchanged = append(d.Unchanged, pd)
			}
		case openB:
			d.Opened = append(d.Opened, pd)
		case openA && pd.After == OpenFiltered:
			d.Unconfirmed = append(d.Unconfirmed, pd)
		case openA && nw == nil && !covB.Covers(k.proto, k.port):
			d.NotScanned = append(d.NotScanned, pd)
		case openA:
			d.Closed = append(d.Closed, pd)
		}
	}
	return d, nil
}

// changedFields names what differs between two scans of an open port. A
// field one scan could not identify (empty, or a service only guessed from
// the port number) is no change: it says nothing about the service.
func changedFields(a, b Port) []string {
	var out []string
	if !a.Guessed && !b.Guessed && a.Service != "" && b.Service != "" && a.Service != b.Service {
		out = append(out, "service")
	}
	if a.Product != "" && b.Product != "" && !sameWords(a.Product, b.Product) {
		out = append(out, "product")
	}
	if a.Version != "" && b.Version != "" && !sameWords(a.Version, b.Version) {
		out = append(out, "version")
	}
	return out
}

// sameWords reports whether a and b name the same thing, one perhaps in
// more words than the other: nmap's version "9.2p1 Debian 2+deb12u3" is
// ours "9.2p1" with the rest in Info, so a diff across an imported and an
// own scan does not call it changed.
func sameWords(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return strings.EqualFold(a, b) || len(b) > len(a) && strings.EqualFold(b[:len(a)], a) && b[len(a)] == ' '
}

// portKey identifies a port across scans.
type portKey struct {
	proto string
	port  uint16
}

// portsByKey indexes copies of a host's listed ports, so that a diff
// shares no memory with its scans; of a port listed twice the last wins.
func portsByKey(h Host) map[portKey]*Port {
	m := make(map[portKey]*Port, len(h.Ports))
	for _, p := range h.Ports {
		m[portKey{p.Proto, p.Port}] = &p
	}
	return m
}

// findHost returns the host of s whose address is target (compared
// unmapped).
func findHost(s Scan, target netip.Addr) (Host, bool) {
	for _, h := range s.Hosts {
		if h.Addr.Unmap() == target.Unmap() {
			return h, true
		}
	}
	return Host{}, false
}
