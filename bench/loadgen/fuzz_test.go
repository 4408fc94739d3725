package main

import (
	"bytes"
	"net/netip"
	"testing"
)

// FuzzInternalAddrs checks that every address internalAddrs finds in a
// notification line is a 192.168.0.0/16 address written whole in it.
func FuzzInternalAddrs(f *testing.F) {
	f.Add([]byte(`{"labels":{"host":"192.168.1.23","indicator":"198.51.100.77"}}`))
	f.Add([]byte(`192.168.1.2.192.168.1.3 1192.168.1.4 .192.168.1.5`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4096 {
			return
		}
		for _, a := range internalAddrs(b) {
			ip, err := netip.ParseAddr(a)
			if err != nil || !netip.MustParsePrefix("192.168.0.0/16").Contains(ip) || !bytes.Contains(b, []byte(a)) {
				t.Fatalf("internalAddrs(%q) gave %q", b, a)
			}
		}
	})
}
