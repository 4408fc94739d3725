// Package sender delivers the durable outbox: it reads pending
// notifications from the store, sends each through its integration's
// receiver, and records every outcome at once - delivered, pending again
// after a back-off, or dead. An integration's notifications go one at a
// time in Seq order, so the changes of an alert reach each receiver in the
// order they happened; integrations are delivered concurrently.
//
// Delivery is at least once: the outcome is written after the send, so a
// crash between the two sends the notification again on the next run
// (receivers pass the notification's ID on as the delivery id, and
// PagerDuty deduplicates by the alert's dedup_key).
package sender

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/store"
	"golang.org/x/time/rate"
)

// Store is what the sender needs of store.NotifyStore.
type Store interface {
	// Notifications lists the notifications f selects, by Seq.
	Notifications(ctx context.Context, f store.NotificationFilter) ([]notify.Notification, error)
	// UpdateNotifications saves the delivery state of notifications by ID.
	UpdateNotifications(ctx context.Context, ns []notify.Notification) error
}

// Backoff is the delay before a failed notification is tried again:
// Initial after the first failure, times Factor after each further one, at
// most Max, each spread by up to ±Jitter of itself so that receivers coming
// back are not hit by every sender at once.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Factor  float64
	Jitter  float64 // 0.2: ±20%
}

// DefaultBackoff is the back-off of a zero Options.Backoff.
var DefaultBackoff = Backoff{Initial: time.Second, Max: 5 * time.Minute, Factor: 2, Jitter: 0.2}

// Delay is the back-off after attempts failures (1 for the first), r a
// random number in [0, 1) placing it in the jitter's range.
func (b Backoff) Delay(attempts int, r float64) time.Duration {
	d := float64(b.Initial) * math.Pow(b.Factor, float64(max(attempts-1, 0)))
	d = min(d, float64(b.Max))
	d *= 1 + b.Jitter*(2*r-1)
	return time.Duration(d)
}

// Rate is a token bucket: PerSecond notifications a second on average,
// Burst at once after a quiet time. A zero PerSecond is no limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// DefaultRate is the rate limit of an integration of kind (the KIND of
// "RECEIVER/KIND/INDEX") unless Options.RateLimit names one, after the
// limits the services document: PagerDuty's Events API takes about 120
// events a minute per routing key; Slack's incoming webhooks one message a
// second, with short bursts; mail servers throttle bulk senders. Local
// receivers (webhook, alertmanager) get a generous limit, the JSONL file
// none.
func DefaultRate(kind string) Rate {
	switch kind {
	case "pagerduty":
		return Rate{PerSecond: 2, Burst: 4}
	case "slack":
		return Rate{PerSecond: 1, Burst: 3}
	case "email":
		return Rate{PerSecond: 1, Burst: 5}
	case "jsonl":
		return Rate{}
	default: // webhook, alertmanager
		return Rate{PerSecond: 10, Burst: 10}
	}
}

// Options tune a Sender; the zero value is usable.
type Options struct {
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Backoff between attempts; zero: DefaultBackoff.
	Backoff Backoff
	// RateLimit limits integrations by their name
	// ("soc-pager/pagerduty/0") or their kind ("pagerduty"), the name
	// first; the others get DefaultRate of their kind.
	RateLimit map[string]Rate
	// Rand gives the jitter's random numbers in [0, 1); nil: math/rand/v2.
	Rand func() float64
	// PageSize is how many notifications are read at once; 0: 256.
	PageSize int
	// Workers bounds the integrations delivered at once; 0: 8.
	Workers int
	// Logger logs every outcome; nil: none.
	Logger *slog.Logger
	// MinDeliverTime is the least time a Deliver call may go on starting
	// sends, whatever its wait; 0: DefaultMinDeliverTime.
	MinDeliverTime time.Duration
}

// DefaultMinDeliverTime is how long a Deliver call goes on starting sends
// when its wait is shorter (an acknowledgement's Deliver(ctx, 0)): long
// enough for a few messages at every receiver's rate limit (Slack's one a
// second), short enough that a command does not hang on a backlog, which
// the next call (or "homesoc alerts notify") goes on with.
const DefaultMinDeliverTime = 10 * time.Second

// Sender delivers the outbox. Its methods are safe for concurrent use
// (Deliver calls run one at a time); its rate limits hold across Deliver
// calls. One process at a time should deliver a store's outbox: a second
// one would send the same heads.
type Sender struct {
	st        Store
	receivers map[string]notify.Receiver
	o         Options

	mu       sync.Mutex
	limiters map[string]*rate.Limiter

	// delivering serialises Deliver: two loops over one outbox would
	// send an integration's head twice.
	delivering sync.Mutex
}

// New returns a Sender delivering the notifications of st through
// receivers, keyed by integration name ("soc-pager/pagerduty/0").
func New(st Store, receivers map[string]notify.Receiver, o Options) *Sender {
	if o.Backoff == (Backoff{}) {
		o.Backoff = DefaultBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.PageSize <= 0 {
		o.PageSize = 256
	}
	if o.MinDeliverTime <= 0 {
		o.MinDeliverTime = DefaultMinDeliverTime
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{st: st, receivers: receivers, o: o, limiters: map[string]*rate.Limiter{}}
}

// limiter is the token bucket of integration, made on first use.
func (s *Sender) limiter(integration string) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.limiters[integration]; ok {
		return l
	}
	r, ok := s.o.RateLimit[integration]
	if !ok {
		kind := Kind(integration)
		if r, ok = s.o.RateLimit[kind]; !ok {
			r = DefaultRate(kind)
		}
	}
	l := rate.NewLimiter(rate.Inf, 0)
	if r.PerSecond > 0 {
		l = rate.NewLimiter(rate.Limit(r.PerSecond), max(r.Burst, 1))
	}
	s.limiters[integration] = l
	return l
}

// Kind is the KIND of an integration's name "RECEIVER/KIND/INDEX"; "" when
// it has none.
func Kind(integration string) string {
	end := len(integration)
	for i := end - 1; i >= 0; i-- {
		if integration[i] == '/' {
			if end != len(integration) {
				return integration[i+1 : end]
			}
			end = i
		}
	}
	return ""
}
