package intel

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/homesoc/homesoc/internal/event"
)

// Canonical checks an indicator value and returns its canonical type and
// value, the form stored in event.Indicator and hashed into its ID:
//
//   - ip: netip.Addr.String(), IPv4-mapped IPv6 unmapped, zone dropped;
//   - cidr: the masked prefix, at least /8 for IPv4 and /16 for IPv6; a
//     full-length prefix (/32, /128) is an ip;
//   - domain: lower case without a trailing dot;
//   - url: as given (surrounding space trimmed);
//   - hash: lower-case hex of 32, 40 or 64 digits (MD5, SHA-1, SHA-256).
//
// typ is one of the event.Indicator* types or a common alias (ipv4, ipv6,
// ip-dst, ip-src, prefix, network, hostname, fqdn, uri, md5, sha1, sha256,
// and ThreatFox's ip:port, md5_hash, sha1_hash, sha256_hash), case-insensitive;
// empty typ infers the type from the value. An ip:port is the ip of its
// address: the matcher matches addresses, whatever the port.
func Canonical(typ, value string) (string, string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", "", errors.New("empty value")
	}
	switch strings.ToLower(strings.TrimSpace(typ)) {
	case "":
		return infer(value)
	case event.IndicatorIP, "ipv4", "ipv6", "ip-dst", "ip-src", "ip-addr":
		a, ok := parseAddr(value)
		if !ok {
			return "", "", fmt.Errorf("bad ip %s", quote(value))
		}
		return event.IndicatorIP, a.String(), nil
	case typeIPPort:
		ap, err := netip.ParseAddrPort(value)
		if err != nil {
			return "", "", fmt.Errorf("bad ip:port %s", quote(value))
		}
		return event.IndicatorIP, ap.Addr().Unmap().WithZone("").String(), nil
	case event.IndicatorCIDR, "prefix", "network", "subnet":
		if a, ok := parseAddr(value); ok {
			return event.IndicatorIP, a.String(), nil
		}
		p, ok := parsePrefix(value)
		if !ok {
			return "", "", fmt.Errorf("bad cidr %s", quote(value))
		}
		return prefixIndicator(p)
	case event.IndicatorDomain, "hostname", "fqdn", "host":
		d, ok := canonicalDomain(value)
		if !ok {
			return "", "", fmt.Errorf("bad domain %s", quote(value))
		}
		return event.IndicatorDomain, d, nil
	case event.IndicatorURL, "uri":
		if !validURL(value) {
			return "", "", fmt.Errorf("bad url %s", quote(value))
		}
		return event.IndicatorURL, value, nil
	case event.IndicatorHash:
		return canonicalHash(value, 32, 40, 64)
	case "md5", "md5_hash":
		return canonicalHash(value, 32)
	case "sha1", "sha1_hash":
		return canonicalHash(value, 40)
	case "sha256", "sha256_hash":
		return canonicalHash(value, 64)
	}
	return "", "", fmt.Errorf("unknown indicator type %s", quote(typ))
}

// typeIPPort is ThreatFox's type of a C2 address with its port,
// "157.20.182.81:425" or "[2001:db8::1]:443".
const typeIPPort = "ip:port"

// infer tells the type of value by its shape, trying the strictest shapes
// first: an address or prefix, a hash, a URL, a host name.
func infer(value string) (string, string, error) {
	if a, ok := parseAddr(value); ok {
		return event.IndicatorIP, a.String(), nil
	}
	if p, ok := parsePrefix(value); ok {
		return prefixIndicator(p)
	}
	if addr, _, ok := strings.Cut(value, "/"); ok {
		if _, isAddr := parseAddr(addr); isAddr {
			return "", "", fmt.Errorf("bad cidr %s", quote(value))
		}
	}
	if isHex(value) && (len(value) == 32 || len(value) == 40 || len(value) == 64) {
		return event.IndicatorHash, strings.ToLower(value), nil
	}
	if strings.Contains(value, "://") {
		if !validURL(value) {
			return "", "", fmt.Errorf("bad url %s", quote(value))
		}
		return event.IndicatorURL, value, nil
	}
	if d, ok := canonicalDomain(value); ok {
		return event.IndicatorDomain, d, nil
	}
	return "", "", fmt.Errorf("cannot tell indicator type of %s", quote(value))
}

