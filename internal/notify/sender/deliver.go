package sender

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/store"
	"golang.org/x/time/rate"
)

// Report says what Deliver did.
type Report struct {
	Delivered int `json:"delivered"`
	Retried   int `json:"retried"` // failed attempts to be tried again
	Dead      int `json:"dead"`
	Pending   int `json:"pending"` // still pending when Deliver returned
	// NextAttempt is when the next send of those still pending is due:
	// the earliest NextAttempt of the first pending notification of each
	// integration; zero when none is pending.
	NextAttempt time.Time `json:"next_attempt"`
}

// Add counts o's deliveries, retries and deaths into r.
func (r *Report) Add(o Report) {
	r.Delivered += o.Delivered
	r.Retried += o.Retried
	r.Dead += o.Dead
}

// recordTimeout bounds writing an outcome after ctx was cancelled.
const recordTimeout = 10 * time.Second

// Deliver sends every pending notification that is due, integration by
// integration in Seq order, and keeps going until nothing more is due
// within wait from now: a retry due within it is waited for, one due later
// ends its integration's turn (and holds back the notifications after it).
// It starts no send once max(wait, Options.MinDeliverTime) has passed since
// the call, rate limits' waits included: a rate-limited backlog is left
// pending (Report.Pending), due, for the next call; a send in flight then
// is finished and recorded, never cut (a cut send may have arrived: it
// would be sent again). Each outcome is written as soon as it is known.
// When ctx is cancelled or its deadline passes it returns at once with
// ctx's error; an outcome already known is still written.
func (s *Sender) Deliver(ctx context.Context, wait time.Duration) (Report, error) {
	start := s.o.Now()
	return s.DeliverUntil(ctx, start.Add(wait), start.Add(max(wait, s.o.MinDeliverTime)))
}

// DeliverUntil is Deliver with its bounds as times: it waits for retries
// due by until, and starts no send after stopBy; a caller that delivers in
// rounds (routing between them) keeps one pair for all of them.
func (s *Sender) DeliverUntil(ctx context.Context, until, stopBy time.Time) (Report, error) {
	s.delivering.Lock()
	defer s.delivering.Unlock()
	integrations, err := s.pendingIntegrations(ctx)
	if err != nil {
		return Report{}, err
	}
	var (
		mu   sync.Mutex
		rep  Report
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, s.o.Workers)
	)
	for _, in := range integrations {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, err := s.deliverIntegration(ctx, in, until, stopBy)
			mu.Lock()
			defer mu.Unlock()
			rep.Add(r)
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	if err := errors.Join(errs...); err != nil {
		return rep, err
	}
	rep.Pending, rep.NextAttempt, err = s.pending(ctx)
	return rep, err
}

// pendingIntegrations lists the integrations with pending notifications,
// by their first one's Seq, reading the outbox a page at a time.
func (s *Sender) pendingIntegrations(ctx context.Context) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	err := s.eachPending(ctx, func(n *notify.Notification) {
		if !seen[n.Integration] {
			seen[n.Integration] = true
			out = append(out, n.Integration)
		}
	})
	return out, err
}

// pending counts the pending notifications and finds when the next send
// is due: the earliest NextAttempt of an integration's head (the
// notifications behind a head wait for it).
func (s *Sender) pending(ctx context.Context) (int, time.Time, error) {
	count, next := 0, time.Time{}
	head := map[string]bool{}
	err := s.eachPending(ctx, func(n *notify.Notification) {
		count++
		if head[n.Integration] {
			return
		}
		head[n.Integration] = true
		if next.IsZero() || n.NextAttempt.Before(next) {
			next = n.NextAttempt
		}
	})
	return count, next, err
}

// eachPending calls fn with every pending notification, by Seq, a page at
// a time.
func (s *Sender) eachPending(ctx context.Context, fn func(*notify.Notification)) error {
	var after int64
	for {
		page, err := s.st.Notifications(ctx, store.NotificationFilter{States: []string{notify.StatePending}, AfterSeq: after, Limit: s.o.PageSize})
		if err != nil {
			return fmt.Errorf("deliver notifications: %w", err)
		}
		for i := range page {
			fn(&page[i])
		}
		if len(page) < s.o.PageSize {
			return nil
		}
		after = page[len(page)-1].Seq
	}
}

