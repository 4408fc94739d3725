package event

import (
	"fmt"
	"time"
)

// Indicator types.
const (
	IndicatorIP     = "ip"
	IndicatorCIDR   = "cidr"
	IndicatorDomain = "domain"
	IndicatorURL    = "url"
	IndicatorHash   = "hash"
)

// Indicator is one threat-intel indicator in homesoc's single schema, whatever
// feed it came from. ID is deterministic over (feed, type, value), so loading
// the same feed twice adds nothing.
type Indicator struct {
	ID         string // IndicatorID(feed, type, value)
	Type       string // IndicatorIP, IndicatorCIDR, ...
	Value      string // canonical: netip text for ip, masked prefix for cidr, lower case for domain
	Feed       string // e.g. "feodo"
	Threat     string // malware family or threat name, e.g. "Emotet"
	Confidence int    // 0..100
	FirstSeen  time.Time
	LastSeen   time.Time
	Active     bool
	Fields     string // the feed's own fields for this indicator, as a JSON object
}

// IndicatorID is the deterministic identity of an indicator. Fields are
// length-prefixed, so no value can shift into another.
func IndicatorID(feed, typ, value string) string {
	return NewID("indicator", fmt.Appendf(nil, "%d:%s%d:%s%d:%s", len(feed), feed, len(typ), typ, len(value), value)).String()
}
