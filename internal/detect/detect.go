// Package detect runs a detection pass: a retro-hunt of the indicators new
// since the last one over stored history, then every rule over the event
// time of the data ingested since that rule last ran, turning each row a rule
// returns into an alert identified by the rule and its group_by values.
package detect

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
)

// RuleResult is what one rule found.
type RuleResult struct {
	Rule string `json:"rule"`
	// UpToDate says no data was ingested since the rule last ran, so it
	// was not evaluated.
	UpToDate bool `json:"up_to_date"`
	// DataFrom and DataTo bound the event times of the data ingested since
	// the rule last ran; absent when it is up to date or ran at --now.
	DataFrom *time.Time `json:"data_from,omitempty"`
	DataTo   *time.Time `json:"data_to,omitempty"`
	// Evaluations is how many windows the rule was evaluated over.
	Evaluations int `json:"evaluations"`
	Rows        int `json:"rows"`
	Opened      int `json:"opened"`
	Updated     int `json:"updated"`
	// Resolved is how many of the rule's alerts its resolve_after resolved.
	Resolved int     `json:"resolved"`
	ElapsedS float64 `json:"elapsed_s"` // evaluating the rule and upserting its alerts
	Error    string  `json:"error,omitempty"`
	// Skipped says why the rule did not run (what it requires that this
	// run lacks, see Runnable); absent for a rule that ran.
	Skipped string `json:"skipped,omitempty"`
	// Attributed is how many of the rule's findings had a subject address
	// to attribute (see Enrich); IdentityError why that failed, in which
	// case its alerts were stored without identity.
	Attributed    int    `json:"attributed"`
	IdentityError string `json:"identity_error,omitempty"`
}

// Result is what a detection pass did.
type Result struct {
	// At is the time every rule was evaluated at, once, when the pass was
	// asked for one (--now); absent for a pass over the data ingested since
	// each rule last ran.
	At            *time.Time       `json:"at,omitempty"`
	Hunt          intel.HuntResult `json:"retro_hunt"`
	HuntElapsedS  float64          `json:"retro_hunt_elapsed_s"`
	Rules         []RuleResult     `json:"rules"`
	Opened        int              `json:"opened"`
	Updated       int              `json:"updated"`
	Resolved      int              `json:"resolved"` // by the rules' resolve_after
	Failed        int              `json:"failed"`
	Skipped       int              `json:"skipped"`    // rules not run for want of what they require
	UpToDate      bool             `json:"up_to_date"` // no rule had new data to evaluate
	ElapsedS      float64          `json:"elapsed_s"`
	IngestedSpans int              `json:"ingested_spans"` // ingest spans new to at least one rule
}

// WatermarkName is the name of a rule's watermark in the store: the last
// ingest sequence number it has evaluated the data of.
func WatermarkName(ruleID string) string { return "rule/" + ruleID }

