package detect

import (
	"slices"
	"time"

	"github.com/homesoc/homesoc/internal/store"
)

// Step is one evaluation of a rule: its window ends At (and starts a window
// before), over data whose new part spans DataFrom..DataTo.
type Step struct {
	At               time.Time
	DataFrom, DataTo time.Time
	Stepped          bool // on the grid of Steps, not at a time given
}

// StepOf is how far apart the evaluations of a rule with a window are: half
// the window, at least a second. Consecutive windows then overlap by half a
// window, so any burst of at most half a window lies whole inside one of
// them, whichever way the steps fall (a burst across a step boundary is not
// missed), while a finding seen by two overlapping windows has the same
// evidence and is counted once (alert.Alert.Apply).
func StepOf(window time.Duration) time.Duration {
	return max(window/2, time.Second).Truncate(time.Second)
}

// Steps returns the evaluations of a rule with a window that cover spans of
// new data: every window that holds some of it. Windows end on a fixed grid
// (multiples of StepOf(window), as time.Time.Truncate rounds), so the same data is
// evaluated at the same times whether it arrived in one batch or streamed in
// over hours, and old data gets the evaluations it would have got live.
// A window ending at t holds data of [t-window, t]; data at time d is in the
// windows ending in [d, d+window]. Spans whose windows overlap are merged;
// each step knows the data of its merged span.
func Steps(spans []store.IngestSpan, window time.Duration) []Step {
	type span struct{ from, to time.Time }
	ss := make([]span, len(spans))
	for i, sp := range spans {
		ss[i] = span{sp.Min.UTC(), sp.Max.UTC()}
	}
	slices.SortFunc(ss, func(a, b span) int { return a.from.Compare(b.from) })
	step := StepOf(window)
	var out []Step
	for i := 0; i < len(ss); {
		cur := ss[i]
		for i++; i < len(ss) && !ss[i].from.After(cur.to.Add(window)); i++ {
			cur.to = store.MaxTime(cur.to, ss[i].to)
		}
		// The first grid point at or after cur.from, up to the last at or
		// before cur.to+window.
		t := cur.from.Truncate(step)
		if t.Before(cur.from) {
			t = t.Add(step)
		}
		for end := cur.to.Add(window); !t.After(end); t = t.Add(step) {
			out = append(out, Step{At: t, DataFrom: cur.from, DataTo: cur.to, Stepped: true})
		}
	}
	return out
}
