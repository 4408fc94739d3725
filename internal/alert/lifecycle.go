package alert

import (
	"fmt"
	"time"
)

// StatusAcknowledged is an open alert an operator has taken on: detection
// still updates it (count, last seen) but leaves it acknowledged.
const StatusAcknowledged = "acknowledged"

// What made a transition (Transition.By).
const (
	ByOperator = "operator" // homesoc alerts ack|resolve|reopen
	ByRescan   = "rescan"   // an exposure ticket's rescan
	ByDetect   = "detect"   // a detection pass: new evidence, or resolve_after
)

// DefaultAuthor is the author of the transitions homesoc makes itself.
const DefaultAuthor = "homesoc"

// Transition is one change of an alert's state, as its history keeps it.
type Transition struct {
	State   string    `json:"state"`   // the state entered: StatusOpen, StatusAcknowledged or StatusResolved
	Author  string    `json:"author"`  // who: the operator's name, or DefaultAuthor
	At      time.Time `json:"at"`      // when (wall-clock time of the change, UTC)
	Comment string    `json:"comment"` // why, free text ("" for none)
	By      string    `json:"by"`      // ByOperator, ByRescan or ByDetect
}

// ValidState reports whether s is an alert state.
func ValidState(s string) bool {
	return s == StatusOpen || s == StatusAcknowledged || s == StatusResolved
}

// Move puts the alert into t.State and appends t to its history; it
// reports false, changing nothing, when the alert is in that state already.
// Any state may follow any other: acknowledging a resolved alert takes it on
// again as well as reopening it.
func (a *Alert) Move(t Transition) (bool, error) {
	if !ValidState(t.State) {
		return false, fmt.Errorf("unknown alert state %q (want open, acknowledged or resolved)", t.State)
	}
	if a.Status == t.State {
		return false, nil
	}
	if t.Author == "" {
		t.Author = DefaultAuthor
	}
	t.At = t.At.UTC().Truncate(time.Second)
	a.Status = t.State
	a.History = append(a.History, t)
	a.UpdatedAt = t.At
	return true, nil
}

// applyStatus moves the alert as a finding f says, after Apply has merged its
// evidence (newer: it brought evidence newer than the alert's), and reports
// whether it moved:
//   - a finding that carries a state (an exposure ticket's rescan) resolves or
//     reopens the alert "by rescan"; a ticket still open stays acknowledged
//     when an operator acknowledged it;
//   - a rule's finding (no state) with newer evidence reopens a resolved
//     alert "by detect"; an acknowledged alert stays acknowledged.
func (a *Alert) applyStatus(f Alert, newer bool) bool {
	at := f.UpdatedAt
	switch {
	case f.Status == StatusResolved && a.Status != StatusResolved:
		ok, _ := a.Move(Transition{State: StatusResolved, At: at, By: ByRescan, Comment: "rescan found every port closed"})
		return ok
	case f.Status == StatusOpen && a.Status == StatusResolved:
		ok, _ := a.Move(Transition{State: StatusOpen, At: at, By: ByRescan, Comment: "rescan found ports open again"})
		return ok
	case f.Status == "" && newer && a.Status == StatusResolved:
		ok, _ := a.Move(Transition{State: StatusOpen, At: at, By: ByDetect, Comment: "new evidence"})
		return ok
	}
	return false
}

// ResolveAfterComment is the comment of a resolve for a rule's resolve_after.
const ResolveAfterComment = "no match for resolve_after"

// Stale reports whether the alert, open or acknowledged, has had no new
// evidence for resolveAfter before at: a rule's resolve_after resolves it.
func (a *Alert) Stale(at time.Time, resolveAfter time.Duration) bool {
	return resolveAfter > 0 && a.Status != StatusResolved && a.LastSeen.Before(at.Add(-resolveAfter))
}
