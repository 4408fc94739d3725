// Package delivery_test measures issue 11's delivery end to end inside one
// process: a DuckDB outbox holding the notifications of 10,000 alerts,
// delivered by the sender through the real PagerDuty and Slack receivers to
// a server on 127.0.0.1 that answers like the services.
package delivery_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/dispatch"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
	"github.com/homesoc/homesoc/internal/notify/receivers"
	"github.com/homesoc/homesoc/internal/notify/route"
	"github.com/homesoc/homesoc/internal/notify/sender"
	"github.com/homesoc/homesoc/internal/store"
)

// fake answers like PagerDuty's Events API v2 (/v2/enqueue: 202) and a
// Slack incoming webhook (/slack/...: "ok") and records when each request
// came, by service.
type fake struct {
	mu   sync.Mutex
	at   map[string][]time.Time
	keys map[string]int // PagerDuty events by dedup_key
	srv  *httptest.Server
}

func newFake(t testing.TB) *fake {
	f := &fake{at: map[string][]time.Time{}, keys: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		if _, err := body.ReadFrom(r.Body); err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		now := time.Now()
		f.mu.Lock()
		defer f.mu.Unlock()
		switch {
		case r.URL.Path == "/v2/enqueue":
			f.at["pagerduty"] = append(f.at["pagerduty"], now)
			key := between(body.String(), `"dedup_key":"`, `"`)
			f.keys[key]++
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprintf(w, `{"status":"success","message":"Event processed","dedup_key":%q}`, key)
		case strings.HasPrefix(r.URL.Path, "/slack/"):
			f.at["slack"] = append(f.at["slack"], now)
			w.Write([]byte("ok"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// between is the text of s after the first open up to the next end.
func between(s, open, end string) string {
	_, s, _ = strings.Cut(s, open)
	s, _, _ = strings.Cut(s, end)
	return s
}

// times are the request times of service so far.
func (f *fake) times(service string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time{}, f.at[service]...)
}

// integrations builds receiver "bench"'s PagerDuty and Slack integrations
// posting to f.
func integrations(t testing.TB, f *fake) map[string]notify.Receiver {
	t.Helper()
	set, err := receivers.Build([]config.Receiver{{
		Name:             "bench",
		PagerDutyConfigs: []config.PagerDutyConfig{{RoutingKey: "bench-routing-key", URL: config.URL(f.srv.URL + "/v2/enqueue")}},
		SlackConfigs:     []config.SlackConfig{{APIURL: config.SecretURL{Secret: config.Secret(f.srv.URL + "/slack/T000/B000/token")}}},
	}}, notifytest.Options())
	if err != nil {
		t.Fatal(err)
	}
	return set.ByName
}

// alerts are n copies of the sample ioc-contact alert, each its own id and
// host.
func alerts(n int) []notify.Alert {
	as := make([]notify.Alert, n)
	for i := range as {
		a := notifytest.Contact()
		a.ID = fmt.Sprintf("9d8c7b6a-5f4e-5d3c-9b2a-%012d", i)
		host := fmt.Sprintf("172.16.%d.%d", i/256, i%256)
		a.Labels = map[string]string{"rule": a.Rule, "severity": a.Severity, "status": "open", "host": host}
		a.Group = map[string]string{"host": host}
		as[i] = a
	}
	return as
}

// notifications are the outbox of as routed with one group per alert: a
// message per alert for each integration, due now.
func notifications(as []notify.Alert, integrations ...string) []notify.Notification {
	now := time.Now()
	var ns []notify.Notification
	for i := range as {
		for _, in := range integrations {
			n := notifytest.Notification(in, as[i])
			n.Message.ID = fmt.Sprintf("m%05d", i)
			n.Message.GroupKey = `{}/bench/{host="` + as[i].Labels["host"] + `"}`
			n.ID, n.GroupKey, n.Receiver = notify.NotificationID(n.Message.ID, in), n.Message.GroupKey, "bench"
			n.NextAttempt, n.Deadline = now, now.Add(time.Hour)
			ns = append(ns, *n)
		}
	}
	return ns
}

// TestDrainAtRateLimit10k: 10,000 groups of one alert each for a PagerDuty
// and a Slack integration, 20,000 notifications in the outbox, delivered
// for a bounded window at the default rate limits (PagerDuty 2/s burst 4,
// Slack 1/s burst 3): each integration's requests stay within its token
// bucket and, once the burst is spent, come at its rate; every request is
// recorded delivered; no alert's event is sent twice.
func TestDrainAtRateLimit10k(t *testing.T) {
	if testing.Short() {
		t.Skip("a 6 s window over a 20,000-notification outbox")
	}
	const n, window = 10000, 6 * time.Second
	ctx := context.Background()
	f := newFake(t)
	st := openStore(t)
	if added, err := st.Enqueue(ctx, notifications(alerts(n), "bench/pagerduty/0", "bench/slack/0")); err != nil || added != 2*n {
		t.Fatalf("Enqueue: %d, %v", added, err)
	}
	s := sender.New(st, integrations(t, f), sender.Options{})
	dctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	start := time.Now()
	rep, err := s.Deliver(dctx, 0)
	// The window ends it: ctx's error, or the rate limiter's "would exceed
	// context deadline" when the next token comes after the window.
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("Deliver: %+v, %v; want the window to end it", rep, err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for _, c := range []struct {
		service string
		rate    float64
		burst   int
	}{{"pagerduty", 2, 4}, {"slack", 1, 3}} {
		at := f.times(c.service)
		if len(at) < c.burst+2 {
			t.Fatalf("%s: %d requests in %v", c.service, len(at), window)
		}
		// The token bucket: by any request, at most burst + rate x (time
		// since the first) requests.
		for i, a := range at {
			if allowed := float64(c.burst) + c.rate*a.Sub(at[0]).Seconds() + 0.05; float64(i+1) > allowed {
				t.Errorf("%s: request %d at +%v, beyond the bucket's %.2f", c.service, i+1, a.Sub(at[0]), allowed)
			}
		}
		span := at[len(at)-1].Sub(at[c.burst-1]).Seconds()
		steady := float64(len(at)-c.burst) / span
		if steady < 0.9*c.rate || steady > 1.1*c.rate {
			t.Errorf("%s: %.2f/s after the burst, want %.0f/s", c.service, steady, c.rate)
		}
		t.Logf("%s: %d requests, the first at +%v, then %.2f/s over %.1f s", c.service, len(at), at[0].Sub(start).Round(time.Millisecond), steady, span)
	}
	delivered, err := st.Notifications(ctx, store.NotificationFilter{States: []string{notify.StateDelivered}})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.times("pagerduty")) + len(f.times("slack")); len(delivered) != got {
		t.Errorf("%d notifications recorded delivered, %d sent", len(delivered), got)
	}
	f.mu.Lock()
	for k, c := range f.keys {
		if c != 1 {
			t.Errorf("dedup_key %s sent %d times", k, c)
		}
	}
	f.mu.Unlock()
	t.Logf("heap in use after the window: %.1f MiB", float64(ms.HeapInuse)/(1<<20))
}

// oneGroupYAML routes every alert, grouped by rule, to receiver "bench"'s
// PagerDuty and Slack integrations at URL; group_wait 0s.
const oneGroupYAML = `route:
  receiver: bench
  group_by: [rule]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: bench
    pagerduty_configs:
      - routing_key: bench-routing-key
        url: URL/v2/enqueue
    slack_configs:
      - api_url: URL/slack/T000/B000/token
`

// scanAlerts are n open alerts of one rule, one per scanning source, as
// detect stores them.
func scanAlerts(n int) []alert.Alert {
	t0 := time.Date(2026, 4, 6, 16, 0, 0, 0, time.UTC)
	as := make([]alert.Alert, n)
	for i := range as {
		src := fmt.Sprintf("198.18.%d.%d", i/256, i%256)
		as[i] = alert.Alert{ID: fmt.Sprintf("5c0a7b6a-5f4e-5d3c-9b2a-%012d", i), RuleID: "port-scan-burst",
			Title: "Port scan burst", Severity: "medium", Status: alert.StatusOpen,
			Group: map[string]string{"source": src}, FirstSeen: t0, LastSeen: t0.Add(30 * time.Second),
			Count: 1, Events: 15, Detail: map[string]string{"source": src, "ports": "15"},
			History: []alert.Transition{}}
	}
	return as
}

// BenchmarkRouteDeliver10kOneGroup is what a detect of 10,000 new alerts
// of one rule makes under group_by [rule], and its delivery: routing
// (dispatch.Dispatch: one group, PagerDuty one notification per alert,
// Slack one message in 100 parts of 100 alerts), enqueue and the
// notification log into a fresh DuckDB outbox, then delivery of all
// 10,100 notifications through the real PagerDuty and Slack receivers to a
// server on 127.0.0.1, the rate limits lifted (at the default ones it
// would take 83 min): the cost per notification of the whole path. Each
// alert's event is accepted exactly once, each Slack part once.
func BenchmarkRouteDeliver10kOneGroup(b *testing.B) {
	const n = 10000
	const parts = n / dispatch.MaxAlertsPerMessage
	ctx := context.Background()
	f := newFake(b)
	c, err := config.Parse("homesoc.yaml", []byte(strings.ReplaceAll(oneGroupYAML, "URL", f.srv.URL)), nil)
	if err != nil {
		b.Fatal(err)
	}
	tree, err := route.New(c.Route, c.Receivers)
	if err != nil {
		b.Fatal(err)
	}
	set, err := receivers.Build(c.Receivers, notifytest.Options())
	if err != nil {
		b.Fatal(err)
	}
	as := scanAlerts(n)
	fast := map[string]sender.Rate{"pagerduty": {PerSecond: 1e6, Burst: 1000}, "slack": {PerSecond: 1e6, Burst: 1000}}
	var routing, enqueue, deliver time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		st := openStore(b)
		f.mu.Lock()
		f.at, f.keys = map[string][]time.Time{}, map[string]int{}
		f.mu.Unlock()
		b.StartTimer()
		t0 := time.Now()
		plan := dispatch.Dispatch(tree, dispatch.Input{Now: time.Now(), Alerts: as, Integrations: set.ByReceiver, Rules: map[string]dispatch.RuleInfo{}})
		t1 := time.Now()
		added, err := st.Enqueue(ctx, plan.Notifications)
		if err != nil || added != n+parts {
			b.Fatalf("Enqueue: %d, %v; want %d", added, err, n+parts)
		}
		if err := st.SaveNotifyGroups(ctx, plan.Groups); err != nil || len(plan.Groups) != 1 {
			b.Fatalf("SaveNotifyGroups of %d groups: %v", len(plan.Groups), err)
		}
		t2 := time.Now()
		s := sender.New(st, set.ByName, sender.Options{RateLimit: fast})
		rep, err := s.Deliver(ctx, time.Minute)
		t3 := time.Now()
		b.StopTimer()
		if err != nil || rep.Delivered != n+parts || rep.Pending != 0 {
			b.Fatalf("Deliver: %+v, %v; want %d delivered", rep, err, n+parts)
		}
		routing, enqueue, deliver = routing+t1.Sub(t0), enqueue+t2.Sub(t1), deliver+t3.Sub(t2)
		f.mu.Lock()
		if len(f.keys) != n || len(f.at["pagerduty"]) != n || len(f.at["slack"]) != parts {
			b.Fatalf("%d PagerDuty events of %d dedup_keys, %d Slack messages; want %d, %d, %d",
				len(f.at["pagerduty"]), len(f.keys), len(f.at["slack"]), n, n, parts)
		}
		f.mu.Unlock()
		st.Close()
		b.StartTimer()
	}
	per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
	b.ReportMetric(per(routing), "ms-route")
	b.ReportMetric(per(enqueue), "ms-enqueue")
	b.ReportMetric(per(deliver), "ms-deliver")
	b.ReportMetric(float64(b.N*(n+parts))/deliver.Seconds(), "notifications/s")
}
