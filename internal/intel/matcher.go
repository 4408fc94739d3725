package intel

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/gaissmai/bart"

	"github.com/homesoc/homesoc/internal/event"
)

// Matcher finds the active ip and cidr indicators that cover an address,
// and the domain and url indicators that cover a proxy request's names
// (names.go). It is built once from a set of indicators and never changes, so any number of
// goroutines may use it at once; a new indicator set means a new Matcher.
//
// An address may be covered by several indicators: the same address in two
// feeds, an address listed alone and inside a listed network. The matcher
// returns all of them.
type Matcher struct {
	// table maps each prefix to the run of refs holding its indicators.
	// bart.Fast over bart.Table: a miss costs ~27 ns instead of ~34 ns at
	// 1M prefixes for ~7% more memory (BenchmarkMatcherMiss).
	table bart.Fast[span]
	// refs indexes inds, grouped by prefix.
	refs []int32
	inds []event.Indicator
	// names holds the domain and url indicators.
	names names
	// invalid counts active ip/cidr indicators whose value did not parse.
	invalid int
}

// span is what the table holds for a prefix: its indicators,
// refs[off : off+n], its length, and whether a shorter prefix in the table
// covers it, so a walk over the covering prefixes knows when to stop without
// another lookup.
type span struct {
	off, n uint32
	bits   uint8
	parent bool
}

// NewMatcher builds a matcher of the active ip, cidr, domain and url
// indicators in inds; other types and inactive indicators are left out. An indicator is taken
// once by ID (the first one wins). Values are parsed leniently, as Canonical
// would (an IPv4-mapped address is the IPv4 address); ones that do not
// parse are left out and counted by Invalid. inds is not kept.
func NewMatcher(inds []event.Indicator) *Matcher {
	type entry struct {
		pfx netip.Prefix
		ind int32
	}
	m := &Matcher{}
	entries := make([]entry, 0, len(inds))
	seen := make(map[string]struct{}, len(inds))
	for i := range inds {
		ind := &inds[i]
		if !ind.Active {
			continue
		}
		if ind.Type == event.IndicatorDomain || ind.Type == event.IndicatorURL {
			if _, dup := seen[ind.ID]; !dup && m.names.add(ind.Type, ind.Value, int32(len(m.inds))) {
				seen[ind.ID] = struct{}{}
				m.inds = append(m.inds, *ind)
			}
			continue
		}
		if ind.Type != event.IndicatorIP && ind.Type != event.IndicatorCIDR {
			continue
		}
		pfx, ok := indicatorPrefix(ind.Type, ind.Value)
		if !ok {
			m.invalid++
			continue
		}
		if _, dup := seen[ind.ID]; dup {
			continue
		}
		seen[ind.ID] = struct{}{}
		entries = append(entries, entry{pfx: pfx, ind: int32(len(m.inds))})
		m.inds = append(m.inds, *ind)
	}
	// Group by prefix; within a prefix order by feed and ID, so results do
	// not depend on the order indicators were loaded in.
	slices.SortFunc(entries, func(a, b entry) int {
		if c := a.pfx.Addr().Compare(b.pfx.Addr()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.pfx.Bits(), b.pfx.Bits()); c != 0 {
			return c
		}
		ia, ib := &m.inds[a.ind], &m.inds[b.ind]
		return cmp.Or(cmp.Compare(ia.Feed, ib.Feed), cmp.Compare(ia.ID, ib.ID))
	})
	m.refs = make([]int32, len(entries))
	var starts []int // first entry of each prefix
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && entries[j].pfx == entries[i].pfx {
			j++
		}
		for k := i; k < j; k++ {
			m.refs[k] = entries[k].ind
		}
		pfx := entries[i].pfx
		m.table.Insert(pfx, span{off: uint32(i), n: uint32(j - i), bits: uint8(pfx.Bits())})
		starts = append(starts, i)
		i = j
	}
	m.names.sort(m.inds)
	// Now that every prefix is in, mark those inside a shorter one.
	for _, i := range starts {
		pfx := entries[i].pfx
		if pfx.Bits() == 0 {
			continue
		}
		if _, ok := m.table.LookupPrefix(netip.PrefixFrom(pfx.Addr(), pfx.Bits()-1)); ok {
			sp, _ := m.table.Get(pfx)
			sp.parent = true
			m.table.Insert(pfx, sp)
		}
	}
	return m
}