// deliverIntegration delivers the pending notifications of integration in
// Seq order until its head is not due by until, or its next send could
// not start by stopBy.
func (s *Sender) deliverIntegration(ctx context.Context, integration string, until, stopBy time.Time) (Report, error) {
	var rep Report
	rcv, known := s.receivers[integration]
	lim := s.limiter(integration)
	for {
		page, err := s.st.Notifications(ctx, store.NotificationFilter{States: []string{notify.StatePending},
			Integrations: []string{integration}, Limit: s.o.PageSize})
		if err != nil {
			return rep, fmt.Errorf("deliver %s: %w", integration, err)
		}
		if len(page) == 0 {
			return rep, nil
		}
		for _, n := range page {
			for n.State == notify.StatePending {
				if err := ctx.Err(); err != nil {
					return rep, err
				}
				now := s.o.Now()
				if !known {
					n = gone(n, now)
				} else if n.NextAttempt.After(now) {
					if n.NextAttempt.After(until) {
						return rep, nil // the head waits: so does the rest of its queue
					}
					if err := sleep(ctx, n.NextAttempt.Sub(now)); err != nil {
						return rep, err
					}
					continue
				} else {
					ok, err := s.take(ctx, lim, stopBy)
					if err != nil {
						return rep, err
					}
					if !ok {
						return rep, nil // out of time: the rest stays pending, due
					}
					sent := n
					err = rcv.Send(ctx, &sent)
					if err != nil && ctx.Err() != nil {
						// Cut short by us, not refused by the receiver: it
						// stays pending and due.
						return rep, ctx.Err()
					}
					n = s.outcome(n, err, s.o.Now())
				}
				if err := s.record(ctx, n); err != nil {
					return rep, err
				}
				switch n.State {
				case notify.StateDelivered:
					rep.Delivered++
				case notify.StateDead:
					rep.Dead++
				default:
					rep.Retried++
				}
			}
		}
	}
}

// take waits for a token of lim and reports true, or reports false at
// once when the token would come after stopBy (no send starts after it).
// Cancelled, it returns ctx's error and gives the token back.
func (s *Sender) take(ctx context.Context, lim *rate.Limiter, stopBy time.Time) (bool, error) {
	now := s.o.Now()
	if now.After(stopBy) {
		return false, nil
	}
	r := lim.Reserve()
	if !r.OK() {
		return false, nil // no burst: a limiter New never makes
	}
	d := r.Delay()
	if now.Add(d).After(stopBy) {
		r.Cancel()
		return false, nil
	}
	if err := sleep(ctx, d); err != nil {
		r.Cancel()
		return false, err
	}
	return true, nil
}

// record writes n's outcome, even when ctx was cancelled meanwhile: the
// send happened.
func (s *Sender) record(ctx context.Context, n notify.Notification) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.st.UpdateNotifications(wctx, []notify.Notification{n}); err != nil {
		return fmt.Errorf("record delivery of notification %s to %s: %w", n.ID, n.Integration, err)
	}
	s.o.Logger.Info("notification", "id", n.ID, "integration", n.Integration, "state", n.State,
		"attempts", n.Attempts, "next_attempt", n.NextAttempt, "err", n.LastError)
	return nil
}

// gone is n dead because its integration is no longer configured.
func gone(n notify.Notification, now time.Time) notify.Notification {
	n.State, n.UpdatedAt = notify.StateDead, now
	n.LastError = fmt.Sprintf("receiver %s is no longer configured", n.Integration)
	return n
}

// outcome is n after a send at now that returned err.
func (s *Sender) outcome(n notify.Notification, err error, now time.Time) notify.Notification {
	n.UpdatedAt = now
	if err == nil {
		n.State, n.DeliveredAt = notify.StateDelivered, now
		return n
	}
	n.Attempts++
	n.LastError = Scrub(err.Error())
	permanent, after := notify.Classify(err)
	if permanent {
		n.State = notify.StateDead
		return n
	}
	next := store.DueTime(now.Add(max(s.o.Backoff.Delay(n.Attempts, s.o.Rand()), after)))
	if !n.Deadline.IsZero() && next.After(n.Deadline) {
		n.State = notify.StateDead
		n.LastError = fmt.Sprintf("%s (gave up after %d attempts: the next at %s would pass the deadline %s)",
			n.LastError, n.Attempts, next.Format(time.RFC3339), n.Deadline.Format(time.RFC3339))
		return n
	}
	n.State, n.NextAttempt = notify.StatePending, next
	return n
}

// urlRest matches a URL's user info, path, query and fragment.
var urlRest = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^@/\s"'?#]*@)?([^/\s"'?#]*)[^\s"']*`)

// Scrub removes from an error's text what a URL may hide a secret in (its
// user info, path and query: Slack's webhook path, a routing key in a
// query), keeping scheme and host: receivers promise errors without
// secrets, and the outbox does not take their word for it.
func Scrub(text string) string {
	return urlRest.ReplaceAllString(text, "$1$2")
}

// sleep waits d, or until ctx is cancelled.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
