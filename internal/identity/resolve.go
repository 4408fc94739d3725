package identity

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/homesoc/homesoc/internal/ipscope"
)

// Source answers the interval queries of attribution, each in one query
// for a whole batch (the store implements it).
type Source interface {
	// VPNIntervals returns the intervals whose assigned address is one of
	// the spans' and which overlap its [From, To] (or more), by start.
	VPNIntervals(ctx context.Context, spans []Query) ([]Interval, error)
	// DeviceRecords returns the EDRs' records that a device held one of
	// addrs within [from, to].
	DeviceRecords(ctx context.Context, addrs []netip.Addr, from, to time.Time) ([]DeviceRecord, error)
}

// DefaultWindow is how far before and after a query's span an EDR's
// record of an address counts.
const DefaultWindow = time.Hour

// ResolverOptions tune a Resolver.
type ResolverOptions struct {
	// Window is how far each side of a query's span an EDR's record of a
	// private address counts; DefaultWindow when zero.
	Window time.Duration
	// Owners, when set, gives the owners of devices (from the asset
	// inventory), by device id; called once per batch.
	Owners func(ctx context.Context, deviceIDs []string) (map[string]string, error)
}

// Resolver attributes addresses at times to users and devices.
type Resolver struct {
	src Source
	o   ResolverOptions
}

// NewResolver returns a Resolver that reads src.
func NewResolver(src Source, o ResolverOptions) *Resolver {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	return &Resolver{src: src, o: o}
}

