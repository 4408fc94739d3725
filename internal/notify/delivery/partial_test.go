package delivery_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
	"github.com/homesoc/homesoc/internal/notify/sender"
)

// TestPagerDutyPartialFailure: PagerDuty gets one notification per alert,
// so when the second alert's event fails (a 500) only it is retried: each
// event is accepted once, in order, and the webhook gets its one message
// once.
func TestPagerDutyPartialFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ok := notifytest.Step{Status: http.StatusAccepted, Body: `{"status":"success","dedup_key":"x"}`}
	pd := notifytest.NewServer(t, ok, ok, notifytest.Step{Status: http.StatusInternalServerError})
	hook := notifytest.NewServer(t, notifytest.Step{Status: http.StatusOK})
	r := newRouter(t, pd.URL, hook.URL)
	st := openStore(t)
	snd := sender.New(st, r.set.ByName, sender.Options{
		Backoff:   sender.Backoff{Initial: 10 * time.Millisecond, Max: 10 * time.Millisecond, Factor: 1},
		RateLimit: map[string]sender.Rate{"pagerduty": {}, "webhook": {}},
	})
	seen := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	as := []alert.Alert{mkAlert("r1", "10.0.0.1", seen), mkAlert("r1", "10.0.0.2", seen)}
	if _, err := st.UpsertAlerts(ctx, as); err != nil {
		t.Fatal(err)
	}
	if added := r.route(t, st); added != 3 {
		t.Fatalf("%d notifications enqueued, want 3 (2 PagerDuty, 1 webhook)", added)
	}
	if rep, err := snd.Deliver(ctx, 10*time.Second); err != nil || rep.Delivered != 3 || rep.Retried != 1 {
		t.Fatalf("deliver: %+v, %v; want 3 delivered after 1 retry", rep, err)
	}
	ids := []string{as[0].ID, as[1].ID}
	slices.Sort(ids) // a message's alerts of one severity and last seen go by id
	var got []string
	for _, req := range accepted(pd) {
		got = append(got, pdEvent(t, req.Body))
	}
	want := []string{ids[0] + " trigger", ids[1] + " trigger"}
	if !slices.Equal(got, want) {
		t.Errorf("pagerduty accepted:\n  %v\nwant:\n  %v", got, want)
	}
	if n := len(accepted(hook)); n != 1 {
		t.Errorf("webhook accepted %d requests, want 1", n)
	}
}
