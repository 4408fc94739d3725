//go:build unix

package cli

import (
	"slices"
	"testing"
)

// TestKillBeforeSend kills "alerts notify" with SIGKILL after it wrote the
// outbox and while it retries a receiver that refuses connections: nothing
// was accepted, and the next run, with the receiver back, delivers every
// notification exactly once.
func TestKillBeforeSend(t *testing.T) {
	srv := newKillServer(t, killRefuse)
	data, cfg := killData(t, srv)
	cmd := startNotify(t, data, cfg)
	// Retrying: each integration's head was refused twice (the first
	// failure is recorded before the second attempt).
	srv.waitFor(t, "two refused attempts of each integration", func(rs []killRequest) bool {
		return count(rs, "/pd", killRefuse) >= 2 && count(rs, "/hook", killRefuse) >= 2
	})
	kill9(t, cmd)

	ns := outboxOf(t, data, cfg)
	if len(ns) != 7 {
		t.Fatalf("outbox after the kill: %d notifications, want 7 (the webhook's 3 groups, PagerDuty's 4 alerts): %+v", len(ns), ns)
	}
	for _, n := range ns {
		if n.State != "pending" {
			t.Errorf("notification %s (%s) is %s after the kill, want pending", n.ID, n.Integration, n.State)
		}
	}

	srv.setMode(killAccept)
	notifyAgain(t, data, cfg)
	notifyAgain(t, data, cfg) // and nothing more is sent

	var hook, events []string
	for _, r := range srv.requests() {
		switch {
		case r.mode != killAccept:
		case r.path == "/hook":
			hook = append(hook, r.delivery)
		default:
			events = append(events, r.event)
		}
	}
	var want []string
	for _, n := range outboxOf(t, data, cfg) {
		if n.State != "delivered" {
			t.Errorf("notification %s (%s): %s, want delivered", n.ID, n.Integration, n.State)
		}
		if n.Integration == "oncall/webhook/0" {
			want = append(want, n.ID)
		}
	}
	if !slices.Equal(hook, want) {
		t.Errorf("webhook accepted:\n  %v\nwant each notification once, in the outbox's order:\n  %v", hook, want)
	}
	var triggers []string
	for _, id := range alertIDs(t, data) {
		triggers = append(triggers, id+" trigger")
	}
	slices.Sort(events)
	if !slices.Equal(events, triggers) {
		t.Errorf("pagerduty accepted:\n  %v\nwant one trigger per alert:\n  %v", events, triggers)
	}
}

// TestKillAfterSend kills "alerts notify" with SIGKILL after the receivers
// got a notification and before they answered: the outbox never learnt it
// was delivered, so the next run sends it again - the duplicate the README
// promises, with the same X-Homesoc-Delivery id and the same PagerDuty
// dedup_key and action - and then never again.
func TestKillAfterSend(t *testing.T) {
	srv := newKillServer(t, killBlock)
	data, cfg := killData(t, srv)
	cmd := startNotify(t, data, cfg)
	srv.waitFor(t, "a request of each integration", func(rs []killRequest) bool {
		return count(rs, "/pd", killBlock) >= 1 && count(rs, "/hook", killBlock) >= 1
	})
	kill9(t, cmd)
	srv.unblock()
	before := srv.requests()
	if len(before) != 2 {
		t.Fatalf("before the kill: %+v, want one request per integration", before)
	}
	var blockedHook, blockedEvent string
	for _, r := range before {
		if r.path == "/hook" {
			blockedHook = r.delivery
		} else {
			blockedEvent = r.event
		}
	}
	for _, n := range outboxOf(t, data, cfg) {
		if n.State != "pending" || n.Attempts != 0 {
			t.Errorf("notification %s (%s) after the kill: %s after %d attempts, want pending, none recorded", n.ID, n.Integration, n.State, n.Attempts)
		}
	}

	srv.setMode(killAccept)
	notifyAgain(t, data, cfg)
	notifyAgain(t, data, cfg) // and nothing more is sent

	var hook, events []string
	for _, r := range srv.requests()[len(before):] {
		if r.path == "/hook" {
			hook = append(hook, r.delivery)
		} else {
			events = append(events, r.event)
		}
	}
	var want []string
	for _, n := range outboxOf(t, data, cfg) {
		if n.State != "delivered" {
			t.Errorf("notification %s (%s): %s, want delivered", n.ID, n.Integration, n.State)
		}
		if n.Integration == "oncall/webhook/0" {
			want = append(want, n.ID)
		}
	}
	// After the restart: the one sent before the kill first, again, then
	// the rest; each once.
	if len(hook) == 0 || hook[0] != blockedHook || !slices.Equal(hook, want) {
		t.Errorf("webhook after the restart:\n  %v\nwant %s again first, and each notification once in the outbox's order:\n  %v", hook, blockedHook, want)
	}
	if len(events) == 0 || events[0] != blockedEvent {
		t.Errorf("pagerduty after the restart: %v, want %q again first", events, blockedEvent)
	}
	var triggers []string
	for _, id := range alertIDs(t, data) {
		triggers = append(triggers, id+" trigger")
	}
	slices.Sort(events)
	if !slices.Equal(events, triggers) {
		t.Errorf("pagerduty after the restart:\n  %v\nwant one trigger per alert:\n  %v", events, triggers)
	}
}
