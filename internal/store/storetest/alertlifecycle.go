package storetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/store"
)

// alertLifecycleTests check the alerts' states and their stored history.
var alertLifecycleTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"AlertLifecycle", testAlertLifecycle},
	{"FindAlerts", testFindAlerts},
}

// lifecycleAlerts are three alerts of two rules, seen an hour apart.
func lifecycleAlerts() []alert.Alert {
	mk := func(id, rule, sev string, last time.Time) alert.Alert {
		return alert.Alert{ID: id, RuleID: rule, Title: "t", Severity: sev, Group: map[string]string{"host": id},
			FirstSeen: T0, LastSeen: last, Events: 1, Detail: map[string]string{"host": id}, UpdatedAt: last}
	}
	return []alert.Alert{mk("a1", "port-scan", "medium", T0), mk("a2", "port-scan", "high", T0.Add(time.Hour)),
		mk("a3", "ioc-contact", "high", T0.Add(2*time.Hour))}
}

func historyText(as []alert.Alert) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "%s %s:", a.ID, a.Status)
		for _, h := range a.History {
			fmt.Fprintf(&b, " [%s %s %s %q by %s]", h.State, h.Author, h.At.Format(time.RFC3339), h.Comment, h.By)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func testAlertLifecycle(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.UpsertAlerts(ctx, lifecycleAlerts()); err != nil {
		t.Fatal(err)
	}
	ack := alert.Transition{State: alert.StatusAcknowledged, Author: "anna", At: T0.Add(3*time.Hour + 500*time.Millisecond),
		Comment: "looking, \"now\"", By: alert.ByOperator}
	moved, err := s.MoveAlerts(ctx, store.AlertFilter{IDs: []string{"a1"}}, ack)
	if err != nil || len(moved) != 1 || moved[0].ID != "a1" || moved[0].Status != alert.StatusAcknowledged {
		t.Fatalf("ack: %+v, %v", moved, err)
	}
	// Again: nothing changes, nothing is written.
	if moved, err := s.MoveAlerts(ctx, store.AlertFilter{IDs: []string{"a1"}}, ack); err != nil || len(moved) != 0 || moved == nil {
		t.Fatalf("second ack: %+v, %v; want []", moved, err)
	}
	// An unknown id moves nothing.
	if moved, err := s.MoveAlerts(ctx, store.AlertFilter{IDs: []string{"zz"}}, ack); err != nil || len(moved) != 0 {
		t.Fatalf("unknown id: %+v, %v", moved, err)
	}
	// New evidence for the acknowledged alert keeps it acknowledged.
	f := lifecycleAlerts()[0]
	f.LastSeen, f.UpdatedAt = T0.Add(4*time.Hour), T0.Add(4*time.Hour)
	if c, err := s.UpsertAlerts(ctx, []alert.Alert{f}); err != nil || c != (store.AlertCounts{Updated: 1}) {
		t.Fatalf("evidence: %+v, %v", c, err)
	}
	// resolve_after as detect applies it: the rule's open and acknowledged
	// alerts last seen before a time, in one call.
	auto := alert.Transition{State: alert.StatusResolved, At: T0.Add(5 * time.Hour), Comment: alert.ResolveAfterComment, By: alert.ByDetect}
	moved, err = s.MoveAlerts(ctx, store.AlertFilter{Rules: []string{"port-scan"},
		States: []string{alert.StatusOpen, alert.StatusAcknowledged}, SeenBefore: T0.Add(5 * time.Hour)}, auto)
	if err != nil || len(moved) != 2 {
		t.Fatalf("auto resolve: %+v, %v", moved, err)
	}
	// New evidence reopens a resolved alert, by detect.
	f.LastSeen, f.UpdatedAt = T0.Add(6*time.Hour), T0.Add(6*time.Hour)
	if c, err := s.UpsertAlerts(ctx, []alert.Alert{f}); err != nil || c != (store.AlertCounts{Updated: 1}) {
		t.Fatalf("reopen: %+v, %v", c, err)
	}
	// A state that is none is refused, and changes nothing.
	if _, err := s.MoveAlerts(ctx, store.AlertFilter{IDs: []string{"a2"}}, alert.Transition{State: "closed"}); err == nil ||
		err.Error() != `unknown alert state "closed" (want open, acknowledged or resolved)` {
		t.Fatalf("bad state: %v", err)
	}
	as, err := s.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := `a1 open: [acknowledged anna 2026-04-06T19:05:29Z "looking, \"now\"" by operator] [resolved homesoc 2026-04-06T21:05:29Z "no match for resolve_after" by detect] [open homesoc 2026-04-06T22:05:29Z "new evidence" by detect]
a3 open:
a2 resolved: [resolved homesoc 2026-04-06T21:05:29Z "no match for resolve_after" by detect]
`
	if got := historyText(as); got != want {
		t.Errorf("alerts:\n%s\nwant:\n%s", got, want)
	}
	if as[1].History == nil || as[0].Count != 3 || !as[0].UpdatedAt.Equal(T0.Add(6*time.Hour)) {
		t.Errorf("a1 %+v; a3 history %#v", as[0], as[1].History)
	}
}

func testFindAlerts(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.UpsertAlerts(ctx, lifecycleAlerts()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MoveAlerts(ctx, store.AlertFilter{IDs: []string{"a2"}},
		alert.Transition{State: alert.StatusResolved, At: T0, By: alert.ByOperator}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    store.AlertFilter
		want []string
	}{
		{store.AlertFilter{}, []string{"a3", "a2", "a1"}},
		{store.AlertFilter{States: []string{alert.StatusOpen}}, []string{"a3", "a1"}},
		{store.AlertFilter{States: []string{alert.StatusResolved, alert.StatusAcknowledged}}, []string{"a2"}},
		{store.AlertFilter{Rules: []string{"port-scan"}}, []string{"a2", "a1"}},
		{store.AlertFilter{Severities: []string{"high"}, States: []string{alert.StatusOpen}}, []string{"a3"}},
		{store.AlertFilter{Since: T0.Add(time.Hour)}, []string{"a3", "a2"}}, // at or after
		{store.AlertFilter{SeenBefore: T0.Add(time.Hour)}, []string{"a1"}},  // before
		{store.AlertFilter{IDs: []string{"a1", "a3"}, Rules: []string{"ioc-contact"}}, []string{"a3"}},
		{store.AlertFilter{Rules: []string{"nope"}}, nil},
	} {
		as, err := s.FindAlerts(ctx, c.f)
		if err != nil {
			t.Fatalf("%+v: %v", c.f, err)
		}
		var got []string
		for _, a := range as {
			got = append(got, a.ID)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}
}
