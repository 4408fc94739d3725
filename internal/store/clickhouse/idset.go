package clickhouse

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"

	"github.com/homesoc/homesoc/internal/event"
)

// firstSeen finds the first occurrence of each event id in a batch; it is
// store/duckdb's, copied rather than exported from a package of its own. It
// is an open-addressing hash set of indexes into the batch, several times
// cheaper than a map[event.ID] for the ~100k ids of a batch. Ids are hashes already,
// but of input an attacker may shape, so the slot of an id also depends on a
// random key: colliding ids cannot be precomputed to degrade the set.
type firstSeen struct {
	evs   []event.Network
	slots []int32 // 1 + the index in evs of the event whose id the slot holds; 0 when free
	shift uint    // 64 - log2(len(slots))
	k0    uint64  // hash key
	k1    uint64  // hash multiplier, odd
}

// newFirstSeen returns an empty set over evs.
func newFirstSeen(evs []event.Network) *firstSeen {
	n := max(2*len(evs), 16) // load factor <= 1/2
	lg := bits.Len(uint(n - 1))
	return &firstSeen{
		evs:   evs,
		slots: make([]int32, 1<<lg),
		shift: uint(64 - lg),
		k0:    rand.Uint64(),
		k1:    rand.Uint64() | 1,
	}
}

// add adds the id of evs[i] and reports whether it was not in the set.
func (s *firstSeen) add(i int) bool {
	id := &s.evs[i].ID
	h := (binary.LittleEndian.Uint64(id[:8]) ^ binary.LittleEndian.Uint64(id[8:]) ^ s.k0) * s.k1
	mask := len(s.slots) - 1
	for j := int(h >> s.shift); ; j = (j + 1) & mask {
		switch k := s.slots[j]; {
		case k == 0:
			s.slots[j] = int32(i + 1)
			return true
		case s.evs[k-1].ID == *id:
			return false
		}
	}
}
