package duckdb

// boolInt is a flag as the 0/1 every engine stores.
func boolInt(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
