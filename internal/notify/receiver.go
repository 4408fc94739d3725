package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Receiver delivers messages to one integration (one entry of a receiver's
// *_configs). Send must be safe to call again with the same message after an
// error or a crash (the outbox retries): receivers pass n.ID on as the
// delivery id where the far end deduplicates (PagerDuty's dedup_key is the
// alert id; webhooks get a delivery id header).
type Receiver interface {
	// Send delivers n.Message. An error is retried unless it is Permanent;
	// one made by Retry may ask for a delay. Errors must never contain a
	// secret (routing keys, webhook URLs, passwords).
	Send(ctx context.Context, n *Notification) error
}

// SendError is a failed send, classified for the outbox.
type SendError struct {
	Err        error
	Permanent  bool          // retrying cannot help (a 400: the body is wrong)
	RetryAfter time.Duration // the receiver asked to wait this long (429/503 Retry-After); 0: back off as usual
	Status     int           // the HTTP status, 0 when none
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Permanent marks err as one that retrying cannot mend.
func Permanent(err error) error { return &SendError{Err: err, Permanent: true} }

// Classify says how the outbox treats err: permanent, or retried after at
// least retryAfter (0: back off as usual). An error that is no SendError
// (a refused connection, a time-out) is retried.
func Classify(err error) (permanent bool, retryAfter time.Duration) {
	var se *SendError
	if errors.As(err, &se) {
		return se.Permanent, se.RetryAfter
	}
	return false, 0
}

// HTTPError classifies a receiver's HTTP answer: nil for 2xx; 429, 408 and
// 5xx are retried (honouring Retry-After, in seconds or as an HTTP date);
// any other status is permanent. what names the receiver for the message
// ("pagerduty soc-pager/pagerduty/0"); body is the start of the answer's
// body, quoted in the error (receivers answer with the reason).
func HTTPError(what string, resp *http.Response, body []byte, now time.Time) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	if len(body) > 200 {
		body = body[:200]
	}
	e := &SendError{Status: resp.StatusCode, Err: fmt.Errorf("%s: HTTP %d: %q", what, resp.StatusCode, body)}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode >= 500:
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		e.Permanent = true
		e.Err = fmt.Errorf("%s: HTTP %d: the URL redirects elsewhere; configure the URL it redirects to", what, resp.StatusCode)
	default:
		e.Permanent = true
	}
	return e
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Options are what every receiver's constructor takes beside its config.
type Options struct {
	// Client sends HTTP requests; nil: one with a 10 s time-out.
	Client *http.Client
	// Now is the clock (Retry-After dates, webhook timestamps); nil: time.Now.
	Now func() time.Time
	// Version is homesoc's version, for User-Agent ("homesoc/VERSION").
	Version string
}

// HTTPClient is o.Client, or the default one, which follows no redirect:
// a redirect would forward the body and secret headers to another host, or
// turn the POST into a GET that "succeeds" with nothing delivered, so a 3xx
// is an answer (a permanent error: configure the final URL).
func (o Options) HTTPClient() *http.Client {
	if o.Client != nil {
		return o.Client
	}
	return &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Clock is o.Now, or time.Now.
func (o Options) Clock() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}
