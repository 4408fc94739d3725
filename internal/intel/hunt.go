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
	HTTPNames(ctx context.Context, fn func(string) error) error
	SightingsFromNames(ctx context.Context, ms []store.NameMatch, source string) (int, error)
}

// NewHuntStore is what a hunt of the new indicators needs of the store.
type NewHuntStore interface {
	HuntStore
	IndicatorsChangedSince(ctx context.Context, after int64) ([]event.Indicator, int64, error)
	Watermarks(ctx context.Context) (map[string]store.Watermark, error)
	SaveWatermark(ctx context.Context, w store.Watermark) error
}

// HuntWatermark names the retro-hunt's watermark: the load number of the
// latest indicators it has hunted for.
const HuntWatermark = "retro-hunt"

// HuntNew retro-hunts the active indicators added or changed (re-activated
// included) since the last hunt over all stored history, then moves the
// hunt's watermark past them: each indicator is hunted for once per change,
// not on every pass.
//
// Nothing else needs hunting: an event stored after an indicator was loaded
// was matched against it at ingest (the ingest-time matcher holds every
// active indicator), and an event stored before was there for the hunt of
// that indicator. Only an ingest that started before a load and stores
// events after the hunt that follows it escapes both (a long-running ingest
// whose matcher is not rebuilt when indicators change).
func HuntNew(ctx context.Context, st NewHuntStore) (HuntResult, error) {
	ws, err := st.Watermarks(ctx)
	if err != nil {
		return HuntResult{}, fmt.Errorf("retro-hunt: %w", err)
	}
	after := int64(-1) // never hunted: every indicator
	if w, ok := ws[HuntWatermark]; ok {
		after = w.Seq
	}
	inds, latest, err := st.IndicatorsChangedSince(ctx, after)
	if err != nil {
		return HuntResult{}, fmt.Errorf("retro-hunt: %w", err)
	}
	res, err := RetroHunt(ctx, st, inds)
	if err != nil || latest == after {
		return res, err
	}
	if err := st.SaveWatermark(ctx, store.Watermark{Name: HuntWatermark, Seq: latest}); err != nil {
		return res, fmt.Errorf("retro-hunt: %w", err)
	}
	return res, nil
}

// HuntResult says what a retro-hunt did.
type HuntResult struct {
	Indicators int `json:"indicators"` // IP, CIDR, domain and URL indicators hunted for
	Addresses  int `json:"addresses"`  // distinct event addresses checked
	Names      int `json:"names"`      // distinct proxy hosts and URLs checked
	Matched    int `json:"matched"`    // addresses and names under an indicator
	Sightings  int `json:"sightings"`  // new sightings recorded
}

// RetroHunt looks through all stored history for events that touched any of
// inds, and records the new sightings. CIDR logic runs here in Go over the
// distinct addresses of stored events (far fewer than events), domain and
// URL logic over the distinct hosts and URLs of proxy events; the store
// then joins the matched addresses and names back to their events.
func RetroHunt(ctx context.Context, st HuntStore, inds []event.Indicator) (HuntResult, error) {
	m := NewMatcher(inds)
	res := HuntResult{Indicators: m.Indicators()}
	if err := huntAddrs(ctx, st, m, &res); err != nil {
		return res, fmt.Errorf("retro-hunt: %w", err)
	}
	if err := huntNames(ctx, st, m, &res); err != nil {
		return res, fmt.Errorf("retro-hunt: %w", err)
	}
	return res, nil
}

// huntAddrs hunts m's ip and cidr indicators over the stored addresses.
func huntAddrs(ctx context.Context, st HuntStore, m *Matcher, res *HuntResult) error {
	if m.Len() == 0 {
		return nil
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
		return err
	}
	n, err := st.SightingsFromMatches(ctx, matches, "retro-hunt")
	res.Sightings += n
	return err
}

// huntNames hunts m's domain and url indicators over the stored proxy
// hosts and URLs.
func huntNames(ctx context.Context, st HuntStore, m *Matcher, res *HuntResult) error {
	if m.Names() == 0 {
		return nil
	}
	var matches []store.NameMatch
	var buf []event.Indicator
	err := st.HTTPNames(ctx, func(name string) error {
		res.Names++
		buf = m.MatchName(name, buf[:0])
		if len(buf) > 0 {
			res.Matched++
		}
		for _, in := range buf {
			matches = append(matches, store.NameMatch{Name: name, IndicatorID: in.ID})
		}
		return nil
	})
	if err != nil {
		return err
	}
	n, err := st.SightingsFromNames(ctx, matches, "retro-hunt")
	res.Sightings += n
	return err
}