// Run runs a detection pass. It hunts the indicators new since the last hunt
// over stored history, then evaluates the rules.
//
// With a zero at, each rule is evaluated over the event times of the data
// ingested since it last ran (its watermark), however old those times are:
// its window stepped across them (see Steps), and its watermark then moved
// past that data. A rule with nothing new is not evaluated. With a non-zero
// at, each rule is evaluated once, at that time, and no watermark moves: an
// explicit one-off evaluation.
//
// A failing rule is reported in its RuleResult, keeps its watermark, and
// does not stop the others; Run errors only when the store fails outside a
// rule.
func Run(ctx context.Context, st store.Store, rs []*rules.Rule, at time.Time) (Result, error) {
	begin := time.Now()
	res := Result{Rules: []RuleResult{}, UpToDate: true}
	if !at.IsZero() {
		at = at.UTC().Truncate(time.Second)
		res.At = &at
	}
	var err error
	if res.Hunt, err = intel.HuntNew(ctx, st); err != nil {
		return res, err
	}
	res.HuntElapsedS = time.Since(begin).Seconds()

	var (
		marks map[string]store.Watermark
		spans []store.IngestSpan
	)
	if at.IsZero() {
		if marks, err = st.Watermarks(ctx); err != nil {
			return res, err
		}
		low := int64(-1)
		for _, r := range rs {
			if w := marks[WatermarkName(r.ID)].Seq; low < 0 || w < low {
				low = w
			}
		}
		if spans, err = st.IngestedSince(ctx, max(low, 0)); err != nil {
			return res, err
		}
	}
	newSpans := map[int]bool{}
	for _, r := range rs {
		rr := RuleResult{Rule: r.ID}
		start := time.Now()
		var steps []Step
		var through int64
		if at.IsZero() {
			w := marks[WatermarkName(r.ID)].Seq
			var pending []store.IngestSpan
			for i, sp := range spans {
				if sp.Seq > w {
					pending = append(pending, sp)
					newSpans[i] = true
				}
			}
			if len(pending) == 0 {
				rr.UpToDate = true
				res.Rules = append(res.Rules, rr)
				continue
			}
			steps, through = Steps(pending, r.Window), store.Through(w, pending)
			from, to := dataRange(pending)
			rr.DataFrom, rr.DataTo = &from, &to
		} else {
			steps = []Step{{At: at, DataFrom: at.Add(-r.Window), DataTo: at}}
		}
		res.UpToDate = false
		rr.Evaluations = len(steps)
		err := func() error {
			fs, rows, err := findings(ctx, st, r, steps)
			rr.Rows = rows
			if err != nil {
				return err
			}
			if rr.Attributed, err = Enrich(ctx, resolverOf(st), fs); err != nil {
				rr.IdentityError = err.Error()
			}
			c, err := st.UpsertAlerts(ctx, fs)
			rr.Opened, rr.Updated = c.Opened, c.Updated
			if err != nil {
				return err
			}
			if rr.Resolved, err = resolveStale(ctx, st, r, steps[len(steps)-1].At); err != nil || !at.IsZero() {
				return err
			}
			return st.SaveWatermark(ctx, store.Watermark{Name: WatermarkName(r.ID), Seq: through})
		}()
		rr.ElapsedS = time.Since(start).Seconds()
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			rr.Error = err.Error()
			res.Failed++
		}
		res.Opened += rr.Opened
		res.Updated += rr.Updated
		res.Resolved += rr.Resolved
		res.Rules = append(res.Rules, rr)
	}
	res.IngestedSpans = len(newSpans)
	res.ElapsedS = time.Since(begin).Seconds()
	return res, nil
}

// resolveStale resolves, in one read and one write, the open and
// acknowledged alerts of r whose last evidence is older than r's
// resolve_after before at, the time r was last evaluated at, and returns how
// many. A rule without resolve_after resolves nothing.
func resolveStale(ctx context.Context, st store.Store, r *rules.Rule, at time.Time) (int, error) {
	if r.ResolveAfter <= 0 {
		return 0, nil
	}
	moved, err := st.MoveAlerts(ctx, store.AlertFilter{Rules: []string{r.ID},
		States: []string{alert.StatusOpen, alert.StatusAcknowledged}, SeenBefore: at.Add(-r.ResolveAfter)},
		alert.Transition{State: alert.StatusResolved, At: store.Now(), Comment: alert.ResolveAfterComment, By: alert.ByDetect})
	if err != nil {
		return 0, fmt.Errorf("resolve_after: %w", err)
	}
	return len(moved), nil
}

// dataRange returns the earliest and latest event time of spans.
func dataRange(spans []store.IngestSpan) (from, to time.Time) {
	from, to = spans[0].Min, spans[0].Max
	for _, sp := range spans[1:] {
		from, to = store.MinTime(from, sp.Min), store.MaxTime(to, sp.Max)
	}
	return from, to
}

