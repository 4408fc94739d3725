package scan

import (
	"sync"
	"time"
)

// rttEstimator keeps a host's smoothed round-trip time and its variation the
// way TCP does (RFC 6298 section 2), from connect completions: a handshake
// and a refusal both take one round trip. The connect timeout is
// SRTT + 4*RTTVAR, clamped to [min, max], and initial until a sample exists.
type rttEstimator struct {
	mu                sync.Mutex
	srtt, rttvar      time.Duration
	samples           int
	initial, min, max time.Duration
}

func newRTTEstimator(initial, min, max time.Duration) *rttEstimator {
	return &rttEstimator{initial: initial, min: min, max: max}
}

// observe adds one measured round trip.
func (e *rttEstimator) observe(r time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.samples == 0 {
		e.srtt, e.rttvar = r, r/2
	} else {
		d := e.srtt - r
		if d < 0 {
			d = -d
		}
		e.rttvar = (3*e.rttvar + d) / 4
		e.srtt = (7*e.srtt + r) / 8
	}
	e.samples++
}

// timeout is how long the next connect may take.
func (e *rttEstimator) timeout() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.samples == 0 {
		return e.initial
	}
	return min(max(e.srtt+4*e.rttvar, e.min), e.max)
}

// smoothed returns SRTT, zero before any sample.
func (e *rttEstimator) smoothed() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srtt
}

// backoff is the timeout of the given retry (0: the first attempt): the
// timeout doubled once per earlier attempt, at most max (or initial, when
// that is above max).
func (e *rttEstimator) backoff(attempt int) time.Duration {
	t := e.timeout()
	ceiling := max(e.max, t)
	for range attempt {
		if t *= 2; t >= ceiling {
			return ceiling
		}
	}
	return t
}
