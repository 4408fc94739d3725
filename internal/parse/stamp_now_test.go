package parse

import (
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// A parser of a stream (Options.Now) places yearless stamps by the moving
// clock: one parser serves a sender across New Year.
func TestStampClockFollowsNow(t *testing.T) {
	now := time.Date(2026, 12, 31, 10, 0, 0, 0, time.UTC)
	p := netfilterFormat(t).New(Options{ModTime: now, Now: func() time.Time { return now }})
	line := func(stamp string) time.Time {
		var ev event.Network
		if err := p.Parse([]byte(stamp+" router kernel: DROP IN=eth0 OUT= SRC=203.0.113.9 DST=192.0.2.1 PROTO=TCP SPT=1 DPT=22"), &ev); err != nil {
			t.Fatal(err)
		}
		return ev.Time
	}
	if got := line("Dec 31 09:59:00"); got.Year() != 2026 {
		t.Errorf("Dec 31 on Dec 31: %v", got)
	}
	now = time.Date(2027, 1, 2, 8, 0, 0, 0, time.UTC) // two days on, the same parser
	if got := line("Jan  2 07:59:00"); got.Year() != 2027 {
		t.Errorf("Jan 2 on Jan 2 2027: %v, want 2027", got)
	}
	if got := line("Dec 31 23:59:00"); got.Year() != 2026 {
		t.Errorf("a late Dec 31 line on Jan 2 2027: %v, want 2026", got)
	}
	var ev event.Network
	if err := p.Parse([]byte("kernel: DROP IN=eth0 OUT= SRC=203.0.113.9 DST=192.0.2.1 PROTO=TCP SPT=1 DPT=22"), &ev); err != nil {
		t.Fatal(err)
	}
	if !ev.Time.Equal(now) {
		t.Errorf("a line without a stamp: %v, want now %v", ev.Time, now)
	}
}

func netfilterFormat(t *testing.T) Format {
	t.Helper()
	f, err := Lookup("netfilter")
	if err != nil {
		t.Fatal(err)
	}
	return f
}
