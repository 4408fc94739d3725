package silence

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 4, 6, 16, 0, 0, 0, time.UTC)

func mustMatchers(t *testing.T, args ...string) Matchers {
	t.Helper()
	ms, err := ParseMatchers(args)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestStateAndSilenced(t *testing.T) {
	a := Silence{ID: "a", Matchers: mustMatchers(t, "rule=ioc-contact"), Comment: "x", StartsAt: t0, EndsAt: t0.Add(2 * time.Hour)}
	b := Silence{ID: "b", Matchers: mustMatchers(t, `rule=~"ioc-.*"`, "host=192.168.10.41"), Comment: "x", StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(3 * time.Hour)}
	c := Silence{ID: "c", Matchers: mustMatchers(t, "severity=low"), Comment: "x", StartsAt: t0, EndsAt: t0.Add(3 * time.Hour)}
	for _, tc := range []struct {
		s    Silence
		at   time.Time
		want string
	}{
		{a, t0.Add(-time.Second), StatePending},
		{a, t0, StateActive},
		{a, t0.Add(2*time.Hour - time.Second), StateActive},
		{a, t0.Add(2 * time.Hour), StateExpired},
	} {
		if got := tc.s.State(tc.at); got != tc.want {
			t.Errorf("%s at %s: state %s, want %s", tc.s.ID, tc.at, got, tc.want)
		}
	}
	labels := map[string]string{"rule": "ioc-contact", "severity": "high", "host": "192.168.10.41"}
	all := []Silence{a, b, c}
	for _, tc := range []struct {
		at   time.Time
		want []string
	}{
		{t0.Add(-time.Minute), []string{}},
		{t0, []string{"a"}},
		{t0.Add(time.Hour), []string{"a", "b"}},
		{t0.Add(2 * time.Hour), []string{"b"}},
		{t0.Add(3 * time.Hour), []string{}},
	} {
		if got := Silenced(labels, all, tc.at); !slices.Equal(got, tc.want) || got == nil {
			t.Errorf("Silenced at %s = %#v, want %#v", tc.at, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Silence{Matchers: mustMatchers(t, "rule=ioc-contact"), Comment: "maintenance", StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid silence: %v", err)
	}
	for _, tc := range []struct {
		mod  func(s *Silence)
		want string
	}{
		{func(s *Silence) { s.Matchers = nil }, "silence: no matchers"},
		{func(s *Silence) { s.Matchers = mustMatchers(t, "user=~.*", `host=""`) },
			`silence user=~".*" host="": its matchers match every alert (each matches the empty string): add one that does not, e.g. rule=NAME`},
		{func(s *Silence) { s.Comment = "" }, `silence rule="ioc-contact": no comment: say why`},
		{func(s *Silence) { s.EndsAt = s.StartsAt }, `silence rule="ioc-contact": ends at 2026-04-06T16:00:00Z, not after its start 2026-04-06T16:00:00Z`},
		{func(s *Silence) { s.StartsAt = time.Time{} }, `silence rule="ioc-contact": no start or end time`},
	} {
		s := ok
		tc.mod(&s)
		if err := s.Validate(); err == nil || err.Error() != tc.want {
			t.Errorf("Validate() = %v, want %s", err, tc.want)
		}
	}
}

func TestNewID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := NewID(), NewID()
	if !uuid.MatchString(a) || !uuid.MatchString(b) || a == b {
		t.Fatalf("NewID() = %s, %s: want two different version 4 UUIDs", a, b)
	}
}
