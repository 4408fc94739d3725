package event

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
	"time"
)

// Distinct returns the indexes of the events of evs whose ID no earlier
// event in evs has, in order, and the earliest and latest Time of evs: what a
// store needs to write a batch once and to look for stored duplicates, whose
// times fall in that range because an ID hashes the record, time included.
// evs must hold fewer than math.MaxInt32 events.
func Distinct(evs []Network) (rows []int32, lo, hi time.Time) {
	if len(evs) == 0 {
		return nil, time.Time{}, time.Time{}
	}
	if len(evs) >= math.MaxInt32 {
		panic("event.Distinct: too many events")
	}
	set := newIDSet(evs)
	rows = make([]int32, 0, len(evs))
	lo, hi = evs[0].Time, evs[0].Time
	for i := range evs {
		if set.add(int32(i)) {
			rows = append(rows, int32(i))
		}
		if t := evs[i].Time; t.Before(lo) {
			lo = t
		} else if t.After(hi) {
			hi = t
		}
	}
	return rows, lo, hi
}

// idSet is an open-addressing hash set of indexes into a batch of events,
// keyed by their IDs: several times cheaper than a map[ID] for the ~100k
// IDs of a batch. IDs are hashes already, but of input an attacker may shape,
// so the slot of an ID also depends on a random key: colliding IDs cannot be
// precomputed to degrade the set.
type idSet struct {
	evs   []Network
	slots []int32 // 1 + the index in evs of the event whose ID the slot holds; 0 when free
	shift uint    // 64 - log2(len(slots))
	k0    uint64  // hash key
	k1    uint64  // hash multiplier, odd
}

func newIDSet(evs []Network) *idSet {
	n := max(2*len(evs), 16) // load factor <= 1/2
	lg := bits.Len(uint(n - 1))
	return &idSet{
		evs:   evs,
		slots: make([]int32, 1<<lg),
		shift: uint(64 - lg),
		k0:    rand.Uint64(),
		k1:    rand.Uint64() | 1,
	}
}

// add adds the ID of evs[i] and reports whether it was not in the set.
func (s *idSet) add(i int32) bool {
	id := &s.evs[i].ID
	h := (binary.LittleEndian.Uint64(id[:8]) ^ binary.LittleEndian.Uint64(id[8:]) ^ s.k0) * s.k1
	mask := len(s.slots) - 1
	for j := int(h >> s.shift); ; j = (j + 1) & mask {
		switch k := s.slots[j]; {
		case k == 0:
			s.slots[j] = i + 1
			return true
		case s.evs[k-1].ID == *id:
			return false
		}
	}
}
