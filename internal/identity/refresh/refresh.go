// Package refresh keeps vpn_intervals up to date with vpn_sessions: it
// rebuilds the intervals of the time ranges that new session facts fall in
// (identity.Sessionize) and replaces the stored ones. ingest runs it at its
// end and detect at its start, so rules see fresh intervals.
package refresh

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store"
)

// WatermarkName is the watermark of how far through the ingest sequence
// the intervals are built; GeoWatermarkName's holds a hash of the
// Options.GeoSource they were located with.
const (
	WatermarkName    = "vpn-intervals"
	GeoWatermarkName = "vpn-intervals-geoip"
)

// Result says what Update did.
type Result struct {
	Ranges int `json:"ranges"` // time ranges rebuilt
	Facts  int `json:"facts"`  // vpn_sessions rows read
	store.IntervalCounts
}

// Update rebuilds the intervals of the vpn_sessions facts ingested since
// its watermark. For facts ingested within [lo, hi] it reads the facts of
// [lo - 2*max, hi + max], sessionizes them and replaces the intervals that
// start within [lo - max, hi]: every session that a fact of [lo, hi] can
// belong to (a session lasts at most max, its end logged or not) with all
// of its facts, and the facts before it that tell whether it started
// earlier. So it is idempotent, the order in which facts arrive does not
// matter, and the end of a session started in an earlier ingest ends it.
func Update(ctx context.Context, st store.Store, o identity.Options) (Result, error) {
	var res Result
	marks, err := st.Watermarks(ctx)
	if err != nil {
		return res, fmt.Errorf("vpn intervals: %w", err)
	}
	from := marks[WatermarkName].Seq
	geo, located := marks[GeoWatermarkName]
	regeo := geoHash(o.GeoSource)
	relocate := located && geo.Seq != regeo || !located && o.GeoSource != ""
	if relocate {
		from = 0 // other databases: every interval again
	}
	spans, err := st.IngestedSince(ctx, from)
	if err != nil {
		return res, fmt.Errorf("vpn intervals: %w", err)
	}
	through := from
	var facts []store.IngestSpan
	for _, sp := range spans {
		through = max(through, sp.Seq)
		if sp.Table == "vpn_sessions" {
			facts = append(facts, sp)
		}
	}
	if through == from && !relocate {
		return res, nil
	}
	maxS := o.MaxSession
	if maxS <= 0 {
		maxS = identity.DefaultMaxSession
	}
	for _, r := range ranges(facts, 2*maxS) {
		fs, err := st.VPNFacts(ctx, r[0].Add(-2*maxS), r[1].Add(maxS))
		if err != nil {
			return res, fmt.Errorf("vpn intervals: %w", err)
		}
		lo, hi := r[0].Add(-maxS), r[1]
		var keep []identity.Interval
		for _, iv := range identity.Sessionize(fs, o) {
			if !iv.Start.Before(lo) && !iv.Start.After(hi) {
				keep = append(keep, iv)
			}
		}
		c, err := st.ReplaceVPNIntervals(ctx, lo, hi, keep)
		if err != nil {
			return res, fmt.Errorf("vpn intervals: %w", err)
		}
		res.Ranges++
		res.Facts += len(fs)
		res.Written += c.Written
		res.Removed += c.Removed
		res.Unchanged += c.Unchanged
	}
	for _, w := range []store.Watermark{{Name: WatermarkName, Seq: through}, {Name: GeoWatermarkName, Seq: regeo}} {
		if err := st.SaveWatermark(ctx, w); err != nil {
			return res, fmt.Errorf("vpn intervals: %w", err)
		}
	}
	return res, nil
}

// geoHash is the GeoWatermarkName watermark of a GeoSource: 0 for none.
func geoHash(source string) int64 {
	if source == "" {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(source))
	return int64(h.Sum64() >> 1)
}

// ranges merges the spans into time ranges, two spans closer than gap
// into one.
func ranges(spans []store.IngestSpan, gap time.Duration) [][2]time.Time {
	slices.SortFunc(spans, func(a, b store.IngestSpan) int { return a.Min.Compare(b.Min) })
	var out [][2]time.Time
	for _, sp := range spans {
		if n := len(out); n > 0 && !sp.Min.After(out[n-1][1].Add(gap)) {
			out[n-1][1] = store.MaxTime(out[n-1][1], sp.Max)
			continue
		}
		out = append(out, [2]time.Time{sp.Min, sp.Max})
	}
	return out
}