// Len returns the number of distinct prefixes in the matcher.
func (m *Matcher) Len() int { return m.table.Size() }

// Names returns the number of distinct domains and URLs in the matcher.
func (m *Matcher) Names() int { return len(m.names.domains) + len(m.names.urls) }

// Indicators returns the number of indicators in the matcher.
func (m *Matcher) Indicators() int { return len(m.inds) }

// Invalid returns the number of active ip and cidr indicators left out
// because their value is not an address or prefix.
func (m *Matcher) Invalid() int { return m.invalid }

// Contains reports whether any indicator covers addr. It does not allocate.
func (m *Matcher) Contains(addr netip.Addr) bool {
	return m.table.Contains(addr.Unmap())
}

// Match returns every indicator that covers addr, the most specific prefix
// first, or nil. An IPv4-mapped IPv6 address matches as the IPv4 address.
// It does not allocate when nothing matches.
func (m *Matcher) Match(addr netip.Addr) []event.Indicator {
	return m.AppendMatch(nil, addr)
}

// AppendMatch is Match appending to dst, for callers that reuse a buffer.
func (m *Matcher) AppendMatch(dst []event.Indicator, addr netip.Addr) []event.Indicator {
	c := m.covering(addr)
	for ind := c.next(); ind != nil; ind = c.next() {
		dst = append(dst, *ind)
	}
	return dst
}

// MatchEvent appends to dst a sighting for every indicator that covers the
// event's source or destination address and returns the extended slice. The
// sighting's MatchedIP and Port are the covered side's; PeerIP and PeerPort
// the other side's. When source and destination are the same address, its
// indicators are reported once, as the source. It does not allocate when
// nothing matches.
func (m *Matcher) MatchEvent(ev *event.Network, source string, dst []event.Sighting) []event.Sighting {
	dst = m.appendSightings(dst, ev, source, ev.SrcIP, ev.DstIP, ev.SrcPort, ev.DstPort, false)
	if ev.DstIP.Unmap() != ev.SrcIP.Unmap() {
		dst = m.appendSightings(dst, ev, source, ev.DstIP, ev.SrcIP, ev.DstPort, ev.SrcPort, true)
	}
	return dst
}

// appendSightings appends the sightings of one side of ev.
func (m *Matcher) appendSightings(dst []event.Sighting, ev *event.Network, source string,
	matched, peer netip.Addr, port, peerPort uint16, peerIsSource bool) []event.Sighting {
	c := m.covering(matched)
	for ind := c.next(); ind != nil; ind = c.next() {
		dst = append(dst, event.Sighting{
			EventID:      ev.ID,
			IndicatorID:  ind.ID,
			Time:         ev.Time,
			MatchedIP:    matched,
			PeerIP:       peer,
			PeerPort:     peerPort,
			Port:         port,
			Protocol:     ev.Protocol,
			Action:       ev.Action,
			PeerIsSource: peerIsSource,
			Source:       source,
		})
	}
	return dst
}

// covering starts a walk over the indicators covering addr.
func (m *Matcher) covering(addr netip.Addr) cover {
	addr = addr.Unmap()
	// One longest-prefix lookup answers the common case, a miss, and on a
	// hit finds the most specific prefix.
	sp, ok := m.table.Lookup(addr)
	if !ok {
		return cover{}
	}
	return cover{m: m, addr: addr, span: sp, refs: m.refs[sp.off : sp.off+sp.n]}
}

// cover walks the indicators of the prefixes covering an address, the
// longest prefix first. From one prefix to the next is a longest-prefix
// lookup shorter than the last, made only when the table says there is a
// shorter one: an address has few covering prefixes, and unlike bart's
// Supernets iterator this does not allocate.
type cover struct {
	m    *Matcher
	addr netip.Addr
	span span    // the current prefix
	refs []int32 // its indicators not yet returned
}

// next returns the next covering indicator, or nil when there are no more.
func (c *cover) next() *event.Indicator {
	for len(c.refs) == 0 {
		if !c.span.parent {
			return nil
		}
		sp, ok := c.m.table.LookupPrefix(netip.PrefixFrom(c.addr, int(c.span.bits)-1))
		if !ok { // cannot happen: parent says there is one
			return nil
		}
		c.span, c.refs = sp, c.m.refs[sp.off:sp.off+sp.n]
	}
	ind := &c.m.inds[c.refs[0]]
	c.refs = c.refs[1:]
	return ind
}
