package duckdb

import "net/netip"

// boolInt is a flag as the 0/1 every engine stores.
func boolInt(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// addrText is an address in the canonical text every engine stores; "" when
// the source had none.
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}
