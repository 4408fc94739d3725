package scan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/homesoc/homesoc/internal/ipscope"
)

// CheckTargets refuses every target that is not a global unicast address
// (private, loopback, link-local, ULA, multicast, CGNAT, unspecified,
// documentation, reserved, or invalid) unless it lies inside one of the
// allowed prefixes. Targets come from detections and operators; a scan of
// someone's LAN or of a documentation range is always a mistake to stop
// before the first packet. The error lists every refused target with its
// scope and the --allow flag that would admit it.
func CheckTargets(targets []netip.Addr, allow []netip.Prefix) error {
	var refused []string
	for _, t := range targets {
		if !t.IsValid() {
			refused = append(refused, "an invalid address (the zero netip.Addr)")
			continue
		}
		sc := ipscope.Of(t)
		if sc == ipscope.Global || allowed(t, allow) {
			continue
		}
		refused = append(refused, fmt.Sprintf("%s (%s): pass --allow %s to scan it", t, sc, suggestPrefix(t, sc)))
	}
	switch len(refused) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("refusing to scan %s", refused[0])
	}
	return fmt.Errorf("refusing to scan %d targets:\n  %s", len(refused), strings.Join(refused, "\n  "))
}

func allowed(a netip.Addr, allow []netip.Prefix) bool {
	u := a.Unmap().WithZone("")
	for _, p := range allow {
		if p.Contains(u) || p.Contains(a.WithZone("")) {
			return true
		}
	}
	return false
}

// suggestPrefix names the range of scope sc holding a, so the message can say
// what to allow; outside a named range, the address alone.
func suggestPrefix(a netip.Addr, sc ipscope.Scope) string {
	u := a.Unmap().WithZone("")
	for _, p := range []string{
		"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
		"169.254.0.0/16", "fe80::/10", "fc00::/7",
	} {
		if pp := netip.MustParsePrefix(p); pp.Contains(u) {
			return p
		}
	}
	return netip.PrefixFrom(u, u.BitLen()).String()
}
