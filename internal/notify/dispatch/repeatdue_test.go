package dispatch

import (
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
)

// TestPagerDutyRepeatWithChange: a message that tells of a change when the
// group's repeat interval has passed since its last message is its repeat
// too: PagerDuty hears of every firing alert again, not only of the
// changed one; a change sooner tells of the changed one alone.
func TestPagerDutyRepeatWithChange(t *testing.T) {
	tr := testTree(t)
	a := mk("a", "ioc-contact", "critical", alert.StatusOpen, 1, 0)
	b := mk("b", "ioc-contact", "critical", alert.StatusOpen, 1, -time.Minute)
	in := Input{Now: t0, Alerts: []alert.Alert{a, b}, Flush: true,
		Integrations: map[string][]string{"pager": {"pager/pagerduty/0"}}}
	key := "route 1/pager/{}"
	p := Dispatch(tr, in)
	for i, after := range []time.Duration{time.Hour, 5 * time.Hour} { // repeat_interval is 4h
		in.Groups = merge(in.Groups, p)
		in.Now = in.Now.Add(after)
		b.Count, b.LastSeen = int64(i+2), in.Now.Add(-time.Minute)
		in.Alerts = []alert.Alert{a, b}
		p = Dispatch(tr, in)
		want := []string{"pager/pagerduty/0 " + key + " firing: b updated"}
		if after > 4*time.Hour {
			want = append(want, "pager/pagerduty/0 "+key+" firing: a unchanged")
		}
		eqLines(t, "a change "+after.String()+" after the last message", summarize(p), want)
	}
}
