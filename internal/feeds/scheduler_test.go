package feeds

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/intel"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestSchedulerBackoff: Run fetches a feed at once, retries a failure
// after the back-off, reports each fetch to OnUpdate, and keeps the state
// in <data>/feeds/state.json; a scheduler started again on that state
// waits for the interval and sends the ETag.
func TestSchedulerBackoff(t *testing.T) {
	st := openStore(t)
	data := t.TempDir()
	srv := newFeedServer(t, readFile(t, "testdata/drop.txt"))
	srv.queue(500, 503)
	feeds := []config.Feed{feed("drop", intel.FormatSpamhaus, srv)}
	results := make(chan Result, 10)
	s, err := New(st, feeds, data, SchedulerOptions{Options: Options{MinBackoff: 20 * time.Millisecond}, Logger: quiet,
		OnUpdate: func(r Result) { results <- r }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	var got []Result
	var times []time.Time
	deadline := time.After(10 * time.Second)
	for len(got) < 3 {
		select {
		case r := <-results:
			got = append(got, r)
			times = append(times, time.Now())
		case <-deadline:
			t.Fatalf("after 10s, %d fetches: %+v", len(got), got)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if got[0].Status != StatusFailed || got[1].Status != StatusFailed || got[2].Status != StatusLoaded || got[2].Added != 3 || !got[2].Changed() {
		t.Errorf("fetches: %+v", got)
	}
	// The second failure waits twice the first one's back-off.
	if d := times[2].Sub(times[1]); d < 40*time.Millisecond {
		t.Errorf("second retry after %s, want at least 40ms", d)
	}
	status := s.Status()
	if len(status) != 1 || status[0].Failures != 0 || status[0].Active != 3 || status[0].AgeS < 0 || status[0].AgeS > 10 ||
		status[0].LastStatus != StatusLoaded || time.Until(status[0].NextDue) < 59*time.Minute {
		t.Errorf("status %+v", status)
	}

	// Again on the saved state: nothing due for an hour, then the ETag.
	s2, err := New(st, feeds, data, SchedulerOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if st := s2.Status()[0]; time.Until(st.NextDue) < 59*time.Minute || st.Active != 3 {
		t.Errorf("restarted status %+v", st)
	}
	n := srv.requests()
	res, err := s2.Update(context.Background(), nil, false, nil)
	if err != nil || len(res) != 1 || res[0].Status != StatusNotModified || srv.requests() != n+1 {
		t.Errorf("update on the saved state: %+v, %v", res, err)
	}
}

// TestSchedulerUpdateNames: Update fetches the feeds named, in that order,
// and an unknown name lists the configured feeds (and how to add a
// built-in one) before anything is fetched.
func TestSchedulerUpdateNames(t *testing.T) {
	st := openStore(t)
	srv := newFeedServer(t, readFile(t, "testdata/drop.txt"))
	feeds := []config.Feed{feed("a", intel.FormatSpamhaus, srv), feed("b", intel.FormatSpamhaus, srv)}
	s, err := New(st, feeds, t.TempDir(), SchedulerOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	res, err := s.Update(context.Background(), []string{"b"}, false, func(f config.Feed) { seen = append(seen, f.Name) })
	if err != nil || len(res) != 1 || res[0].Feed != "b" || strings.Join(seen, ",") != "b" {
		t.Errorf("Update(b) = %+v, %v; progress %v", res, err, seen)
	}
	_, err = s.Update(context.Background(), []string{"a", "feodo"}, false, nil)
	want := `unknown feed "feodo": the config's feeds are a, b; feodo is a built-in feed: add "- name: feodo" under feeds: in the config to use it`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	if srv.requests() != 1 {
		t.Errorf("%d requests, want 1 (none for the failed update)", srv.requests())
	}
}

// TestFirstDue: a feed never fetched, or whose url changed, is due at
// once; a saved due time beyond one interval is brought back.
func TestFirstDue(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	f := config.Feed{Name: "x", URL: "https://example.org/x", Format: "csv", Interval: config.Duration(time.Hour)}
	src := sourceOf(f)
	for _, tt := range []struct {
		st   State
		want time.Time
	}{
		{State{}, now},
		{State{Source: src, NextDue: now.Add(30 * time.Minute)}, now.Add(30 * time.Minute)},
		{State{Source: "other", NextDue: now.Add(30 * time.Minute)}, now},
		{State{Source: src, NextDue: now.Add(5 * time.Hour)}, now.Add(time.Hour)},
		{State{Source: src, NextDue: now.Add(-time.Hour)}, now.Add(-time.Hour)},
	} {
		if got := firstDue(f, tt.st, now); !got.Equal(tt.want) {
			t.Errorf("firstDue(%+v) = %s, want %s", tt.st, got, tt.want)
		}
	}
}

// TestNextDue: the back-off doubles from MinBackoff up to the interval;
// after a success the next fetch is one interval on, plus at most a tenth.
func TestNextDue(t *testing.T) {
	s := &Scheduler{opts: Options{MinBackoff: time.Minute}.withDefaults()}
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	f := config.Feed{Interval: config.Duration(time.Hour)}
	for failures, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 6: 32 * time.Minute, 7: time.Hour, 70: time.Hour} {
		if got := s.nextDue(f, State{Failures: failures}, now).Sub(now); got != want {
			t.Errorf("after %d failures: wait %s, want %s", failures, got, want)
		}
	}
	for range 100 {
		if got := s.nextDue(f, State{}, now).Sub(now); got < time.Hour || got >= 66*time.Minute {
			t.Fatalf("after a success: wait %s", got)
		}
	}
}

// TestStateFile: the state survives a write and a read; a broken file is
// an error that says how to start over.
func TestStateFile(t *testing.T) {
	path := StatePath(t.TempDir())
	if m, err := ReadState(path); err != nil || len(m) != 0 {
		t.Fatalf("missing file: %v, %v", m, err)
	}
	want := map[string]State{"feodo": {Source: "abc", ETag: `"x"`, Failures: 2, LastSuccess: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), Active: 7}}
	if err := WriteState(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadState(path)
	if err != nil || len(got) != 1 || got["feodo"] != want["feodo"] {
		t.Errorf("read back %+v, %v", got, err)
	}
	writeFile(t, path, "{not json")
	if _, err := ReadState(path); err == nil || !strings.Contains(err.Error(), "delete it to start over") {
		t.Errorf("broken state: %v", err)
	}
}
