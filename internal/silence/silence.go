package silence

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"
)

// States of a silence at a time, as Alertmanager names them.
const (
	StatePending = "pending" // it starts later
	StateActive  = "active"  // it silences what it matches
	StateExpired = "expired" // it ended (or was expired by hand)
)

// ErrExpired is wrapped by the error for expiring a silence that has
// already ended.
var ErrExpired = errors.New("already expired")

// Silence mutes the alerts whose labels its matchers all match, from
// StartsAt until EndsAt. A muted alert is still stored and listed (as
// silenced); only its delivery stops. Silences are never deleted: expiring
// one sets EndsAt (and ExpiredAt) to the time it was expired, for the record.
type Silence struct {
	ID        string    `json:"id"`         // a random UUID, as Alertmanager's
	Matchers  Matchers  `json:"matchers"`   // all must match
	Author    string    `json:"author"`     // who added it
	Comment   string    `json:"comment"`    // why
	StartsAt  time.Time `json:"starts_at"`  // when it starts muting
	EndsAt    time.Time `json:"ends_at"`    // when it stops (exclusive)
	CreatedAt time.Time `json:"created_at"` // when it was added
	// ExpiredAt is when an operator expired it by hand; nil when it ran (or
	// runs) its course.
	ExpiredAt *time.Time `json:"expired_at,omitempty"`
}

// Validate checks what Alertmanager checks of a new silence: at least one
// matcher, one of them not matching the empty string (so a silence cannot
// mute every alert by accident), and an end after its start; and, as amtool
// requires by default, a comment.
func (s Silence) Validate() error {
	if len(s.Matchers) == 0 {
		return fmt.Errorf("silence: no matchers")
	}
	if s.Matchers.Matches(map[string]string{}) {
		return fmt.Errorf("silence %s: its matchers match every alert (each matches the empty string): add one that does not, e.g. rule=NAME", s.Matchers)
	}
	if s.Comment == "" {
		return fmt.Errorf("silence %s: no comment: say why", s.Matchers)
	}
	if s.StartsAt.IsZero() || s.EndsAt.IsZero() {
		return fmt.Errorf("silence %s: no start or end time", s.Matchers)
	}
	if !s.EndsAt.After(s.StartsAt) {
		return fmt.Errorf("silence %s: ends at %s, not after its start %s", s.Matchers,
			s.EndsAt.UTC().Format(time.RFC3339), s.StartsAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// State is the silence's state at a time: pending before StartsAt, active
// from StartsAt until EndsAt, expired from EndsAt on.
func (s Silence) State(at time.Time) string {
	switch {
	case at.Before(s.StartsAt):
		return StatePending
	case at.Before(s.EndsAt):
		return StateActive
	}
	return StateExpired
}

// Active reports whether the silence mutes what it matches at a time.
func (s Silence) Active(at time.Time) bool { return s.State(at) == StateActive }

// Matches reports whether labels satisfy every matcher of the silence,
// whatever its state.
func (s Silence) Matches(labels map[string]string) bool { return s.Matchers.Matches(labels) }

// Silenced returns the ids of the silences active at a time that match
// labels, in the order given, never nil: an alert with any is not to be
// delivered. A router calls it before sending; alerts list shows it.
func Silenced(labels map[string]string, silences []Silence, at time.Time) []string {
	ids := []string{}
	for _, s := range silences {
		if s.Active(at) && s.Matches(labels) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// NewID returns a random (version 4) UUID, the form of Alertmanager's
// silence ids.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
