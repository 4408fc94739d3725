package scan

import (
	"sync"
	"time"
)

// rttEstimator keeps a host's smoothed round-trip time and its variation the
// way TCP does (RFC 6298 section 2), from connect completions: a handshake
// and a refusal both take one round trip. The connect timeout is
// SRTT + 4*RTTVAR, clamped to [min, max], and initial until a sample exists.
//
// A host that has not answered yet borrows from the whole scan's estimator
// (shared): twice its timeout, when that is below initial. So a scan of
// many routers that drop everything does not spend the initial timeout on
// each of their ports, as nmap shares timing across a host group.
type rttEstimator struct {
	mu                sync.Mutex
	srtt, rttvar      time.Duration
	samples           int
	initial, min, max time.Duration
	shared            *rttEstimator // nil for the scan's own
}

func newRTTEstimator(initial, min, max time.Duration) *rttEstimator {
	return &rttEstimator{initial: initial, min: min, max: max}
}

// sharedSamples is how many samples the scan-wide estimator needs before
// hosts without their own borrow its timeout.
const sharedSamples = 16

// observe adds one measured round trip.
func (e *rttEstimator) observe(r time.Duration) {
	if e.shared != nil {
		e.shared.observe(r)
	}
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
	samples, t := e.samples, e.srtt+4*e.rttvar
	e.mu.Unlock()
	if samples > 0 {
		return min(max(t, e.min), e.max)
	}
	if e.shared != nil {
		e.shared.mu.Lock()
		n, st := e.shared.samples, e.shared.srtt+4*e.shared.rttvar
		e.shared.mu.Unlock()
		if n >= sharedSamples {
			return min(max(2*st, e.min), e.initial)
		}
	}
	return e.initial
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
