package parse

import (
	"testing"
	"time"
)

// TestUnixUTC checks the date arithmetic against time.Date on every day
// from 1970 to 2400 and at a few odd times of day.
func TestUnixUTC(t *testing.T) {
	for d := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2400; d = d.AddDate(0, 0, 1) {
		for _, sec := range []int{0, 59, 86399, -32400, 18000 + 86399} {
			want := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, sec, 0, time.UTC)
			if got := unixUTC(d.Year(), d.Month(), d.Day(), 0, 0, sec); !got.Equal(want) {
				t.Fatalf("unixUTC(%s + %ds) = %v, want %v", d.Format(time.DateOnly), sec, got, want)
			}
		}
	}
}
