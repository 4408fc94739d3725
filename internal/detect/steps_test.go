package detect

import (
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/store"
)

var t0 = time.Date(2026, 4, 6, 16, 0, 0, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse(time.TimeOnly, s)
	if err != nil {
		panic(err)
	}
	return t0.Add(t.Sub(time.Date(0, 1, 1, 16, 0, 0, 0, time.UTC)))
}

func TestSteps(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spans  [][2]string
		window time.Duration
		want   []string // window ends
	}{
		{"one instant: the windows that hold it", [][2]string{{"16:07:00", "16:07:00"}}, 10 * time.Minute,
			[]string{"16:10:00", "16:15:00"}},
		{"on the grid", [][2]string{{"16:05:00", "16:05:00"}}, 10 * time.Minute,
			[]string{"16:05:00", "16:10:00", "16:15:00"}},
		{"a span", [][2]string{{"16:01:00", "16:21:00"}}, 10 * time.Minute,
			[]string{"16:05:00", "16:10:00", "16:15:00", "16:20:00", "16:25:00", "16:30:00"}},
		{"overlapping windows merge", [][2]string{{"16:10:00", "16:11:00"}, {"16:01:00", "16:02:00"}}, 10 * time.Minute,
			[]string{"16:05:00", "16:10:00", "16:15:00", "16:20:00"}},
		{"no window without data", [][2]string{{"16:20:00", "16:21:00"}, {"16:01:00", "16:02:00"}}, 10 * time.Minute,
			[]string{"16:05:00", "16:10:00", "16:20:00", "16:25:00", "16:30:00"}},
		{"a gap is skipped", [][2]string{{"16:01:00", "16:01:00"}, {"18:01:00", "18:01:00"}}, 10 * time.Minute,
			[]string{"16:05:00", "16:10:00", "18:05:00", "18:10:00"}},
		{"a day's window steps half a day", [][2]string{{"17:00:00", "17:00:00"}}, 24 * time.Hour,
			[]string{"00:00:00", "12:00:00"}}, // of the next day
	} {
		t.Run(tc.name, func(t *testing.T) {
			var spans []store.IngestSpan
			for _, sp := range tc.spans {
				spans = append(spans, store.IngestSpan{Min: at(sp[0]), Max: at(sp[1])})
			}
			var got []string
			for _, s := range Steps(spans, tc.window) {
				got = append(got, s.At.Format(time.TimeOnly))
				if s.At.Before(s.DataFrom) || s.At.Add(-tc.window).After(s.DataTo) {
					t.Errorf("step %v holds none of its data %v..%v", s.At, s.DataFrom, s.DataTo)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("steps %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("steps %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestStepsHoldEveryBurst: whatever its offset to the grid, a burst of at
// most half a window lies whole inside one of the windows that Steps
// evaluates for it.
func TestStepsHoldEveryBurst(t *testing.T) {
	window := 10 * time.Minute
	for off := time.Duration(0); off < window; off += 7 * time.Second {
		from := t0.Add(off)
		to := from.Add(window / 2)
		whole := false
		for _, s := range Steps([]store.IngestSpan{{Min: from, Max: to}}, window) {
			if !s.At.Add(-window).After(from) && !s.At.Before(to) {
				whole = true
			}
		}
		if !whole {
			t.Errorf("burst %v..%v: no window holds it whole", from, to)
		}
	}
}
