// Package detect runs a detection pass: a retro-hunt of the active
// indicators over stored history, then every rule, turning each row a rule
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
	Rule    string  `json:"rule"`
	Rows    int     `json:"rows"`
	Opened  int     `json:"opened"`
	Updated int     `json:"updated"`
	Seconds float64 `json:"seconds"` // evaluating the rule and upserting its alerts
	Error   string  `json:"error,omitempty"`
}

// Result is what a detection pass did.
type Result struct {
	Now         time.Time        `json:"now"`
	Hunt        intel.HuntResult `json:"retro_hunt"`
	HuntSeconds float64          `json:"retro_hunt_seconds"`
	Rules       []RuleResult     `json:"rules"`
	Opened      int              `json:"opened"`
	Updated     int              `json:"updated"`
	Failed      int              `json:"failed"`
}

// Run hunts the active indicators over stored history, then evaluates every
// rule at now and upserts its alerts. A failing rule is reported in its
// RuleResult and does not stop the others; Run errors only when the store
// fails outside a rule.
func Run(ctx context.Context, st store.Store, rs []*rules.Rule, now time.Time) (Result, error) {
	res := Result{Now: now}
	var err error
	start := time.Now()
	if res.Hunt, err = Hunt(ctx, st); err != nil {
		return res, err
	}
	res.HuntSeconds = time.Since(start).Seconds()
	for _, r := range rs {
		rr := RuleResult{Rule: r.ID}
		start := time.Now()
		as, err := evaluate(ctx, st, r, now)
		if err == nil {
			rr.Rows = len(as)
			var c store.AlertCounts
			c, err = st.UpsertAlerts(ctx, as)
			rr.Opened, rr.Updated = c.Opened, c.Updated
		}
		rr.Seconds = time.Since(start).Seconds()
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			rr.Error = err.Error()
			res.Failed++
		}
		res.Opened += rr.Opened
		res.Updated += rr.Updated
		res.Rules = append(res.Rules, rr)
	}
	return res, nil
}

// Hunt retro-hunts every active indicator over all stored events: what
// a detection pass does before its rules run.
func Hunt(ctx context.Context, st store.Store) (intel.HuntResult, error) {
	inds, err := st.Indicators(ctx, true)
	if err != nil {
		return intel.HuntResult{}, err
	}
	return intel.RetroHunt(ctx, st, inds)
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
			_, err := Hunt(ctx, st)
			return err
		},
	}
}

// evaluate runs a rule and turns its rows into alerts.
func evaluate(ctx context.Context, st store.Store, r *rules.Rule, now time.Time) ([]alert.Alert, error) {
	out, err := r.Eval(ctx, st, now)
	if err != nil {
		return nil, err
	}
	as := make([]alert.Alert, 0, len(out.Rows))
	for _, row := range out.Rows {
		a := alert.Alert{RuleID: r.ID, Title: r.Title, Severity: r.Severity,
			Group: map[string]string{}, Detail: map[string]string{},
			FirstSeen: now, LastSeen: now, Events: 1, UpdatedAt: now}
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
