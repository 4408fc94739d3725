package sender_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/sender"
	"github.com/homesoc/homesoc/internal/store"
)

// fast is a back-off of 10 ms without jitter (the outbox rounds a due time
// up to the next second).
var fast = sender.Options{Backoff: sender.Backoff{Initial: 10 * time.Millisecond, Max: 10 * time.Millisecond, Factor: 1}}

// TestDeliverOrderUnderFailures: an integration answering 500s holds its
// queue back until its head is delivered, exactly once each, in order; the
// other integration is not held back.
func TestDeliverOrderUnderFailures(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a := newServer(t, answer{status: 500, body: "busy"}, answer{status: 503}, answer{status: 200}, answer{status: 500})
	b := newServer(t)
	enqueue(t, st, note("a1", "a/webhook/0"), note("b1", "b/webhook/0"), note("a2", "a/webhook/0"), note("b2", "b/webhook/0"), note("a3", "a/webhook/0"))
	s := sender.New(st, map[string]notify.Receiver{"a/webhook/0": a.receiver("a/webhook/0"), "b/webhook/0": b.receiver("b/webhook/0")}, fast)
	rep, err := s.Deliver(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := (sender.Report{Delivered: 5, Retried: 3}); rep != want {
		t.Errorf("report %+v, want %+v", rep, want)
	}
	if got, want := a.received(), []string{"a1", "a1", "a1", "a2", "a2", "a3"}; !slices.Equal(got, want) {
		t.Errorf("a received %v, want %v", got, want)
	}
	if got, want := b.received(), []string{"b1", "b2"}; !slices.Equal(got, want) {
		t.Errorf("b received %v, want %v", got, want)
	}
	out := byMessage(t, st)
	if n := out["a1"]; n.State != notify.StateDelivered || n.Attempts != 2 || n.DeliveredAt.IsZero() ||
		n.LastError != `webhook a/webhook/0: HTTP 503: ""` {
		t.Errorf("a1 stored as %s, %d attempts, delivered %s, last error %q", n.State, n.Attempts, n.DeliveredAt, n.LastError)
	}
	if n := out["b2"]; n.State != notify.StateDelivered || n.Attempts != 0 || n.LastError != "" {
		t.Errorf("b2 stored as %s, %d attempts, %q", n.State, n.Attempts, n.LastError)
	}
	// Nothing is pending: a second run sends nothing.
	if rep, err := s.Deliver(ctx, 0); err != nil || rep != (sender.Report{}) || len(a.received()) != 6 {
		t.Errorf("second run %+v, %v, a received %d", rep, err, len(a.received()))
	}
}

// TestDeliverRetryAfter: a 429's Retry-After sets the next attempt, and
// the queue behind it waits; with no wait Deliver returns at once.
func TestDeliverRetryAfter(t *testing.T) {
	st := openStore(t)
	a := newServer(t, answer{status: http.StatusTooManyRequests, retryAfter: "3"})
	enqueue(t, st, note("a1", "a/webhook/0"), note("a2", "a/webhook/0"))
	s := sender.New(st, map[string]notify.Receiver{"a/webhook/0": a.receiver("a/webhook/0")}, fast)
	before := time.Now()
	rep, err := s.Deliver(context.Background(), 0)
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Retried != 1 || rep.Pending != 2 || rep.Delivered != 0 || rep.Dead != 0 {
		t.Errorf("report %+v, want 1 retried, 2 pending", rep)
	}
	// Due 3 s after the answer, rounded up to the second.
	lo, hi := before.Add(3*time.Second), after.Add(4*time.Second)
	if rep.NextAttempt.Before(lo) || rep.NextAttempt.After(hi) {
		t.Errorf("next attempt %s, want in [%s, %s]", rep.NextAttempt, lo, hi)
	}
	if n := byMessage(t, st)["a1"]; !n.NextAttempt.Equal(rep.NextAttempt) || n.Attempts != 1 || n.LastError != `webhook a/webhook/0: HTTP 429: ""` {
		t.Errorf("a1 stored %+v", n)
	}
	if got := a.received(); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("received %v, want [a1]: a2 waits behind it", got)
	}
}

