package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/silence"
)

// SilenceStore keeps silences (issue 11): matchers on alerts' labels that
// mute delivery for a while. A silence is never deleted; expiring one ends
// it now, for the record. Every engine implements it as part of Store.
type SilenceStore interface {
	// AddSilence stores a new silence, filling its ID (silence.NewID),
	// CreatedAt and, when zero, StartsAt with now, times at whole seconds,
	// and returns it as stored. It refuses a silence that fails
	// silence.Validate, ends in the past, or whose ID is stored already.
	AddSilence(ctx context.Context, s silence.Silence) (silence.Silence, error)
	// Silences lists the silences which selects, as of now, by creation
	// then id.
	Silences(ctx context.Context, which SilenceSelect) ([]silence.Silence, error)
	// ExpireSilence ends a pending or active silence now (EndsAt and
	// ExpiredAt; StartsAt too for a pending one, as Alertmanager does) and
	// returns it. An unknown id is an error that wraps ErrNotFound, one
	// that has ended already an error that wraps silence.ErrExpired.
	ExpireSilence(ctx context.Context, id string) (silence.Silence, error)
}

// SilenceSelect says which silences Silences lists.
type SilenceSelect int

// The selections of Silences, as amtool's silence query takes them.
const (
	SilencesCurrent SilenceSelect = iota // pending and active: not expired (amtool's default)
	SilencesExpired                      // expired only (amtool's --expired)
	SilencesAll                          // every silence ever added
)

// SilenceColumns are the columns of a silences row, in the order
// SilenceRow gives them.
const SilenceColumns = "id, matchers, author, comment, starts_at, ends_at, created_at, expired_at"

// SilenceComments document the columns of silences.
var SilenceComments = []ColumnComment{
	{"silences", "id", "a random UUID, as Alertmanager's silence ids"},
	{"silences", "matchers", `the matchers, all of which an alert's labels must satisfy, as a JSON array of {"name","op","value"}; op is =, !=, =~ or !~ (regexes anchored)`},
	{"silences", "author", "who added it"},
	{"silences", "comment", "why it was added"},
	{"silences", "starts_at", "when it starts muting the alerts it matches"},
	{"silences", "ends_at", "when it stops muting them (exclusive); the time it was expired, if it was"},
	{"silences", "created_at", "when it was added"},
	{"silences", "expired_at", "when an operator expired it; 1970-01-01 when not"},
}

// PrepareSilence fills and checks a silence as AddSilence stores it, and
// returns it with its row.
func PrepareSilence(s silence.Silence, now time.Time) (silence.Silence, []any, error) {
	if s.ID == "" {
		s.ID = silence.NewID()
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	s.CreatedAt, s.StartsAt, s.EndsAt = TimeOrEpoch(s.CreatedAt), TimeOrEpoch(s.StartsAt), EpochOrZero(TimeOrEpoch(s.EndsAt))
	s.ExpiredAt = nil
	if err := s.Validate(); err != nil {
		return s, nil, err
	}
	if !s.EndsAt.After(now) {
		return s, nil, fmt.Errorf("silence %s: ends at %s, in the past", s.Matchers, s.EndsAt.Format(time.RFC3339))
	}
	row, err := SilenceRow(s)
	return s, row, err
}

// SilenceRow is a silence as a row of SilenceColumns.
func SilenceRow(s silence.Silence) ([]any, error) {
	ms, err := json.Marshal(s.Matchers)
	if err != nil {
		return nil, fmt.Errorf("silence %s: %w", s.ID, err)
	}
	var expired time.Time
	if s.ExpiredAt != nil {
		expired = *s.ExpiredAt
	}
	return []any{s.ID, string(ms), s.Author, s.Comment, TimeOrEpoch(s.StartsAt), TimeOrEpoch(s.EndsAt),
		TimeOrEpoch(s.CreatedAt), TimeOrEpoch(expired)}, nil
}

// ExpiredSilence is s expired at now, as ExpireSilence stores it, or an
// error wrapping silence.ErrExpired when it has ended already.
func ExpiredSilence(s silence.Silence, now time.Time) (silence.Silence, error) {
	now = TimeOrEpoch(now)
	if s.State(now) == silence.StateExpired {
		return s, fmt.Errorf("expire silence %s: it ended at %s: %w", s.ID, s.EndsAt.Format(time.RFC3339), silence.ErrExpired)
	}
	if s.StartsAt.After(now) {
		s.StartsAt = now
	}
	s.EndsAt, s.ExpiredAt = now, &now
	return s, nil
}

// ReadSilences reads the silences (the one of id only, unless it is "")
// by creation then id, those which selects at now.
func ReadSilences(ctx context.Context, qr Querier, id string, which SilenceSelect, now time.Time) ([]silence.Silence, error) {
	q, args := "SELECT "+SilenceColumns+" FROM silences", []any(nil)
	if id != "" {
		q, args = q+" WHERE id = ?", []any{id}
	}
	out := []silence.Silence{}
	err := qr.collect(ctx, "silences", q+" ORDER BY created_at, id", args, func(r Rows) error {
		var s silence.Silence
		var ms string
		var expired time.Time
		if err := r.Scan(&s.ID, &ms, &s.Author, &s.Comment, &s.StartsAt, &s.EndsAt, &s.CreatedAt, &expired); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(ms), &s.Matchers); err != nil {
			return fmt.Errorf("silence %s: matchers: %w", s.ID, err)
		}
		s.StartsAt, s.EndsAt, s.CreatedAt = s.StartsAt.UTC(), s.EndsAt.UTC(), s.CreatedAt.UTC()
		if e := EpochOrZero(expired); !e.IsZero() {
			s.ExpiredAt = &e
		}
		expiredNow := s.State(now) == silence.StateExpired
		if which == SilencesAll || (which == SilencesExpired) == expiredNow {
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// ExpireSilenceWith is every engine's ExpireSilence: it reads the silence
// id through q, expires it at now (ExpiredSilence) and hands the row of the
// expired silence (SilenceRow's) to write, the engine's own way to store it.
func ExpireSilenceWith(ctx context.Context, q Querier, id string, write func(row []any) error) (silence.Silence, error) {
	now := Now()
	got, err := ReadSilences(ctx, q, id, SilencesAll, now)
	if err != nil {
		return silence.Silence{}, fmt.Errorf("expire silence %s: %w", id, err)
	}
	if len(got) == 0 {
		return silence.Silence{}, fmt.Errorf("expire silence %q: %w", id, ErrNotFound)
	}
	sl, err := ExpiredSilence(got[0], now)
	if err != nil {
		return sl, err
	}
	row, err := SilenceRow(sl)
	if err != nil {
		return sl, err
	}
	if err := write(row); err != nil {
		return sl, fmt.Errorf("expire silence %s: %w", id, err)
	}
	return sl, nil
}
