package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
	"github.com/homesoc/homesoc/internal/notify/sender"
	"github.com/homesoc/homesoc/internal/store"
)

// mkAlert is an open alert of rule with the group host=host.
func mkAlert(rule, host string, seen time.Time) alert.Alert {
	g := map[string]string{"host": host}
	return alert.Alert{ID: alert.Identity(rule, []string{"host"}, g), RuleID: rule, Title: rule + " on " + host,
		Severity: "high", Group: g, FirstSeen: seen, LastSeen: seen, Count: 1, Events: 3,
		Detail: map[string]string{"host": host}, Status: alert.StatusOpen, History: []alert.Transition{}}
}

// outageScript is what each server answers while it is down, in this
// order, before it answers OK again: two refused connections, two 500s
// and two 429s asking to wait a second.
func outageScript() []notifytest.Step {
	var s []notifytest.Step
	s = append(s, notifytest.Times(2, notifytest.Step{Refuse: true})...)
	s = append(s, notifytest.Times(2, notifytest.Step{Status: http.StatusInternalServerError, Body: `{"status":"error"}`})...)
	s = append(s, notifytest.Times(2, notifytest.Step{Status: http.StatusTooManyRequests, RetryAfter: "1",
		Body: `{"status":"throttle event","message":"Requests for this service are arriving too quickly"}`})...)
	return s
}

// TestOutage moves three alerts in two groups through open, acknowledged
// and resolved, one round each, routing and delivering after each change as
// "homesoc alerts notify" does, while the PagerDuty and webhook servers
// refuse connections, then answer 500s, then 429s with Retry-After, and
// only then accept. Every state change must reach PagerDuty exactly once
// (trigger, acknowledge, resolve per dedup_key, in that order) and the
// webhook every message exactly once, in the outbox's order - counting the
// requests the servers accepted, not the attempts.
func TestOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	pd := notifytest.NewServer(t, notifytest.Step{Status: http.StatusAccepted,
		Body: `{"status":"success","message":"Event processed","dedup_key":"x"}`}, outageScript()...)
	hook := notifytest.NewServer(t, notifytest.Step{Status: http.StatusOK}, outageScript()...)
	r := newRouter(t, pd.URL, hook.URL)
	st := openStore(t)
	snd := sender.New(st, r.set.ByName, sender.Options{
		Backoff:   sender.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2},
		RateLimit: map[string]sender.Rate{"pagerduty": {}, "webhook": {}},
	})

	seen := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	as := []alert.Alert{mkAlert("r1", "10.0.0.1", seen), mkAlert("r1", "10.0.0.2", seen), mkAlert("r2", "10.0.0.3", seen)}
	ids := []string{as[0].ID, as[1].ID, as[2].ID}
	if _, err := st.UpsertAlerts(ctx, as); err != nil {
		t.Fatal(err)
	}
	move := func(state string) {
		t.Helper()
		moved, err := st.MoveAlerts(ctx, store.AlertFilter{IDs: ids},
			alert.Transition{State: state, Author: "anna", At: time.Now().UTC(), Comment: "test", By: alert.ByOperator})
		if err != nil || len(moved) != 3 {
			t.Fatalf("move to %s: %d moved, %v", state, len(moved), err)
		}
	}

	// Round 1: three new alerts, two groups: two messages for the webhook,
	// one notification per alert for PagerDuty. The servers refuse: one
	// attempt each, nothing accepted.
	if added := r.route(t, st); added != 5 {
		t.Fatalf("round 1: %d notifications enqueued, want 5", added)
	}
	rep, err := snd.Deliver(ctx, 0)
	if err != nil || rep.Delivered != 0 || rep.Retried != 2 || rep.Pending != 5 {
		t.Fatalf("round 1 (refused): %+v, %v; want 2 retried, 5 pending", rep, err)
	}

	// Round 2: an operator acknowledges all three; the receivers are still
	// down (refused, then 500s): the acknowledgements queue behind the
	// triggers.
	move(alert.StatusAcknowledged)
	if added := r.route(t, st); added != 5 {
		t.Fatalf("round 2: %d notifications enqueued, want 5", added)
	}
	rep, err = snd.Deliver(ctx, 1500*time.Millisecond)
	if err != nil || rep.Delivered != 0 || rep.Pending != 10 {
		t.Fatalf("round 2 (down): %+v, %v; want nothing delivered, 10 pending", rep, err)
	}

	// Round 3: resolved; the receivers come back through 429s.
	move(alert.StatusResolved)
	if added := r.route(t, st); added != 5 {
		t.Fatalf("round 3: %d notifications enqueued, want 5", added)
	}
	rep, err = snd.Deliver(ctx, 30*time.Second)
	if err != nil || rep.Pending != 0 || rep.Dead != 0 {
		t.Fatalf("round 3 (back): %+v, %v; want everything delivered", rep, err)
	}
	// Nothing more is due, and routing again adds nothing.
	if added := r.route(t, st); added != 0 {
		t.Errorf("a fourth round enqueued %d notifications, want none", added)
	}
	if rep, err := snd.Deliver(ctx, 0); err != nil || rep != (sender.Report{}) {
		t.Errorf("a fourth delivery: %+v, %v; want nothing", rep, err)
	}

	// The outbox: 15 notifications, all delivered; the first of each
	// integration failed six times (2 refused, 2 x 500, 2 x 429).
	ns := outbox(t, st)
	var hookIDs []string
	first := map[string]int{}
	for _, n := range ns {
		if n.State != notify.StateDelivered {
			t.Errorf("notification %s (%s): %s, want delivered: %s", n.ID, n.Integration, n.State, n.LastError)
		}
		if _, ok := first[n.Integration]; !ok {
			first[n.Integration] = n.Attempts
		}
		if n.Integration == hookIntegration {
			hookIDs = append(hookIDs, n.ID)
		}
	}
	if len(ns) != 15 || first[pdIntegration] != 6 || first[hookIntegration] != 6 {
		t.Errorf("outbox: %d notifications, first attempts %v; want 15 and 6 failed attempts of each first", len(ns), first)
	}

	// PagerDuty: every state change once, in order per dedup_key.
	perKey := map[string][]string{}
	for _, req := range accepted(pd) {
		key, action, _ := strings.Cut(pdEvent(t, req.Body), " ")
		perKey[key] = append(perKey[key], action)
	}
	want := []string{"trigger", "acknowledge", "resolve"}
	for _, id := range ids {
		if !slices.Equal(perKey[id], want) {
			t.Errorf("pagerduty accepted for dedup_key %s: %v, want %v", id, perKey[id], want)
		}
	}
	if len(perKey) != 3 {
		t.Errorf("pagerduty heard of %d dedup_keys, want 3: %v", len(perKey), perKey)
	}
	if got := len(pd.Requests()) - len(accepted(pd)); got != 6 {
		t.Errorf("pagerduty: %d requests failed, want the 6 of the outage", got)
	}

	// The webhook: each message once, in the outbox's order.
	got := deliveryIDs(accepted(hook))
	if !slices.Equal(got, hookIDs) {
		t.Errorf("webhook accepted deliveries:\n  %v\nwant the outbox's, in Seq order:\n  %v", got, hookIDs)
	}
	if n := len(hook.Requests()) - len(got); n != 6 {
		t.Errorf("webhook: %d requests failed, want the 6 of the outage", n)
	}
	statuses := []int{}
	for _, req := range hook.Requests()[:7] {
		statuses = append(statuses, req.Status)
	}
	if fmt.Sprint(statuses) != "[0 0 500 500 429 429 200]" {
		t.Errorf("webhook answers: %v, want the outage then OK", statuses)
	}
}
