package sender_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/sender"
)

// recorder is a receiver recording the message ids sent, after taking
// took each.
type recorder struct {
	mu   sync.Mutex
	sent []string
	took time.Duration
}

func (r *recorder) Send(_ context.Context, n *notify.Notification) error {
	time.Sleep(r.took)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, n.Message.ID)
	return nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.sent...)
}

// enqueueMany enqueues n notifications for integration, m00 on, and
// returns their message ids in order.
func enqueueMany(t *testing.T, st interface {
	Enqueue(context.Context, []notify.Notification) (int, error)
}, integration string, n int) []string {
	t.Helper()
	var ns []notify.Notification
	var ids []string
	for i := range n {
		m := fmt.Sprintf("m%02d", i)
		ns = append(ns, note(m, integration))
		ids = append(ids, m)
	}
	if added, err := st.Enqueue(context.Background(), ns); err != nil || added != n {
		t.Fatalf("Enqueue: %d, %v", added, err)
	}
	return ids
}

// TestDeliverBoundedByWait: 50 pending at 10/s (burst 1) with a wait of
// 1 s: Deliver returns after about a second, the first 10 or 11 sent in
// order and recorded delivered, the rest pending and due; the next call
// goes on from there.
func TestDeliverBoundedByWait(t *testing.T) {
	st := openStore(t)
	want := enqueueMany(t, st, "a/webhook/0", 50)
	rcv := &recorder{}
	o := fast
	o.RateLimit = map[string]sender.Rate{"webhook": {PerSecond: 10, Burst: 1}}
	o.MinDeliverTime = time.Nanosecond
	s := sender.New(st, map[string]notify.Receiver{"a/webhook/0": rcv}, o)
	start := time.Now()
	rep, err := s.Deliver(context.Background(), time.Second)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	sent := rcv.got()
	if took < 900*time.Millisecond || took > 1500*time.Millisecond {
		t.Errorf("took %s, want about 1s", took)
	}
	if len(sent) < 10 || len(sent) > 11 || !slices.Equal(sent, want[:len(sent)]) {
		t.Errorf("sent %v, want the first 10 or 11 of %v", sent, want)
	}
	if rep.Delivered != len(sent) || rep.Pending != 50-len(sent) || rep.Retried != 0 || rep.Dead != 0 ||
		rep.NextAttempt.IsZero() || rep.NextAttempt.After(time.Now()) {
		t.Errorf("report %+v after %d sent; want the rest pending, due now", rep, len(sent))
	}
	out := byMessage(t, st)
	for i, m := range want {
		if st := out[m].State; (i < len(sent)) != (st == notify.StateDelivered) {
			t.Errorf("%s (%d of %d sent) is %s", m, i, len(sent), st)
		}
	}
	// The next call sends on, in order.
	rep2, err := s.Deliver(context.Background(), 500*time.Millisecond)
	if err != nil || rep2.Delivered < 4 || rep2.Pending != rep.Pending-rep2.Delivered {
		t.Errorf("second call %+v, %v", rep2, err)
	}
	if got := rcv.got(); !slices.Equal(got, want[:len(got)]) {
		t.Errorf("sent %v, want a prefix of %v", got, want)
	}
}

// TestDeliverMinTime: with no wait (an acknowledgement's Deliver) sends go
// on for MinDeliverTime; a send in flight when it passes is finished and
// recorded, not cut, and no other starts.
func TestDeliverMinTime(t *testing.T) {
	st := openStore(t)
	want := enqueueMany(t, st, "a/webhook/0", 5)
	rcv := &recorder{took: 300 * time.Millisecond}
	o := fast
	o.MinDeliverTime = 400 * time.Millisecond
	s := sender.New(st, map[string]notify.Receiver{"a/webhook/0": rcv}, o)
	start := time.Now()
	rep, err := s.Deliver(context.Background(), 0)
	took := time.Since(start)
	if err != nil || rep != (sender.Report{Delivered: 2, Pending: 3, NextAttempt: rep.NextAttempt}) || rep.NextAttempt.IsZero() {
		t.Fatalf("%+v, %v; want 2 delivered, 3 pending", rep, err)
	}
	if took < 600*time.Millisecond || took > 1200*time.Millisecond {
		t.Errorf("took %s, want about 600ms (the second send finished)", took)
	}
	if got := rcv.got(); !slices.Equal(got, want[:2]) {
		t.Errorf("sent %v, want %v", got, want[:2])
	}
	if n := byMessage(t, st)["m01"]; n.State != notify.StateDelivered {
		t.Errorf("the send in flight at the bound is %s, want delivered", n.State)
	}
}

// TestDeliverContextDeadline: a context deadline shorter than the rate
// limit's wait ends Deliver at the deadline with the context's error (not
// the rate limiter's), the token's wait unspent.
func TestDeliverContextDeadline(t *testing.T) {
	st := openStore(t)
	enqueueMany(t, st, "a/webhook/0", 3)
	rcv := &recorder{}
	o := fast
	o.RateLimit = map[string]sender.Rate{"webhook": {PerSecond: 1, Burst: 1}}
	s := sender.New(st, map[string]notify.Receiver{"a/webhook/0": rcv}, o)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	rep, err := s.Deliver(ctx, time.Minute)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || err != ctx.Err() || rep.Delivered != 1 {
		t.Errorf("%+v, %v; want 1 delivered, %v", rep, err, context.DeadlineExceeded)
	}
	if took < 250*time.Millisecond || took > time.Second {
		t.Errorf("took %s, want about 300ms", took)
	}
}
