package dispatch

import (
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
)

// byDetect is a with status and a history entry of detect moving it there.
func byDetect(a alert.Alert, status string, at time.Duration) alert.Alert {
	a = with(a, status, at)
	a.History[len(a.History)-1].By, a.History[len(a.History)-1].Author = alert.ByDetect, alert.DefaultAuthor
	return a
}

// TestTimersByDetect: changes homesoc makes itself (resolve_after, new
// evidence) wait group_interval, and a group firing again after it was told
// resolved waits group_wait, as Alertmanager's; only an operator's change
// is sent at once.
func TestTimersByDetect(t *testing.T) {
	a1 := mk("a", "r1", "high", alert.StatusOpen, 1, -time.Minute)
	aRes := byDetect(a1, alert.StatusResolved, time.Minute)
	aReopen := byDetect(aRes, alert.StatusOpen, 9*time.Hour)
	run(t, []step{
		{at: 0, alerts: []alert.Alert{a1}, want: []string{}, nextDue: 30 * time.Second, groups: 1},
		{at: 30 * time.Second, alerts: []alert.Alert{a1}, want: both(keyR1, "a new"), nextDue: 30*time.Second + 4*time.Hour, groups: 1},
		{at: time.Minute, alerts: []alert.Alert{aRes}, want: []string{}, nextDue: 5*time.Minute + 30*time.Second},
		{at: 5*time.Minute + 30*time.Second, alerts: []alert.Alert{aRes}, want: []string{
			"soc/jsonl/0 " + keyR1 + " resolved: a resolved", "soc/webhook/0 " + keyR1 + " resolved: a resolved"}, noDue: true, groups: 1},
		{at: 9 * time.Hour, alerts: []alert.Alert{aReopen}, want: []string{}, nextDue: 9*time.Hour + 30*time.Second, groups: 1},
		{at: 9*time.Hour + 30*time.Second, alerts: []alert.Alert{aReopen}, want: both(keyR1, "a reopened"),
			nextDue: 13*time.Hour + 30*time.Second, groups: 1},
	}, nil)
}

// TestFlush: with Flush a new group's first message is due at once; later
// ones keep their timers.
func TestFlush(t *testing.T) {
	a1 := mk("a", "r1", "high", alert.StatusOpen, 1, -time.Minute)
	a2 := mk("a", "r1", "high", alert.StatusOpen, 2, 0)
	flush := func(time.Duration) Input { return Input{Flush: true} }
	run(t, []step{
		{at: 0, alerts: []alert.Alert{a1}, want: both(keyR1, "a new"), nextDue: 4 * time.Hour, groups: 1},
		{at: time.Minute, alerts: []alert.Alert{a2}, want: []string{}, nextDue: 5 * time.Minute},
	}, flush)
}
