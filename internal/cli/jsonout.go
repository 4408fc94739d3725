package cli

import (
	"strings"
	"time"
)

// duration formats d as the shortest Go duration string: "24h", "10m",
// "1h30m" (time.Duration.String gives "24h0m0s"), for JSON and tables.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
