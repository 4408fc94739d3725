package duckdb

import "net/netip"

// addrText is an address in the canonical text every engine stores; "" when
// the source had none.
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}
