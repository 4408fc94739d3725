package sender_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

// contacts are n copies of the sample ioc-contact alert, each its own id
// and host: what a detect of n alerts routes.
func contacts(n int) []notify.Alert {
	as := make([]notify.Alert, n)
	for i := range as {
		a := notifytest.Contact()
		a.ID = fmt.Sprintf("9d8c7b6a-5f4e-5d3c-9b2a-%012d", i)
		host := fmt.Sprintf("172.16.%d.%d", i/256, i%256)
		a.Labels["host"], a.Group["host"], a.Detail["host"] = host, host, host
		as[i] = a
	}
	return as
}

// benchEnqueue writes ns to a fresh in-memory DuckDB outbox per iteration
// and reports the time per notification and per alert.
func benchEnqueue(b *testing.B, ns []notify.Notification) {
	ctx := context.Background()
	alerts := 0
	for _, n := range ns {
		alerts += len(n.AlertIDs)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		st := openStore(b)
		b.StartTimer()
		added, err := st.Enqueue(ctx, ns)
		b.StopTimer()
		if err != nil || added != len(ns) {
			b.Fatalf("Enqueue: %d of %d, %v", added, len(ns), err)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ns)), "ns/notification")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*alerts), "ns/alert")
}

// BenchmarkEnqueue10kGroups writes what a detect of 10,000 alerts routed
// by a group_by of one alert each makes for one integration: 10,000
// notifications of one alert.
func BenchmarkEnqueue10kGroups(b *testing.B) {
	as := contacts(10000)
	ns := make([]notify.Notification, len(as))
	for i := range as {
		n := notifytest.Notification("soc-pager/pagerduty/0", as[i])
		n.Message.ID = fmt.Sprintf("m%05d", i)
		n.ID = notify.NotificationID(n.Message.ID, n.Integration)
		n.GroupKey = "{}/{host=\"" + as[i].Labels["host"] + "\"}"
		ns[i] = *n
	}
	benchEnqueue(b, ns)
}

// BenchmarkEnqueue10kOneGroup writes the one notification of group_by
// [rule] over the same 10,000 alerts: one message carrying them all.
func BenchmarkEnqueue10kOneGroup(b *testing.B) {
	n := notifytest.Notification("soc-pager/pagerduty/0", contacts(10000)...)
	benchEnqueue(b, []notify.Notification{*n})
}

// BenchmarkEnqueue10kOneGroupParts writes what dispatch makes now of
// group_by [rule] over the same 10,000 alerts for a PagerDuty and a Slack
// integration: 10,000 one-alert PagerDuty notifications and the message in
// 100 Slack parts of 100 alerts.
func BenchmarkEnqueue10kOneGroupParts(b *testing.B) {
	const per = 100
	as := contacts(10000)
	ns := make([]notify.Notification, 0, len(as)+len(as)/per)
	for i := range as {
		n := notifytest.Notification("soc-pager/pagerduty/0", as[i])
		n.Message.ID = fmt.Sprintf("a%05d", i)
		n.ID = notify.NotificationID(n.Message.ID, n.Integration)
		ns = append(ns, *n)
	}
	for p := range len(as) / per {
		n := notifytest.Notification("soc-chat/slack/0", as[p*per:(p+1)*per]...)
		n.Message.ID = fmt.Sprintf("p%03d", p)
		n.Message.Part, n.Message.Parts = p+1, len(as)/per
		n.ID = notify.NotificationID(n.Message.ID, n.Integration)
		ns = append(ns, *n)
	}
	benchEnqueue(b, ns)
}