// TestEnv is the environment rule tests run in: a fresh store from open for
// every test case, prepared by the same retro-hunt a detection pass runs.
func TestEnv(open func(ctx context.Context) (store.Store, error)) rules.TestEnv {
	return rules.TestEnv{
		Open: func(ctx context.Context) (rules.Store, error) { return open(ctx) },
		Prepare: func(ctx context.Context, s rules.Store, _ time.Time) error {
			st, ok := s.(store.Store)
			if !ok {
				return fmt.Errorf("rule test store %T is not a store.Store", s)
			}
			_, err := intel.HuntNew(ctx, st)
			return err
		},
	}
}

// findings evaluates r at each step, in order, and folds what it finds into
// one finding per alert: the detections whose evidence is newer than the one
// before each count (see alert.Alert.Detections); the same evidence seen
// again by an overlapping window does not. It returns the findings in the
// order first found and how many rows the rule returned.
func findings(ctx context.Context, st store.Store, r *rules.Rule, steps []Step) ([]alert.Alert, int, error) {
	var (
		out  []alert.Alert
		byID = map[string]int{}
		rows int
	)
	now := store.Now()
	var step time.Duration // 0 for one evaluation at a given time
	if len(steps) > 1 || steps[0].Stepped {
		step = StepOf(r.Window)
	}
	times := make([]time.Time, len(steps))
	for i, s := range steps {
		times[i] = s.At
	}
	results, err := r.EvalAt(ctx, st, times)
	if err != nil {
		return nil, 0, err
	}
	for i, s := range steps {
		as, err := toAlerts(r, s, results[i], now)
		if err != nil {
			return nil, rows, err
		}
		rows += len(as)
		for _, a := range as {
			i, ok := byID[a.ID]
			if !ok {
				a.Detections, a.Step = []time.Time{a.LastSeen}, step
				byID[a.ID] = len(out)
				out = append(out, a)
				continue
			}
			f := &out[i]
			if a.LastSeen.After(f.LastSeen) {
				f.Detections = append(f.Detections, a.LastSeen)
				f.LastSeen, f.Events, f.Detail = a.LastSeen, a.Events, a.Detail
			}
			f.FirstSeen = store.MinTime(f.FirstSeen, a.FirstSeen)
		}
	}
	return out, rows, nil
}

// toAlerts turns the rows of a rule's evaluation at one step into alerts.
// An alert's first and last seen are the data's times: the rule's first_seen
// and last_seen columns, or, for a rule without them, its window clipped to
// the data the step covers.
func toAlerts(r *rules.Rule, s Step, out *store.Result, now time.Time) ([]alert.Alert, error) {
	first, last := store.MaxTime(s.At.Add(-r.Window), s.DataFrom), store.MinTime(s.At, s.DataTo)
	as := make([]alert.Alert, 0, len(out.Rows))
	for _, row := range out.Rows {
		a := alert.Alert{RuleID: r.ID, Title: r.Title, Severity: r.Severity,
			Group: map[string]string{}, Detail: map[string]string{},
			FirstSeen: first, LastSeen: last, Events: 1, UpdatedAt: now}
		for i, col := range out.Columns {
			a.Detail[col] = rules.FormatValue(row[i])
			switch v := row[i].(type) {
			case time.Time:
				if col == "first_seen" {
					a.FirstSeen = v.UTC()
				} else if col == "last_seen" {
					a.LastSeen = v.UTC()
				}
			default:
				if col == "events" {
					// Engines return counts as different integer types;
					// FormatValue gives their decimal text.
					if n, err := strconv.ParseInt(a.Detail[col], 10, 64); err == nil {
						a.Events = n
					}
				}
			}
		}
		for _, col := range r.GroupBy {
			v, ok := a.Detail[col]
			if !ok {
				return nil, fmt.Errorf("rule %q: group_by column %q missing from its result", r.ID, col)
			}
			a.Group[col] = v
		}
		a.ID = alert.Identity(r.ID, r.GroupBy, a.Group)
		as = append(as, a)
	}
	return as, nil
}
