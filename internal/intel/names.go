package intel

import (
	"cmp"
	"slices"
	"strings"

	"github.com/homesoc/homesoc/internal/event"
)

// Domain and URL indicators are matched by exact lookups of normalised
// text, never by a scan of the indicators: a host name costs one map lookup
// per label suffix (a.evil.example looks up a.evil.example, evil.example
// and example), a URL one lookup of its normal form.

// names holds the domain and url indicators of a Matcher.
type names struct {
	domains map[string][]int32 // canonical domain -> indexes into Matcher.inds
	urls    map[string][]int32 // NormalizeURL of the value -> indexes
}

// NormalizeHost returns a host name as domain indicators hold them: lower
// case, without a trailing dot, a port or IPv6 brackets. It allocates only
// for a name with upper-case letters.
func NormalizeHost(h string) string {
	if h == "" {
		return ""
	}
	if h[0] == '[' { // [v6] or [v6]:port: no domain
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
		h = h[:i] // host:port; a bare IPv6 address has more than one colon
	}
	return lower(strings.TrimSuffix(h, "."))
}

// NormalizeURL returns the form in which URLs are compared with url
// indicators, so that spellings of one resource meet:
//   - a URL without a scheme (Zeek's host+uri, a proxy's bare target) is
//     read as http://;
//   - scheme and host are lower-cased, user info, the host's trailing dot
//     and the scheme's default port (http 80, https 443) dropped;
//   - an empty path is "/", and the fragment is dropped;
//   - path and query are kept byte for byte: no percent-decoding, no case
//     folding, no reordering of parameters, so a URL indicator matches the
//     exact resource its feed listed.
//
// It returns "" for a value with no host.
func NormalizeURL(u string) string {
	scheme, rest, same := "http", u, false // same: u is in normal form so far
	if i := strings.Index(u, "://"); i > 0 {
		scheme, rest = lower(u[:i]), u[i+3:]
		same = scheme == u[:i]
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth, path := rest[:end], rest[end:]
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth, same = auth[i+1:], false
	}
	host, port := auth, ""
	if strings.HasPrefix(auth, "[") {
		if i := strings.IndexByte(auth, ']'); i > 0 {
			host, port = auth[:i+1], strings.TrimPrefix(auth[i+1:], ":")
		}
	} else if i := strings.LastIndexByte(auth, ':'); i >= 0 {
		host, port = auth[:i], auth[i+1:]
	}
	if h := lower(strings.TrimSuffix(host, ".")); h != host {
		host, same = h, false
	}
	if host == "" {
		return ""
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port, same = "", false
	}
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path, same = path[:i], false
	}
	if !strings.HasPrefix(path, "/") {
		path, same = "/"+path, false
	}
	if same {
		return u // the common case, a proxy's absolute URL: no allocation
	}
	var b strings.Builder
	b.Grow(len(scheme) + 3 + len(host) + 1 + len(port) + len(path))
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	b.WriteString(path)
	return b.String()
}

// lower is strings.ToLower without an allocation for text in lower case
// already (strings.ToLower returns such text as it is too, but only after
// a scan that is not inlined; this keeps the intent visible).
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// urlHost returns the host of a URL as logged (with or without a scheme),
// normalised as NormalizeHost does.
func urlHost(u string) string {
	if i := strings.Index(u, "://"); i > 0 {
		u = u[i+3:]
	}
	if end := strings.IndexAny(u, "/?#"); end >= 0 {
		u = u[:end]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	return NormalizeHost(u)
}

// add records indicator i of type domain or url.
func (n *names) add(typ, value string, i int32) bool {
	switch typ {
	case event.IndicatorDomain:
		d := NormalizeHost(value)
		if d == "" {
			return false
		}
		if n.domains == nil {
			n.domains = map[string][]int32{}
		}
		n.domains[d] = append(n.domains[d], i)
	case event.IndicatorURL:
		u := NormalizeURL(value)
		if u == "" {
			return false
		}
		if n.urls == nil {
			n.urls = map[string][]int32{}
		}
		n.urls[u] = append(n.urls[u], i)
	default:
		return false
	}
	return true
}

// domainRefs calls fn with the indicators of every domain indicator that
// covers host (normalised): the name itself and each parent domain, the
// longest first. It does not allocate.
func (n *names) domainRefs(host string, fn func(refs []int32)) {
	if len(n.domains) == 0 || host == "" {
		return
	}
	for s := host; ; {
		if refs, ok := n.domains[s]; ok {
			fn(refs)
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return
		}
		s = s[i+1:]
	}
}

// sort orders the indicators of each name by feed and ID, as the prefix
// table's are, so results do not depend on the order of loading.
func (n *names) sort(inds []event.Indicator) {
	by := func(a, b int32) int {
		ia, ib := &inds[a], &inds[b]
		return cmp.Or(cmp.Compare(ia.Feed, ib.Feed), cmp.Compare(ia.ID, ib.ID))
	}
	for _, refs := range n.domains {
		slices.SortFunc(refs, by)
	}
	for _, refs := range n.urls {
		slices.SortFunc(refs, by)
	}
}
