package sender_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/sender"
)

// TestRetryRefusesOlderState: a dead trigger whose alert's resolve was
// delivered after it to the same integration is not made pending (it
// would reopen what the resolve closed), and nothing is; a dead one whose
// later deliveries are about other alerts, or went to another integration,
// is retried.
func TestRetryRefusesOlderState(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a := newServer(t, answer{status: http.StatusBadRequest}, answer{status: 200}, answer{status: http.StatusBadRequest})
	b := newServer(t)
	trigger, resolve := note("trigger", "a/webhook/0"), note("resolve", "a/webhook/0")
	trigger.AlertIDs, resolve.AlertIDs = []string{"alert-x", "alert-y"}, []string{"alert-z", "alert-x"}
	other, unrelated := note("other", "a/webhook/0"), note("unrelated", "a/webhook/0")
	other.AlertIDs = []string{"alert-w"}
	elsewhere := note("elsewhere", "b/webhook/0")
	elsewhere.AlertIDs = []string{"alert-w"}
	enqueue(t, st, trigger, resolve, other, unrelated, elsewhere)
	s := sender.New(st, map[string]notify.Receiver{"a/webhook/0": a.receiver("a/webhook/0"), "b/webhook/0": b.receiver("b/webhook/0")}, fast)
	if rep, err := s.Deliver(ctx, 0); err != nil || rep != (sender.Report{Delivered: 3, Dead: 2}) {
		t.Fatalf("%+v, %v", rep, err)
	}
	was := byMessage(t, st)
	if was["trigger"].State != notify.StateDead || was["other"].State != notify.StateDead || was["resolve"].State != notify.StateDelivered {
		t.Fatalf("trigger %s, other %s, resolve %s", was["trigger"].State, was["other"].State, was["resolve"].State)
	}

	_, err := s.Retry(ctx, []string{other.ID, trigger.ID})
	want := "retry notification " + trigger.ID + ": notification " + resolve.ID + " to a/webhook/0, about the same alert alert-x, " +
		"was delivered after it (seq 2 > 1); sent now the older state would replace the newer one: " +
		"the group's next message (homesoc alerts notify, at its repeat interval) sends its firing alerts' current state"
	if err == nil || err.Error() != want {
		t.Fatalf("retry of a trigger resolved since:\n%v\nwant\n%s", err, want)
	}
	if now := byMessage(t, st); now["trigger"].State != notify.StateDead || now["other"].State != notify.StateDead {
		t.Errorf("a refused retry changed trigger to %s, other to %s", now["trigger"].State, now["other"].State)
	}

	// "unrelated" was delivered after "other" but is about another alert;
	// "elsewhere" is about the same alert, on another integration.
	got, err := s.Retry(ctx, []string{other.ID})
	if err != nil || len(got) != 1 || got[0].State != notify.StatePending {
		t.Fatalf("retry of other: %+v, %v", got, err)
	}
	if rep, err := s.Deliver(ctx, 0); err != nil || rep != (sender.Report{Delivered: 1}) {
		t.Errorf("after retry %+v, %v", rep, err)
	}
	if got, want := a.received(), []string{"trigger", "resolve", "other", "unrelated", "other"}; !slices.Equal(got, want) {
		t.Errorf("a received %v, want %v", got, want)
	}
}
