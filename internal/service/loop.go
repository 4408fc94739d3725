// Package service runs the recurring work of homesoc serve: each job is a
// Loop that runs on a schedule and when something asks for it (new
// sightings ask for detection, new alerts for delivery), never twice at
// once.
package service

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Loop runs a job every Every, and soon after Trigger. Triggers while the
// job runs coalesce into one more run after it.
type Loop struct {
	Name  string
	Every time.Duration // 0: only when triggered
	// StartAfter delays the first scheduled run (0: at once), so that a
	// daily job does not run at every restart.
	StartAfter time.Duration
	// Job does the work; the time it returns is when it wants to run next
	// (zero: after Every). A failed job is logged and runs again on time.
	Job func(ctx context.Context) (next time.Time, err error)
	Log *slog.Logger

	once    sync.Once
	trigger chan struct{}

	mu      sync.Mutex
	runs    int64
	fails   int64
	lastRun time.Time
	lastErr error
	took    time.Duration
}

func (l *Loop) init() { l.once.Do(func() { l.trigger = make(chan struct{}, 1) }) }

// Trigger asks for a run as soon as the current one (if any) ends.
func (l *Loop) Trigger() {
	l.init()
	select {
	case l.trigger <- struct{}{}:
	default:
	}
}

// Run runs the job until ctx ends: a loop with a schedule first at once, one
// without at its first Trigger.
func (l *Loop) Run(ctx context.Context) {
	l.init()
	timer := time.NewTimer(l.StartAfter)
	if l.Every == 0 {
		timer.Stop()
	}
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-l.trigger:
		}
		start := time.Now()
		next, err := l.Job(ctx)
		took := time.Since(start)
		l.mu.Lock()
		l.runs++
		l.lastRun, l.lastErr, l.took = start, err, took
		if err != nil {
			l.fails++
		}
		l.mu.Unlock()
		if err != nil && ctx.Err() == nil && l.Log != nil {
			l.Log.Error("job failed", "job", l.Name, "took", took, "err", err)
		}
		wait := time.Duration(-1)
		switch {
		case !next.IsZero():
			wait = max(time.Until(next), 0)
		case l.Every > 0:
			wait = l.Every
		}
		if l.Every > 0 && wait > l.Every {
			wait = l.Every
		}
		timer.Stop()
		if wait >= 0 {
			timer.Reset(wait)
		}
	}
}

// Status is what a Loop did so far.
type Status struct {
	Runs, Failures int64
	LastRun        time.Time
	LastError      error
	LastDuration   time.Duration
}

// Status returns the loop's counters.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Status{Runs: l.runs, Failures: l.fails, LastRun: l.lastRun, LastError: l.lastErr, LastDuration: l.took}
}
