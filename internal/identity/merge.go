package identity

import (
	"cmp"
	"slices"
)

// Merge is the attribution of the evidence of two answers about one
// address taken together (an alert's stored identity and that of a newer
// or older finding): both spans, every candidate once (a VPN session by
// its interval, an EDR device by its id, the later answer's record
// winning), and the status that follows from them - Ambiguous if either
// was, else Resolved, Several or Unknown by how many users or devices
// remain, or Ambiguous if two of them held the address at one moment. A
// nil answer is none.
func Merge(a, b *Answer) *Answer {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	m := &Answer{Addr: b.Addr, From: a.From, To: a.To, Candidates: []Candidate{}}
	if b.From.Before(m.From) {
		m.From = b.From
	}
	if b.To.After(m.To) {
		m.To = b.To
	}
	seen := map[string]int{}
	for _, c := range append(slices.Clone(a.Candidates), b.Candidates...) {
		k := candidateKey(c)
		if i, ok := seen[k]; ok {
			m.Candidates[i] = c
			continue
		}
		seen[k] = len(m.Candidates)
		m.Candidates = append(m.Candidates, c)
	}
	slices.SortStableFunc(m.Candidates, func(x, y Candidate) int { return x.From.Compare(y.From) })
	whos := map[string]bool{}
	for _, c := range m.Candidates {
		whos[cmp.Or(c.User, c.DeviceID)] = true
	}
	switch {
	case a.Status == Ambiguous || b.Status == Ambiguous || overlapping(m.Candidates):
		m.Status = Ambiguous
	case len(whos) == 0:
		m.Status = Unknown
	case len(whos) == 1:
		m.Status = Resolved
	default:
		m.Status = Several
	}
	return m
}

// candidateKey is what makes two candidates one: a VPN session's interval
// id (else its user, concentrator and session id), an EDR's device id.
func candidateKey(c Candidate) string {
	if c.IntervalID != "" {
		return c.Source + "\x00" + c.IntervalID
	}
	return c.Source + "\x00" + c.DeviceID + "\x00" + c.User + "\x00" + c.Sensor + "\x00" + c.SessionID
}

// overlapping reports whether two candidates of different users or devices
// held the address at one moment: their sessions' intervals overlap.
func overlapping(cs []Candidate) bool {
	for i, x := range cs {
		for _, y := range cs[i+1:] {
			if x.Interval == nil || y.Interval == nil || cmp.Or(x.User, x.DeviceID) == cmp.Or(y.User, y.DeviceID) {
				continue
			}
			if x.Interval.To.After(y.Interval.From) && y.Interval.To.After(x.Interval.From) {
				return true
			}
		}
	}
	return false
}
