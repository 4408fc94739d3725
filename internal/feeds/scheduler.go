package feeds

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/homesoc/homesoc/internal/config"
)

// Scheduler fetches a set of feeds, each when it is due: every interval
// (plus up to a tenth of it at random, so that feeds and installations do
// not all ask at once) after it worked, and after a failure with an
// exponential back-off from Options.MinBackoff up to the interval. The
// feeds' states live in <data>/feeds/state.json, so a restart neither
// refetches a fresh feed nor forgets its ETag. It is safe for concurrent
// use; fetches run one at a time.
type Scheduler struct {
	st       Store
	feeds    []config.Feed
	path     string
	opts     Options
	onUpdate func(Result)
	log      *slog.Logger

	fetching sync.Mutex // held during a fetch: one at a time

	mu     sync.Mutex // guards the fields below
	states map[string]State
	due    map[string]time.Time
	last   map[string]Result
}

// SchedulerOptions configure a Scheduler beyond fetching.
type SchedulerOptions struct {
	Options
	// OnUpdate is called after every fetch the scheduler makes (Run and
	// Update), from the fetching goroutine; nil: none. A Result whose
	// Changed is true means the indicators changed: rebuild the matcher.
	OnUpdate func(Result)
	// Logger logs each fetch; nil: slog.Default().
	Logger *slog.Logger
}