// Resolve answers qs, in order, with one query of VPN intervals and at
// most one of EDR device records for the whole batch:
//
//   - an address with VPN intervals over the span resolves through them:
//     one user (Resolved), users one after another (Several, each with its
//     interval clipped to the span), or two users at one moment
//     (Ambiguous);
//   - a non-global address with none, or a query that names its device,
//     resolves through EDR records only: the query's device when it names
//     one (whatever VPN session held the address), else the devices whose records
//     report the address within Window of the span: one (Resolved) or
//     more (Ambiguous, each with its nearest record);
//   - anything else is Unknown. No answer picks one of several.
func (r *Resolver) Resolve(ctx context.Context, qs []Query) ([]Answer, error) {
	if len(qs) == 0 {
		return []Answer{}, nil
	}
	ivs, err := r.src.VPNIntervals(ctx, qs)
	if err != nil {
		return nil, fmt.Errorf("attribution: %w", err)
	}
	byAddr := make(map[netip.Addr][]*Interval, len(ivs))
	for i := range ivs {
		byAddr[ivs[i].AssignedIP] = append(byAddr[ivs[i].AssignedIP], &ivs[i])
	}
	out := make([]Answer, len(qs))
	var edr []int // queries EDR records answer
	var edrAddrs []netip.Addr
	for i, q := range qs {
		a := q.Addr.Unmap()
		out[i] = Answer{Addr: a, From: q.From, To: q.To, Status: Unknown, Candidates: []Candidate{}}
		// An event that names its device (an EDR's) resolves through that
		// device alone: a VPN pool may hold the same private address.
		if (q.DeviceID == "" || ipscope.IsGlobal(a)) && vpnAnswer(&out[i], byAddr[a]) {
			continue
		}
		if a.IsValid() && !ipscope.IsGlobal(a) {
			edr = append(edr, i)
			edrAddrs = append(edrAddrs, a)
		}
	}
	if len(edr) > 0 {
		var efrom, eto time.Time
		for n, i := range edr {
			if n == 0 || qs[i].From.Before(efrom) {
				efrom = qs[i].From
			}
			eto = maxTime(eto, qs[i].To)
		}
		recs, err := r.src.DeviceRecords(ctx, edrAddrs, efrom.Add(-r.o.Window), eto.Add(r.o.Window))
		if err != nil {
			return nil, fmt.Errorf("attribution: %w", err)
		}
		byAddr := make(map[netip.Addr][]*DeviceRecord, len(recs))
		for i := range recs {
			byAddr[recs[i].Addr] = append(byAddr[recs[i].Addr], &recs[i])
		}
		for _, i := range edr {
			r.edrAnswer(&out[i], qs[i], byAddr[out[i].Addr])
		}
	}
	if err := r.owners(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// covers reports whether iv overlaps the span [from, to]: iv as [Start,
// End], the second of its end included (a connection logged as the
// session's end is logged is the session's), except for an address that
// passed to the next session in that second, [Start, End). The rules over
// vpn_intervals count the same seconds (vpn-user-ioc-contact).
func covers(iv *Interval, from, to time.Time) bool {
	if iv.Start.After(to) {
		return false
	}
	return iv.End.After(from) || iv.End.Equal(from) && (iv.EndKind != EndReassigned || iv.Start.Equal(iv.End))
}

// vpnAnswer answers a from the intervals of its address, and reports
// whether any covers its span.
func vpnAnswer(a *Answer, ivs []*Interval) bool {
	for _, iv := range ivs {
		if !covers(iv, a.From, a.To) {
			continue
		}
		c := Candidate{
			Source: "vpn", User: iv.User, DeviceID: iv.DeviceID, Hostname: iv.Hostname,
			From: maxTime(iv.Start, a.From), To: minTime(iv.End, a.To),
			Group: iv.Group, Sensor: iv.Sensor, SessionID: iv.SessionID, EndKind: iv.EndKind,
			Interval: &Span{From: iv.Start, To: iv.End}, IntervalID: iv.ID.String(),
			Records: make([]string, 0, len(iv.Facts)),
		}
		if iv.RemoteIP.IsValid() {
			c.RemoteIP = iv.RemoteIP.String()
		}
		for _, f := range iv.Facts {
			c.Records = append(c.Records, f.String())
		}
		c.Evidence = fmt.Sprintf("%s session of %s on %s from %s to %s (end %s)", iv.Format, orNone(iv.User), orNone(iv.Sensor),
			iv.Start.Format(time.RFC3339), iv.End.Format(time.RFC3339), iv.EndKind)
		if c.RemoteIP != "" {
			c.Evidence += ", from " + c.RemoteIP
		}
		a.Candidates = append(a.Candidates, c)
	}
	if len(a.Candidates) == 0 {
		return false
	}
	slices.SortStableFunc(a.Candidates, func(x, y Candidate) int { return x.Interval.From.Compare(y.Interval.From) })
	a.Status = Resolved
	for i := range a.Candidates {
		for j := i + 1; j < len(a.Candidates); j++ {
			x, y := &a.Candidates[i], &a.Candidates[j]
			if x.User == y.User {
				continue
			}
			if x.Interval.To.After(y.Interval.From) && y.Interval.To.After(x.Interval.From) {
				a.Status = Ambiguous
				return true
			}
			a.Status = Several
		}
	}
	return true
}

// edrAnswer answers a (a non-global address with no VPN session) from the
// EDR records of its address.
func (r *Resolver) edrAnswer(a *Answer, q Query, recs []*DeviceRecord) {
	from, to := q.From.Add(-r.o.Window), q.To.Add(r.o.Window)
	nearest := map[string]*DeviceRecord{}
	var devices []string
	for _, rec := range recs {
		if rec.Time.Before(from) || rec.Time.After(to) || (q.DeviceID != "" && rec.DeviceID != q.DeviceID) {
			continue
		}
		old, ok := nearest[rec.DeviceID]
		if !ok {
			devices = append(devices, rec.DeviceID)
		}
		if !ok || distance(rec.Time, q) < distance(old.Time, q) ||
			distance(rec.Time, q) == distance(old.Time, q) && rec.ID < old.ID {
			nearest[rec.DeviceID] = rec
		}
	}
	if q.DeviceID != "" && len(devices) == 0 {
		// The event names its device: that is the answer, with no record of
		// the address to show for it.
		a.Status = Resolved
		a.Candidates = append(a.Candidates, Candidate{Source: "edr", DeviceID: q.DeviceID, From: q.From, To: q.To,
			Evidence: "the device id the event itself names", Records: []string{}})
		return
	}
	slices.Sort(devices)
	for _, d := range devices {
		rec := nearest[d]
		a.Candidates = append(a.Candidates, Candidate{
			Source: "edr", DeviceID: d, Hostname: rec.Hostname, From: rec.Time, To: rec.Time,
			Evidence: fmt.Sprintf("%s record of %s (%s) holding %s at %s", rec.Table, d, orNone(rec.Format), rec.Addr, rec.Time.Format(time.RFC3339)),
			Sensor:   rec.Sensor, Records: []string{rec.ID},
		})
	}
	switch len(devices) {
	case 0:
	case 1:
		a.Status = Resolved
	default:
		a.Status = Ambiguous
	}
}

// distance is how far t is from q's span.
func distance(t time.Time, q Query) time.Duration {
	switch {
	case t.Before(q.From):
		return q.From.Sub(t)
	case t.After(q.To):
		return t.Sub(q.To)
	}
	return 0
}

// owners fills in the owners of the candidates' devices.
func (r *Resolver) owners(ctx context.Context, as []Answer) error {
	if r.o.Owners == nil {
		return nil
	}
	var ids []string
	for _, a := range as {
		for _, c := range a.Candidates {
			if c.DeviceID != "" {
				ids = append(ids, c.DeviceID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	owners, err := r.o.Owners(ctx, slices.Compact(ids))
	if err != nil {
		return fmt.Errorf("attribution: owners: %w", err)
	}
	for i := range as {
		for j := range as[i].Candidates {
			c := &as[i].Candidates[j]
			c.Owner = cmp.Or(c.Owner, owners[c.DeviceID])
		}
	}
	return nil
}

func orNone(s string) string { return cmp.Or(s, "(none)") }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