// parseAddr parses an IP address into its canonical form: IPv4-mapped IPv6
// addresses become IPv4 (so they match what the matcher looks up) and zones
// are dropped (an indicator is global, a zone is local to one host).
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// parsePrefix parses a CIDR prefix into its canonical form: masked, and an
// IPv4-mapped IPv6 prefix of /96 or longer expressed as the IPv4 prefix.
func parsePrefix(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// Shortest prefixes taken as indicators. A shorter one is a broken feed line
// ("0.0.0.0/0"), not intelligence, and would raise a sighting for every
// event.
const (
	minBits4 = 8
	minBits6 = 16
)

// prefixIndicator returns the type and value of a canonical prefix: an ip for
// a full-length prefix, else a cidr, unless it is too broad.
func prefixIndicator(p netip.Prefix) (string, string, error) {
	if p.IsSingleIP() {
		return event.IndicatorIP, p.Addr().String(), nil
	}
	minBits := minBits6
	if p.Addr().Is4() {
		minBits = minBits4
	}
	if p.Bits() < minBits {
		return "", "", fmt.Errorf("bad cidr %s: broader than /%d", quote(p.String()), minBits)
	}
	return event.IndicatorCIDR, p.String(), nil
}

// indicatorPrefix is the prefix an ip or cidr indicator covers; false for
// other types and for values that do not parse.
func indicatorPrefix(typ, value string) (netip.Prefix, bool) {
	switch typ {
	case event.IndicatorIP:
		a, ok := parseAddr(value)
		if !ok {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, a.BitLen()), true
	case event.IndicatorCIDR:
		return parsePrefix(value)
	}
	return netip.Prefix{}, false
}

// canonicalHash checks that value is hex of one of the lengths.
func canonicalHash(value string, lengths ...int) (string, string, error) {
	if !isHex(value) {
		return "", "", fmt.Errorf("bad hash %s: not hex", quote(value))
	}
	for _, n := range lengths {
		if len(value) == n {
			return event.IndicatorHash, strings.ToLower(value), nil
		}
	}
	want := fmt.Sprint(lengths[0])
	if len(lengths) == 3 {
		want = "32, 40 or 64"
	}
	return "", "", fmt.Errorf("bad hash %s: %d hex digits, want %s", quote(value), len(value), want)
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// canonicalDomain lower-cases a host name and drops its trailing dot. It
// accepts RFC 1123 names of at least two labels whose top-level label is not
// all digits (so a malformed IPv4 address is not taken for a domain).
func canonicalDomain(s string) (string, bool) {
	s = strings.TrimSuffix(s, ".")
	if len(s) > 253 || !strings.Contains(s, ".") {
		return "", false
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return "", false
			}
		}
	}
	tld := s[strings.LastIndexByte(s, '.')+1:]
	if strings.Trim(tld, "0123456789") == "" {
		return "", false
	}
	return strings.ToLower(s), true
}

// validURL accepts scheme://rest with a well-formed scheme, a non-empty rest
// and no spaces, control characters or bytes that are not UTF-8. URLs are
// otherwise kept as the feed wrote them: normalising them would change what
// they match.
func validURL(s string) bool {
	if !utf8.ValidString(s) {
		return false // stores keep text; a URL on the wire is percent-encoded
	}
	i := strings.Index(s, "://")
	if i <= 0 || i+3 == len(s) {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (j == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	for j := 0; j < len(s); j++ {
		if s[j] <= ' ' || s[j] == 0x7f {
			return false
		}
	}
	return true
}

// quote quotes a value for an error message, cut short if long: a rejection
// reason must stay readable whatever the feed holds.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

// newIndicator returns an active indicator with its deterministic ID.
func newIndicator(feed, typ, value string) event.Indicator {
	return event.Indicator{
		ID:     event.IndicatorID(feed, typ, value),
		Type:   typ,
		Value:  value,
		Feed:   feed,
		Active: true,
	}
}

// mergeIndicator folds a later entry with the same ID into an earlier one: the
// indicator spans both (earliest FirstSeen, latest LastSeen), is active and
// as confident as either, and describes itself (Threat, Fields) as the most
// recently seen entry does; on a tie the earlier entry wins.
func mergeIndicator(dst *event.Indicator, src event.Indicator) {
	if src.LastSeen.After(dst.LastSeen) {
		dst.LastSeen = src.LastSeen
		if src.Threat != "" {
			dst.Threat = src.Threat
		}
		dst.Fields = src.Fields
	}
	if dst.Threat == "" {
		dst.Threat = src.Threat
	}
	if !src.FirstSeen.IsZero() && (dst.FirstSeen.IsZero() || src.FirstSeen.Before(dst.FirstSeen)) {
		dst.FirstSeen = src.FirstSeen
	}
	dst.Active = dst.Active || src.Active
	dst.Confidence = max(dst.Confidence, src.Confidence)
}

// collector builds a LoadResult, merging indicators with the same ID.
type collector struct {
	res   LoadResult
	index map[string]int // ID -> position in res.Indicators
}

func newCollector() *collector { return &collector{index: make(map[string]int)} }

func (c *collector) add(ind event.Indicator) {
	if i, ok := c.index[ind.ID]; ok {
		mergeIndicator(&c.res.Indicators[i], ind)
		c.res.Duplicates++
		return
	}
	c.index[ind.ID] = len(c.res.Indicators)
	c.res.Indicators = append(c.res.Indicators, ind)
}

func (c *collector) reject(line int, reason, raw string) {
	c.res.Rejected = append(c.res.Rejected, Rejected{Line: line, Reason: reason, Raw: raw})
}

func (c *collector) skip() { c.res.Skipped++ }
