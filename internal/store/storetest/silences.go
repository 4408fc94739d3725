package storetest

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/silence"
	"github.com/homesoc/homesoc/internal/store"
)

// testSilences: silences are added (ids and times filled), listed by
// state, expired (never deleted), and their matchers read back as added.
func testSilences(t *testing.T, s store.Store) {
	ctx := context.Background()
	ms := func(args ...string) silence.Matchers {
		m, err := silence.ParseMatchers(args)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := store.Now()
	active, err := s.AddSilence(ctx, silence.Silence{Matchers: ms("rule=ioc-contact", `host=~"192\\.168\\.10\\..*"`),
		Author: "anna", Comment: "printer firmware update", EndsAt: before.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	after := store.Now()
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(active.ID) {
		t.Errorf("id %q is not a UUID", active.ID)
	}
	if active.CreatedAt.Before(before) || active.CreatedAt.After(after) || !active.StartsAt.Equal(active.CreatedAt) {
		t.Errorf("created %s, starts %s: want both now (%s..%s)", active.CreatedAt, active.StartsAt, before, after)
	}
	start := before.Add(time.Hour)
	pending, err := s.AddSilence(ctx, silence.Silence{ID: "pending-1", Matchers: ms("severity=low"), Author: "bob",
		Comment: "noisy", StartsAt: start.Add(500 * time.Millisecond), EndsAt: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if pending.ID != "pending-1" || !pending.StartsAt.Equal(start) || pending.ExpiredAt != nil {
		t.Errorf("pending silence stored as %+v", pending)
	}
	for _, bad := range []struct {
		s    silence.Silence
		want string
	}{
		{silence.Silence{ID: "pending-1", Matchers: ms("rule=x"), Comment: "again", EndsAt: after.Add(time.Hour)},
			"add silence pending-1: a silence of that id is stored already"},
		{silence.Silence{Matchers: ms("rule=x"), EndsAt: after.Add(time.Hour)}, `silence rule="x": no comment: say why`},
		{silence.Silence{Matchers: ms("rule=x"), Comment: "old", StartsAt: T0, EndsAt: T0.Add(time.Hour)},
			`silence rule="x": ends at 2026-04-06T17:05:29Z, in the past`},
	} {
		if _, err := s.AddSilence(ctx, bad.s); err == nil || err.Error() != bad.want {
			t.Errorf("AddSilence(%v) error = %v, want %s", bad.s.Matchers, err, bad.want)
		}
	}

	ids := func(which store.SilenceSelect) []string {
		t.Helper()
		got, err := s.Silences(ctx, which)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, g := range got {
			out = append(out, g.ID)
		}
		return out
	}
	byCreation := []string{active.ID, pending.ID}
	if active.CreatedAt.Equal(pending.CreatedAt) && pending.ID < active.ID {
		byCreation = []string{pending.ID, active.ID}
	}
	if got := ids(store.SilencesCurrent); !slices.Equal(got, byCreation) {
		t.Errorf("current silences %v, want %v", got, byCreation)
	}
	if got := ids(store.SilencesExpired); len(got) != 0 {
		t.Errorf("expired silences %v, want none", got)
	}
	all, err := s.Silences(ctx, store.SilencesAll)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range all {
		if g.ID != active.ID {
			continue
		}
		if g.Author != "anna" || g.Comment != "printer firmware update" || !g.EndsAt.Equal(active.EndsAt) ||
			g.Matchers.String() != `rule="ioc-contact" host=~"192\\.168\\.10\\..*"` || g.ExpiredAt != nil {
			t.Errorf("read back %+v, matchers %s", g, g.Matchers)
		}
		if !g.Matches(map[string]string{"rule": "ioc-contact", "host": "192.168.10.41"}) ||
			g.Matches(map[string]string{"rule": "ioc-contact", "host": "192.168.100.41"}) {
			t.Errorf("matchers read back do not match as added")
		}
	}

	exp, err := s.ExpireSilence(ctx, active.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := store.Now()
	if exp.ExpiredAt == nil || !exp.EndsAt.Equal(*exp.ExpiredAt) || exp.EndsAt.Before(after) || exp.EndsAt.After(now) ||
		!exp.StartsAt.Equal(active.StartsAt) {
		t.Errorf("expired silence %+v: want ends_at = expired_at = now, start unchanged", exp)
	}
	expPending, err := s.ExpireSilence(ctx, pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !expPending.StartsAt.Equal(expPending.EndsAt) || expPending.EndsAt.After(store.Now()) {
		t.Errorf("expired pending silence %+v: want it to start and end now", expPending)
	}
	if got := ids(store.SilencesCurrent); len(got) != 0 {
		t.Errorf("current silences after expiry %v, want none", got)
	}
	if got := ids(store.SilencesExpired); !slices.Equal(got, byCreation) {
		t.Errorf("expired silences %v, want %v (never deleted)", got, byCreation)
	}
	if got := ids(store.SilencesAll); !slices.Equal(got, byCreation) {
		t.Errorf("all silences %v, want %v", got, byCreation)
	}
	all, err = s.Silences(ctx, store.SilencesExpired)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range all {
		if g.ID == active.ID && (g.ExpiredAt == nil || !g.ExpiredAt.Equal(*exp.ExpiredAt) || !g.EndsAt.Equal(exp.EndsAt)) {
			t.Errorf("expired silence read back as %+v, want %+v", g, exp)
		}
	}
	if _, err := s.ExpireSilence(ctx, active.ID); !errors.Is(err, silence.ErrExpired) {
		t.Errorf("expiring again: error %v, want ErrExpired", err)
	}
	if _, err := s.ExpireSilence(ctx, "nope"); !errors.Is(err, store.ErrNotFound) || err.Error() != `expire silence "nope": not found` {
		t.Errorf("expiring an unknown id: error %v", err)
	}
}
