package service

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoopTriggersCoalesceAndScheduleRuns(t *testing.T) {
	var runs atomic.Int64
	release := make(chan struct{})
	l := &Loop{Name: "t", Job: func(ctx context.Context) (time.Time, error) {
		if runs.Add(1) == 1 {
			<-release // the first run is slow: triggers meanwhile coalesce
		}
		return time.Time{}, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	time.Sleep(50 * time.Millisecond)
	if n := runs.Load(); n != 0 {
		t.Fatalf("a loop without a schedule ran %d times before its first trigger", n)
	}
	l.Trigger()
	waitFor(t, func() bool { return runs.Load() == 1 })
	for range 5 {
		l.Trigger()
	}
	close(release)
	waitFor(t, func() bool { return runs.Load() == 2 })
	time.Sleep(50 * time.Millisecond)
	if n := runs.Load(); n != 2 {
		t.Errorf("5 triggers during a run gave %d more runs, want 1", n-1)
	}
	cancel()
	<-done

	// A schedule: runs every Every after StartAfter; a failure is counted
	// and the loop goes on; the job's next time comes first.
	var at []time.Time
	l2 := &Loop{Name: "s", Every: 30 * time.Millisecond, StartAfter: 100 * time.Millisecond,
		Job: func(ctx context.Context) (time.Time, error) {
			at = append(at, time.Now())
			if len(at) == 1 {
				return time.Now().Add(5 * time.Millisecond), errors.New("boom")
			}
			return time.Time{}, nil
		}}
	ctx, cancel = context.WithCancel(context.Background())
	start := time.Now()
	done = make(chan struct{})
	go func() { l2.Run(ctx); close(done) }()
	waitFor(t, func() bool { return l2.Status().Runs >= 3 })
	cancel()
	<-done
	if at[0].Sub(start) < 90*time.Millisecond {
		t.Errorf("first run after %v, want StartAfter 100ms", at[0].Sub(start))
	}
	if gap := at[1].Sub(at[0]); gap > 25*time.Millisecond {
		t.Errorf("the job asked to run again 5ms later, it ran %v later", gap)
	}
	if s := l2.Status(); s.Failures != 1 || s.LastError != nil {
		t.Errorf("status %+v, want 1 failure and no error on the last run", s)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5s")
}
