package assets

import (
	"fmt"
	"net"
	"strings"
)

// NormalMAC returns a MAC-48 address as aa:bb:cc:dd:ee:ff, from any of the
// forms inventories and EDRs write: colons, hyphens (3C-22-FB-01-02-03),
// Cisco's dots (3c22.fb01.0203) or twelve bare hex digits.
func NormalMAC(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) == 12 && !strings.ContainsAny(s, ":-.") {
		s = s[0:2] + ":" + s[2:4] + ":" + s[4:6] + ":" + s[6:8] + ":" + s[8:10] + ":" + s[10:12]
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return "", fmt.Errorf("bad MAC address %q: want six bytes such as aa:bb:cc:dd:ee:ff", s)
	}
	return hw.String(), nil
}

// normalMACs normalises each MAC; one that is not a MAC is kept in lower
// case rather than lost (the importer rejects those before).
func normalMACs(ms []string) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		if n, err := NormalMAC(m); err == nil {
			out = append(out, n)
		} else {
			out = append(out, strings.ToLower(strings.TrimSpace(m)))
		}
	}
	return sortedSet(out)
}
