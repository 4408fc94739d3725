// Package delivery_test holds the reliability tests of issue 11's delivery:
// the router, the durable outbox on a real DuckDB store and the real
// PagerDuty and webhook receivers, against servers on 127.0.0.1 that fail
// in the ways real ones do.
package delivery_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/dispatch"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
	"github.com/homesoc/homesoc/internal/notify/receivers"
	"github.com/homesoc/homesoc/internal/notify/route"
	"github.com/homesoc/homesoc/internal/notify/webhook"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// openStore is a fresh in-memory DuckDB store.
func openStore(t testing.TB) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// configYAML routes everything, grouped by rule, to one receiver with a
// PagerDuty and a webhook integration; group_wait 0s sends a new group at
// once, and repeat_interval is far beyond the test.
const configYAML = `route:
  receiver: oncall
  group_by: [rule]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 24h
receivers:
  - name: oncall
    pagerduty_configs:
      - routing_key: test-routing-key
        url: PD_URL/v2/enqueue
    webhook_configs:
      - url: HOOK_URL/hook
`

const (
	pdIntegration   = "oncall/pagerduty/0"
	hookIntegration = "oncall/webhook/0"
)

// router is the route tree and the integrations of configYAML pointed at
// the two servers.
type router struct {
	tree *route.Tree
	set  receivers.Set
}

func newRouter(t testing.TB, pdURL, hookURL string) router {
	t.Helper()
	y := strings.NewReplacer("PD_URL", pdURL, "HOOK_URL", hookURL).Replace(configYAML)
	c, err := config.Parse("homesoc.yaml", []byte(y), nil)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := route.New(c.Route, c.Receivers)
	if err != nil {
		t.Fatal(err)
	}
	set, err := receivers.Build(c.Receivers, notify.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if got := set.ByReceiver["oncall"]; !slices.Equal(got, []string{pdIntegration, hookIntegration}) {
		t.Fatalf("integrations of oncall: %v", got)
	}
	return router{tree: tree, set: set}
}

// input reads what Dispatch needs from st as the CLI does: the open and
// acknowledged alerts, the resolved ones the notification log still holds,
// and the log.
func (r router) input(t testing.TB, st store.Store) dispatch.Input {
	t.Helper()
	ctx := context.Background()
	in := dispatch.Input{Now: store.Now(), Integrations: r.set.ByReceiver, Rules: map[string]dispatch.RuleInfo{}}
	var err error
	if in.Groups, err = st.NotifyGroups(ctx); err != nil {
		t.Fatal(err)
	}
	if in.Alerts, err = st.FindAlerts(ctx, store.AlertFilter{States: []string{alert.StatusOpen, alert.StatusAcknowledged}}); err != nil {
		t.Fatal(err)
	}
	logged := map[string]bool{}
	for _, g := range in.Groups {
		for id := range g.Alerts {
			logged[id] = true
		}
	}
	resolved, err := st.FindAlerts(ctx, store.AlertFilter{States: []string{alert.StatusResolved}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range resolved {
		if logged[a.ID] {
			in.Alerts = append(in.Alerts, a)
		}
	}
	return in
}

// route routes st's alerts now and writes the plan as the CLI does: the
// outbox, then the notification log. It returns how many notifications the
// outbox added.
func (r router) route(t testing.TB, st store.Store) int {
	t.Helper()
	ctx := context.Background()
	plan := dispatch.Dispatch(r.tree, r.input(t, st))
	added, err := st.Enqueue(ctx, plan.Notifications)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveNotifyGroups(ctx, plan.Groups); err != nil {
		t.Fatal(err)
	}
	return added
}

// pdEvent is what a PagerDuty server was told: "DEDUP_KEY ACTION".
func pdEvent(t testing.TB, body []byte) string {
	t.Helper()
	var ev struct {
		DedupKey    string `json:"dedup_key"`
		EventAction string `json:"event_action"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("pagerduty body: %v\n%s", err, body)
	}
	return ev.DedupKey + " " + ev.EventAction
}

// accepted are the requests the server answered 2xx, in order.
func accepted(s *notifytest.Server) []notifytest.Request {
	var out []notifytest.Request
	for _, r := range s.Requests() {
		if r.Status >= 200 && r.Status < 300 {
			out = append(out, r)
		}
	}
	return out
}

// deliveryIDs are the X-Homesoc-Delivery ids of reqs, in order.
func deliveryIDs(reqs []notifytest.Request) []string {
	out := []string{}
	for _, r := range reqs {
		out = append(out, r.Header.Get(webhook.HeaderDelivery))
	}
	return out
}

// outbox is the whole outbox, by Seq.
func outbox(t testing.TB, st store.NotifyStore) []notify.Notification {
	t.Helper()
	ns, err := st.Notifications(context.Background(), store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}
