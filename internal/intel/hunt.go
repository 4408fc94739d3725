package intel

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// HuntStore is what a retro-hunt needs of the store.
type HuntStore interface {
	EventAddresses(ctx context.Context, fn func(netip.Addr) error) error
	SightingsFromMatches(ctx context.Context, ms []store.AddrMatch, source string) (int, error)
}

// HuntResult says what a retro-hunt did.
type HuntResult struct {
	Indicators int `json:"indicators"` // IP and CIDR indicators hunted for
	Addresses  int `json:"addresses"`  // distinct event addresses checked
	Matched    int `json:"matched"`    // addresses under an indicator
	Sightings  int `json:"sightings"`  // new sightings recorded
}

// RetroHunt looks through all stored history for events that touched any of
// inds, and records the new sightings. CIDR logic runs here in Go over the
// distinct addresses of stored events (far fewer than events); the store
// then joins the matched addresses back to their events.
func RetroHunt(ctx context.Context, st HuntStore, inds []event.Indicator) (HuntResult, error) {
	m := NewMatcher(inds)
	res := HuntResult{Indicators: m.Indicators()}
	if m.Len() == 0 {
		return res, nil
	}
	var matches []store.AddrMatch
	var buf []event.Indicator
	err := st.EventAddresses(ctx, func(a netip.Addr) error {
		res.Addresses++
		buf = m.AppendMatch(buf[:0], a)
		if len(buf) > 0 {
			res.Matched++
		}
		for _, in := range buf {
			matches = append(matches, store.AddrMatch{Addr: a, IndicatorID: in.ID})
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("retro-hunt: %w", err)
	}
	res.Sightings, err = st.SightingsFromMatches(ctx, matches, "retro-hunt")
	if err != nil {
		return res, fmt.Errorf("retro-hunt: %w", err)
	}
	return res, nil
}