// New returns a Scheduler of feeds (filled as config.Parse fills them)
// that loads into st and keeps its state under data directory dataDir.
func New(st Store, feeds []config.Feed, dataDir string, o SchedulerOptions) (*Scheduler, error) {
	path := StatePath(dataDir)
	states, err := ReadState(path)
	if err != nil {
		return nil, err
	}
	s := &Scheduler{st: st, feeds: feeds, path: path, opts: o.Options.withDefaults(), onUpdate: o.OnUpdate, log: o.Logger,
		states: states, due: map[string]time.Time{}, last: map[string]Result{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	now := time.Now()
	for _, f := range feeds {
		s.due[f.Name] = firstDue(f, states[f.Name], now)
	}
	return s, nil
}

// firstDue is when a feed is due when the scheduler starts: at once when
// it was never fetched or its url or format changed, else as its state
// says but never later than one interval (the config may have shortened it).
func firstDue(f config.Feed, st State, now time.Time) time.Time {
	if st.NextDue.IsZero() || st.Source != "" && st.Source != sourceOf(f) {
		return now
	}
	if limit := now.Add(time.Duration(f.Interval)); st.NextDue.After(limit) {
		return limit
	}
	return st.NextDue
}

// nextDue is when a feed is due after a fetch that left it in state st.
func (s *Scheduler) nextDue(f config.Feed, st State, now time.Time) time.Time {
	interval := time.Duration(f.Interval)
	if interval <= 0 {
		interval = time.Duration(config.DefaultFeedInterval)
	}
	if st.Failures > 0 {
		wait := s.opts.MinBackoff << min(st.Failures-1, 30)
		if wait <= 0 || wait > interval {
			wait = interval
		}
		return now.Add(wait)
	}
	if j := int64(interval / 10); j > 0 {
		interval += time.Duration(rand.Int64N(j))
	}
	return now.Add(interval)
}

// Run fetches each feed when it is due until ctx is done, then returns
// nil. A failed fetch is logged and retried after its back-off.
func (s *Scheduler) Run(ctx context.Context) error {
	if len(s.feeds) == 0 {
		<-ctx.Done()
		return nil
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		f, due := s.earliest()
		timer.Reset(time.Until(due))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		if _, err := s.fetch(ctx, f, false); err != nil && ctx.Err() == nil {
			s.log.Error("intel feeds", "err", err)
		}
	}
}

// earliest returns the feed due first.
func (s *Scheduler) earliest() (config.Feed, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	best, due := s.feeds[0], s.due[s.feeds[0].Name]
	for _, f := range s.feeds[1:] {
		if d := s.due[f.Name]; d.Before(due) {
			best, due = f, d
		}
	}
	return best, due
}

// Update fetches the feeds named (all when none), one after another, now,
// and returns their results in that order; force ignores the saved ETag
// and Last-Modified. progress, when not nil, is called before each fetch.
// A feed that fails is in its Result; the error is for a name that is no
// configured feed (before anything is fetched) or a state that could not
// be saved.
func (s *Scheduler) Update(ctx context.Context, names []string, force bool, progress func(config.Feed)) ([]Result, error) {
	todo, err := s.pick(names)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, f := range todo {
		if progress != nil {
			progress(f)
		}
		res, err := s.fetch(ctx, f, force)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// pick returns the configured feeds named, all of them when names is empty.
func (s *Scheduler) pick(names []string) ([]config.Feed, error) {
	if len(names) == 0 {
		return s.feeds, nil
	}
	var out []config.Feed
	for _, n := range names {
		i := slices.IndexFunc(s.feeds, func(f config.Feed) bool { return f.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown feed %q: %s", n, s.known(n))
		}
		out = append(out, s.feeds[i])
	}
	return out, nil
}

// known says which feeds there are, for an unknown name.
func (s *Scheduler) known(name string) string {
	var have []string
	for _, f := range s.feeds {
		have = append(have, f.Name)
	}
	msg := "the config's feeds are " + strings.Join(have, ", ")
	if len(have) == 0 {
		msg = "the config has no feeds"
	}
	if slices.ContainsFunc(config.BuiltinFeeds(), func(f config.Feed) bool { return f.Name == name }) {
		msg += fmt.Sprintf(`; %s is a built-in feed: add "- name: %s" under feeds: in the config to use it`, name, name)
	}
	return msg
}

// fetch fetches f, keeps its new state and result, and calls OnUpdate. A
// fetch that ctx stopped changes nothing. The error is the state's.
func (s *Scheduler) fetch(ctx context.Context, f config.Feed, force bool) (Result, error) {
	s.fetching.Lock()
	defer s.fetching.Unlock()
	s.mu.Lock()
	prev := s.states[f.Name]
	s.mu.Unlock()
	res, next := Fetch(ctx, s.st, f, prev, force, s.opts)
	if ctx.Err() != nil {
		return res, nil
	}
	next.NextDue = s.nextDue(f, next, time.Now())
	s.mu.Lock()
	s.states[f.Name] = next
	s.due[f.Name] = next.NextDue
	s.last[f.Name] = res
	states := maps.Clone(s.states) // written outside the lock
	s.mu.Unlock()
	s.logResult(res, next)
	if s.onUpdate != nil {
		s.onUpdate(res)
	}
	if err := WriteState(s.path, states); err != nil {
		return res, err
	}
	return res, nil
}

func (s *Scheduler) logResult(res Result, st State) {
	switch res.Status {
	case StatusFailed:
		s.log.Warn("intel feed failed", "feed", res.Feed, "failures", st.Failures, "retry_at", st.NextDue.Format(time.RFC3339), "err", res.Err)
	case StatusNotModified:
		s.log.Debug("intel feed not modified", "feed", res.Feed)
	default:
		s.log.Info("intel feed loaded", "feed", res.Feed, "added", res.Added, "updated", res.Updated, "expired", res.Expired,
			"unchanged", res.Unchanged, "rejected", res.Rejected, "active", res.Active, "sightings", res.Sightings,
			"duration", res.Duration.Round(time.Millisecond))
	}
}

// FeedStatus is a feed's health, for metrics and the API.
type FeedStatus struct {
	Name      string  `json:"name"`
	Format    string  `json:"format"`
	IntervalS float64 `json:"interval_s"`
	// LastAttempt and LastSuccess are zero when there was none.
	LastAttempt time.Time `json:"last_attempt"`
	LastSuccess time.Time `json:"last_success"`
	// AgeS is the seconds since the last success; -1 when there was none.
	AgeS      float64   `json:"age_s"`
	Failures  int       `json:"failures"`
	LastError string    `json:"last_error"`
	NextDue   time.Time `json:"next_due"`
	// Active is how many of the feed's indicators were active after its
	// last load.
	Active int `json:"active"`
	// LastStatus is the status of the last fetch since the scheduler
	// started ("" when none).
	LastStatus string `json:"last_status"`
}

// Status returns every feed's health, in the order of the config.
func (s *Scheduler) Status() []FeedStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	out := make([]FeedStatus, 0, len(s.feeds))
	for _, f := range s.feeds {
		st := s.states[f.Name]
		fs := FeedStatus{Name: f.Name, Format: f.Format, IntervalS: time.Duration(f.Interval).Seconds(),
			LastAttempt: st.LastAttempt, LastSuccess: st.LastSuccess, AgeS: -1, Failures: st.Failures,
			LastError: st.LastError, NextDue: s.due[f.Name], Active: st.Active, LastStatus: s.last[f.Name].Status}
		if !st.LastSuccess.IsZero() {
			fs.AgeS = now.Sub(st.LastSuccess).Seconds()
		}
		out = append(out, fs)
	}
	return out
}
