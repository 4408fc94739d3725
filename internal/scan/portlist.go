package scan

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PortSet is a set of port numbers, kept as ascending ranges that neither
// overlap nor touch, so that "all" costs one range. Its zero value is the
// empty set. Its text form (String, FormatPorts) is the compact list nmap
// writes in <scaninfo services=...>: "1-1024,8080,49152".
type PortSet struct {
	r []portRange
}

type portRange struct{ lo, hi uint16 }

// NewPortSet is the set of ports, in any order, repeats allowed.
func NewPortSet(ports []uint16) PortSet {
	rs := make([]portRange, len(ports))
	for i, p := range ports {
		rs[i] = portRange{p, p}
	}
	return PortSet{merge(rs)}
}

// ParsePortSet reads a compact port list: comma-separated ports and ranges
// "lo-hi" of 0 to 65535, in any order, overlaps allowed; "" is the empty
// set. Unlike ParsePorts it knows no named sets: it reads what FormatPorts
// and nmap's scaninfo write.
func ParsePortSet(s string) (PortSet, error) {
	if strings.TrimSpace(s) == "" {
		return PortSet{}, nil
	}
	items := strings.Split(s, ",")
	rs := make([]portRange, 0, len(items))
	for _, item := range items {
		a, b, isRange := strings.Cut(strings.TrimSpace(item), "-")
		lo, err := listPort(s, a)
		if err != nil {
			return PortSet{}, err
		}
		hi := lo
		if isRange {
			if hi, err = listPort(s, b); err != nil {
				return PortSet{}, err
			}
			if hi < lo {
				return PortSet{}, fmt.Errorf("port list %q: range %q: %d is above %d", abbrev(s), item, lo, hi)
			}
		}
		rs = append(rs, portRange{lo, hi})
	}
	return PortSet{merge(rs)}, nil
}

// listPort reads one port number of the list s.
func listPort(s, v string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16)
	if err != nil {
		if strings.TrimSpace(v) == "" {
			return 0, fmt.Errorf("port list %q: empty item", abbrev(s))
		}
		return 0, fmt.Errorf("port list %q: %q is not a port 0-65535", abbrev(s), v)
	}
	return uint16(n), nil
}

// abbrev shortens a long list for an error message.
func abbrev(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// merge sorts ranges and joins those that overlap or touch.
func merge(rs []portRange) []portRange {
	if len(rs) == 0 {
		return nil
	}
	slices.SortFunc(rs, func(a, b portRange) int { return cmp.Compare(a.lo, b.lo) })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if int(r.lo) <= int(last.hi)+1 {
			last.hi = max(last.hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

// Contains reports whether port is in the set.
func (p PortSet) Contains(port uint16) bool {
	i, found := slices.BinarySearchFunc(p.r, port, func(r portRange, t uint16) int { return cmp.Compare(r.lo, t) })
	if found {
		return true
	}
	return i > 0 && port <= p.r[i-1].hi
}

// Len is the number of ports in the set.
func (p PortSet) Len() int {
	n := 0
	for _, r := range p.r {
		n += int(r.hi) - int(r.lo) + 1
	}
	return n
}

// Union is the ports in p or q.
func (p PortSet) Union(q PortSet) PortSet {
	return PortSet{merge(append(slices.Clone(p.r), q.r...))}
}

// Ports lists the set's ports, ascending.
func (p PortSet) Ports() []uint16 {
	out := make([]uint16, 0, p.Len())
	for _, r := range p.r {
		for port := int(r.lo); port <= int(r.hi); port++ {
			out = append(out, uint16(port))
		}
	}
	return out
}

// String is the set's compact list, ranges of two or more ports as "lo-hi",
// ascending: the one text of each set, "" for the empty set.
func (p PortSet) String() string {
	var b strings.Builder
	for i, r := range p.r {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(r.lo)))
		if r.hi != r.lo {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(r.hi)))
		}
	}
	return b.String()
}

// FormatPorts is ports (any order, repeats allowed) as a compact list,
// e.g. "1-1024,8080,49152"; "" for none.
func FormatPorts(ports []uint16) string { return NewPortSet(ports).String() }

// ParsePortList reads a compact list (see ParsePortSet) into its ports,
// ascending, each once.
func ParsePortList(s string) ([]uint16, error) {
	p, err := ParsePortSet(s)
	if err != nil {
		return nil, err
	}
	return p.Ports(), nil
}

// Coverage is what a scan covered: the ports it tried on every host, per
// protocol.
type Coverage struct {
	TCP, UDP PortSet
	// Known is false when the scan did not record its port sets (both
	// TCPPorts and UDPPorts empty: stored before scans recorded them, or an
	// nmap file without <scaninfo services=...>).
	Known bool
}

// Coverage reads s.TCPPorts and s.UDPPorts; an error names the field that
// is not a port list.
func (s Scan) Coverage() (Coverage, error) {
	var c Coverage
	var err error
	if c.TCP, err = ParsePortSet(s.TCPPorts); err != nil {
		return c, fmt.Errorf("scan %s: tcp_ports: %w", s.ID, err)
	}
	if c.UDP, err = ParsePortSet(s.UDPPorts); err != nil {
		return c, fmt.Errorf("scan %s: udp_ports: %w", s.ID, err)
	}
	c.Known = s.TCPPorts != "" || s.UDPPorts != ""
	return c, nil
}

// Covers reports whether the scan tried port of proto (TCP or UDP). Without
// a record (Known false) it assumes so: what a scan does not list was
// closed or silent, as before scans recorded their port sets.
func (c Coverage) Covers(proto string, port uint16) bool {
	switch {
	case !c.Known:
		return true
	case proto == TCP:
		return c.TCP.Contains(port)
	case proto == UDP:
		return c.UDP.Contains(port)
	}
	return false
}