// TestDeliverPermanent: a 400 is dead at once, and the next one proceeds.
func TestDeliverPermanent(t *testing.T) {
	st := openStore(t)
	a := newServer(t, answer{status: http.StatusBadRequest, body: "bad body"})
	enqueue(t, st, note("a1", "a/webhook/0"), note("a2", "a/webhook/0"))
	s := sender.New(st, map[string]notify.Receiver{"a/webhook/0": a.receiver("a/webhook/0")}, fast)
	rep, err := s.Deliver(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := (sender.Report{Delivered: 1, Dead: 1}); rep != want {
		t.Errorf("report %+v, want %+v", rep, want)
	}
	out := byMessage(t, st)
	if n := out["a1"]; n.State != notify.StateDead || n.Attempts != 1 || n.LastError != `webhook a/webhook/0: HTTP 400: "bad body"` {
		t.Errorf("a1 stored as %s, %d attempts, %q", n.State, n.Attempts, n.LastError)
	}
	if out["a2"].State != notify.StateDelivered {
		t.Errorf("a2 is %s", out["a2"].State)
	}
}

// TestDeliverDeadline: a notification whose next attempt would pass its
// deadline goes dead, saying so; a connection refused is retried until
// then, its error without the URL's secret path.
func TestDeliverDeadline(t *testing.T) {
	st := openStore(t)
	a := newServer(t)
	a.srv.Close() // refuses connections
	n := note("a1", "a/webhook/0")
	n.Deadline = time.Now().Add(2500 * time.Millisecond)
	enqueue(t, st, n)
	s := sender.New(st, map[string]notify.Receiver{"a/webhook/0": a.receiver("a/webhook/0")},
		sender.Options{Backoff: sender.Backoff{Initial: time.Second, Max: time.Second, Factor: 1}})
	rep, err := s.Deliver(context.Background(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Dead != 1 || rep.Retried < 1 || rep.Retried > 2 || rep.Pending != 0 {
		t.Errorf("report %+v, want dead after one or two retries", rep)
	}
	got := byMessage(t, st)["a1"]
	if got.State != notify.StateDead || !strings.Contains(got.LastError, "would pass the deadline") ||
		!strings.Contains(got.LastError, "connection refused") || strings.Contains(got.LastError, "SECRET") ||
		!strings.Contains(got.LastError, `"http://127.0.0.1:`) {
		t.Errorf("stored %s: %q", got.State, got.LastError)
	}
}

// TestRetry: a dead notification is pending again with a new deadline,
// attempts kept, and is delivered; a pending or unknown id is refused.
func TestRetry(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a := newServer(t, answer{status: http.StatusBadRequest})
	n := note("a1", "a/webhook/0")
	enqueue(t, st, n, note("a2", "a/webhook/0"))
	s := sender.New(st, map[string]notify.Receiver{"a/webhook/0": a.receiver("a/webhook/0")}, fast)
	if rep, err := s.Deliver(ctx, 0); err != nil || rep.Dead != 1 {
		t.Fatalf("%+v, %v", rep, err)
	}
	was := byMessage(t, st)
	if _, err := s.Retry(ctx, []string{n.ID, was["a2"].ID}); err == nil || err.Error() != "retry notification "+was["a2"].ID+": it is delivered, not dead" {
		t.Errorf("retry of a delivered one: %v", err)
	}
	if _, err := s.Retry(ctx, []string{"nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("retry of an unknown id: %v", err)
	}
	time.Sleep(time.Second) // the new deadline is a second later
	before := store.OutboxTime(time.Now())
	got, err := s.Retry(ctx, []string{n.ID})
	if err != nil {
		t.Fatal(err)
	}
	stored := byMessage(t, st)["a1"]
	window := was["a1"].Deadline.Sub(was["a1"].CreatedAt)
	if len(got) != 1 || stored.State != notify.StatePending || stored.Attempts != 1 || stored.NextAttempt.Before(before) ||
		stored.Deadline.Before(before.Add(window)) || !stored.Deadline.After(was["a1"].Deadline) {
		t.Errorf("retried %+v (window %s)", stored, window)
	}
	if rep, err := s.Deliver(ctx, 0); err != nil || rep != (sender.Report{Delivered: 1}) {
		t.Errorf("after retry %+v, %v", rep, err)
	}
	if got := a.received(); !slices.Equal(got, []string{"a1", "a2", "a1"}) {
		t.Errorf("received %v", got)
	}
}

// TestDeliverRateLimit: 6 notifications at 10/s with no burst take 0.5 s.
func TestDeliverRateLimit(t *testing.T) {
	st := openStore(t)
	a := newServer(t)
	for _, m := range []string{"a1", "a2", "a3", "a4", "a5", "a6"} {
		enqueue(t, st, note(m, "a/webhook/0"))
	}
	o := fast
	o.RateLimit = map[string]sender.Rate{"webhook": {PerSecond: 10, Burst: 1}}
	s := sender.New(st, map[string]notify.Receiver{"a/webhook/0": a.receiver("a/webhook/0")}, o)
	start := time.Now()
	rep, err := s.Deliver(context.Background(), 0)
	took := time.Since(start)
	if err != nil || rep.Delivered != 6 {
		t.Fatalf("%+v, %v", rep, err)
	}
	if took < 450*time.Millisecond || took > 2*time.Second {
		t.Errorf("6 at 10/s took %s, want about 500ms", took)
	}
}

// TestDeliverUnknownIntegration: a notification for an integration no
// longer configured goes dead, saying which.
func TestDeliverUnknownIntegration(t *testing.T) {
	st := openStore(t)
	enqueue(t, st, note("p1", "soc-pager/pagerduty/0"))
	rep, err := sender.New(st, nil, fast).Deliver(context.Background(), 0)
	if err != nil || rep != (sender.Report{Dead: 1}) {
		t.Fatalf("%+v, %v", rep, err)
	}
	if n := byMessage(t, st)["p1"]; n.State != notify.StateDead || n.Attempts != 0 ||
		n.LastError != "receiver soc-pager/pagerduty/0 is no longer configured" {
		t.Errorf("stored %s, %d, %q", n.State, n.Attempts, n.LastError)
	}
}

// TestDeliverCancel: cancelling stops at once; the send in flight when it
// happened is recorded, the rest stays pending, unsent.
func TestDeliverCancel(t *testing.T) {
	st := openStore(t)
	enqueue(t, st, note("a1", "a/webhook/0"), note("a2", "a/webhook/0"))
	ctx, cancel := context.WithCancel(context.Background())
	var sent []string
	rcv := receiverFunc(func(_ context.Context, n *notify.Notification) error {
		sent = append(sent, n.Message.ID)
		cancel() // Ctrl-C while the receiver answers
		return nil
	})
	rep, err := sender.New(st, map[string]notify.Receiver{"a/webhook/0": rcv}, fast).Deliver(ctx, time.Minute)
	if !errors.Is(err, context.Canceled) || rep.Delivered != 1 {
		t.Errorf("%+v, %v; want 1 delivered, context.Canceled", rep, err)
	}
	out := byMessage(t, st)
	if out["a1"].State != notify.StateDelivered || out["a2"].State != notify.StatePending || !slices.Equal(sent, []string{"a1"}) {
		t.Errorf("a1 %s, a2 %s, sent %v", out["a1"].State, out["a2"].State, sent)
	}
	// A send that fails because of the cancellation is not an attempt.
	ctx, cancel = context.WithCancel(context.Background())
	rcv = receiverFunc(func(ctx context.Context, n *notify.Notification) error {
		cancel()
		return ctx.Err()
	})
	if _, err := sender.New(st, map[string]notify.Receiver{"a/webhook/0": rcv}, fast).Deliver(ctx, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("%v", err)
	}
	if n := byMessage(t, st)["a2"]; n.State != notify.StatePending || n.Attempts != 0 || n.LastError != "" {
		t.Errorf("a2 after a cancelled send: %s, %d, %q", n.State, n.Attempts, n.LastError)
	}
}

// pagedStore is the real store, recording the largest page it was asked
// for and returned.
type pagedStore struct {
	sender.Store
	unbounded, largest int
}

func (p *pagedStore) Notifications(ctx context.Context, f store.NotificationFilter) ([]notify.Notification, error) {
	got, err := p.Store.Notifications(ctx, f)
	if f.Limit == 0 {
		p.unbounded++
	}
	p.largest = max(p.largest, len(got))
	return got, err
}

// TestDeliverReadsInPages: the outbox is read a page at a time, never
// whole, and every notification is still delivered once, in order.
func TestDeliverReadsInPages(t *testing.T) {
	st := openStore(t)
	var want []string
	for i := range 11 {
		m := string(rune('a'+i)) + "1"
		want = append(want, m)
		enqueue(t, st, note(m, "a/jsonl/0"))
	}
	var sent []string
	rcv := receiverFunc(func(_ context.Context, n *notify.Notification) error { sent = append(sent, n.Message.ID); return nil })
	p := &pagedStore{Store: st}
	o := fast
	o.PageSize = 4
	rep, err := sender.New(p, map[string]notify.Receiver{"a/jsonl/0": rcv}, o).Deliver(context.Background(), 0)
	if err != nil || rep != (sender.Report{Delivered: 11}) {
		t.Fatalf("%+v, %v", rep, err)
	}
	if !slices.Equal(sent, want) || p.unbounded != 0 || p.largest != 4 {
		t.Errorf("sent %v, %d reads without a limit, largest page %d; want %v, 0, 4", sent, p.unbounded, p.largest, want)
	}
}
