package store

import "strings"

// ProxyProtocol is the protocol of a sighting from a proxy event
// (http_events): it tells those apart from sightings of network events,
// whose protocol is the transport's (tcp, udp, ...).
const ProxyProtocol = "http"

// ProxyAction is the action of a sighting from a proxy event whose proxy
// verdict is verdict: "deny" when the proxy refused the request (Squid's
// TCP_DENIED, TCP_DENIED_REPLY, UDP_DENIED, ...), "allow" otherwise
// (Zeek's http.log has no verdict: it saw the request on the wire). The
// client made the request either way, so such a sighting is always
// peer_is_src = 1, and ioc-contact raises it as a blocked outbound
// connection is raised. Both engines' retro-hunts spell the same rule in
// SQL.
func ProxyAction(verdict string) string {
	if strings.Contains(verdict, "DENIED") {
		return "deny"
	}
	return "allow"
}

// NameMatch is a stored http_events host or URL, exactly as stored, that
// falls under an indicator (a domain indicator through the name or a
// subdomain of it, a url indicator through the normalised URL).
type NameMatch struct {
	Name        string
	IndicatorID string
}
