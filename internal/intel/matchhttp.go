package intel

import (
	"strings"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// MatchHTTP appends to dst a sighting for every indicator a proxy request
// touched, and returns the extended slice: an ip or cidr indicator covering
// its server address (DstIP), a domain indicator naming its host or a
// parent domain of it (the Host field, and the host of the URL where that
// differs), a url indicator equal to its URL (both as NormalizeURL has
// them; a value without a "/", such as a CONNECT's host:port target, is
// no URL). Each indicator is reported once per
// request.
//
// The sighting's PeerIP is the proxy's client (SrcIP): the client made the
// request, so PeerIsSource is set whatever the proxy did with it, and
// Action is store.ProxyAction of the proxy's verdict. MatchedIP is the
// server address where the proxy logged one, for a name match too.
// Nothing is allocated when nothing matches a request whose names are in
// lower case.
func (m *Matcher) MatchHTTP(h *event.HTTP, source string, dst []event.Sighting) []event.Sighting {
	start := len(dst)
	add := func(ind *event.Indicator) {
		for i := start; i < len(dst); i++ {
			if dst[i].IndicatorID == ind.ID {
				return
			}
		}
		dst = append(dst, httpSighting(h, ind.ID, source))
	}
	if h.DstIP.IsValid() {
		c := m.covering(h.DstIP)
		for ind := c.next(); ind != nil; ind = c.next() {
			add(ind)
		}
	}
	if len(m.names.domains) > 0 {
		host := NormalizeHost(h.Host)
		m.names.domainRefs(host, func(refs []int32) {
			for _, r := range refs {
				add(&m.inds[r])
			}
		})
		if uh := urlHost(h.URL); uh != host {
			m.names.domainRefs(uh, func(refs []int32) {
				for _, r := range refs {
					add(&m.inds[r])
				}
			})
		}
	}
	if isURL(h.URL) && len(m.names.urls) > 0 {
		for _, r := range m.names.urls[NormalizeURL(h.URL)] {
			add(&m.inds[r])
		}
	}
	return dst
}

// MatchName returns the indicators a stored http_events host or URL falls
// under (domain indicators through its host, url indicators through the
// whole value read as a URL), for a retro-hunt that walks distinct names
// rather than requests. A CONNECT target (host:port) matches as a host.
func (m *Matcher) MatchName(name string, dst []event.Indicator) []event.Indicator {
	start := len(dst)
	add := func(r int32) {
		ind := &m.inds[r]
		for i := start; i < len(dst); i++ {
			if dst[i].ID == ind.ID {
				return
			}
		}
		dst = append(dst, *ind)
	}
	addAll := func(refs []int32) {
		for _, r := range refs {
			add(r)
		}
	}
	host := NormalizeHost(name)
	m.names.domainRefs(host, addAll)
	if uh := urlHost(name); uh != host {
		m.names.domainRefs(uh, addAll)
	}
	if isURL(name) && len(m.names.urls) > 0 {
		addAll(m.names.urls[NormalizeURL(name)])
	}
	return dst
}

// isURL reports whether a logged URL has a path to compare with url
// indicators: a CONNECT's host:port has none.
func isURL(u string) bool { return strings.IndexByte(u, '/') >= 0 }

// httpSighting is the sighting of indicator id in request h.
func httpSighting(h *event.HTTP, id, source string) event.Sighting {
	return event.Sighting{
		EventID:      h.ID,
		IndicatorID:  id,
		Time:         h.Time,
		MatchedIP:    h.DstIP,
		PeerIP:       h.SrcIP,
		PeerPort:     h.SrcPort,
		Port:         h.DstPort,
		Protocol:     store.ProxyProtocol,
		Action:       store.ProxyAction(h.Action),
		PeerIsSource: true,
		Source:       source,
	}
}
