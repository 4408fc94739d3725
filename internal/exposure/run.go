package exposure

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/intended"
	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store"
)

// Store is what the chain reads and writes.
type Store interface {
	Alerts(ctx context.Context) ([]alert.Alert, error)
	UpsertAlerts(ctx context.Context, as []alert.Alert) (store.AlertCounts, error)
	WriteScan(ctx context.Context, s scan.Scan) (string, error)
	Allowances(ctx context.Context, includeExpired bool) ([]intended.Allowance, error)
	Mappings(ctx context.Context, igd string, since time.Time) ([]store.MappingListing, error)
}

// Options say how to run the chain.
type Options struct {
	Since time.Time // suspects from alerts last seen at or after it
	// Allow are the ranges a target outside global unicast space may be
	// in; any other such target stops the run before a packet is sent.
	Allow []netip.Prefix
	// Scan scans the targets once each (the CLI wires scan.Run with its
	// port sets and limits).
	Scan func(ctx context.Context, targets []netip.Addr) (scan.Scan, error)
	// Tickets, when set, receives each ticket opened, updated or resolved
	// as a line of JSON, until notifiers exist.
	Tickets io.Writer
	Now     func() time.Time
}

// Result is what a run did.
type Result struct {
	Suspects    []Suspect    `json:"suspects"`
	BadSuspects []BadSuspect `json:"bad_suspects"`
	// Targets are the addresses scanned: each suspect's target and each
	// open ticket's, once, but for those refused.
	Targets []netip.Addr `json:"targets"`
	// Refused are targets outside global unicast space that no --allow
	// range admits: nothing was sent to them, their tickets are unchanged.
	Refused []Refusal `json:"refused"`
	// Unreachable are scanned targets where nothing answered (no port open
	// or closed): a router that is off or drops everything, which says
	// nothing about what it exposes, so their tickets are unchanged.
	Unreachable []netip.Addr `json:"unreachable"`
	ScanID      string       `json:"scan_id"`
	Tickets     []Ticket     `json:"tickets"` // opened, updated or resolved by this run
	Opened      int          `json:"opened"`
	Updated     int          `json:"updated"`
	Resolved    int          `json:"resolved"`
	ElapsedS    float64      `json:"elapsed_s"`
}

// Refusal is a target the safety check refused, and why.
type Refusal struct {
	Target netip.Addr `json:"target"`
	Reason string     `json:"reason"`
}

// Run runs the chain once: suspects -> one scan of every target -> tickets.
// A ticket changes only with a scan that finished in a later second than
// the one it rests on (stores keep seconds).
//
// Open tickets are rescanned too, so a ticket whose ports were closed gets
// resolved even once its endpoint stops raising alerts - unless its device
// now names another router address (home lines change address): then the
// old address, perhaps a stranger's router now, is not scanned, and the
// ticket is resolved with a note; the new address gets its own.
func Run(ctx context.Context, st Store, o Options) (Result, error) {
	begin := time.Now()
	if o.Now == nil {
		o.Now = time.Now
	}
	res := Result{Suspects: []Suspect{}, BadSuspects: []BadSuspect{}, Targets: []netip.Addr{}, Refused: []Refusal{},
		Unreachable: []netip.Addr{}, Tickets: []Ticket{}}
	as, err := st.Alerts(ctx)
	if err != nil {
		return res, err
	}
	res.Suspects, res.BadSuspects = Suspects(as, o.Since)
	res.BadSuspects = nonNil(res.BadSuspects)
	now := o.Now().UTC().Truncate(time.Second)

	// Which endpoints to look at: the suspects, then the open tickets no
	// suspect names, unless their device moved.
	type endpoint struct {
		s      Suspect
		known  bool
		first  time.Time
		moved  netip.Addr // the device's new router address
		ticket Ticket
	}
	var eps []endpoint
	open := openTickets(as)
	seen := map[string]bool{}
	for _, s := range res.Suspects {
		id := ticketID(s)
		_, known := open[id]
		seen[id] = true
		eps = append(eps, endpoint{s: s, known: known, first: s.FirstSeen})
	}
	for _, id := range slices.Sorted(maps.Keys(open)) {
		if seen[id] {
			continue
		}
		prev := open[id]
		ep := endpoint{known: true, ticket: prev, s: Suspect{Target: prev.GlobalIP, DeviceID: prev.DeviceID,
			Hostname: prev.Hostname, LocalIP: prev.LocalIP, OS: prev.OS, LogType: prev.LogType, User: prev.User, Owner: prev.Owner, Identity: prev.Identity, Rules: prev.Rules}}
		if i := slices.IndexFunc(res.Suspects, func(s Suspect) bool {
			return prev.DeviceID != "" && s.DeviceID == prev.DeviceID && s.Target != prev.GlobalIP
		}); i >= 0 {
			ep.moved = res.Suspects[i].Target
		}
		eps = append(eps, ep)
	}
	for _, ep := range eps {
		if !ep.moved.IsValid() {
			res.Targets = append(res.Targets, ep.s.Target)
		}
	}
	slices.SortFunc(res.Targets, netip.Addr.Compare)
	res.Targets = slices.Compact(res.Targets)
	refused := map[netip.Addr]bool{}
	res.Targets = slices.DeleteFunc(res.Targets, func(a netip.Addr) bool {
		if err := scan.CheckTargets([]netip.Addr{a}, o.Allow); err != nil {
			res.Refused = append(res.Refused, Refusal{Target: a, Reason: err.Error()})
			refused[a] = true
		}
		return refused[a]
	})

	hosts := map[netip.Addr]*scan.Host{}
	var sc scan.Scan
	if len(res.Targets) > 0 {
		if sc, err = o.Scan(ctx, res.Targets); err != nil {
			return res, fmt.Errorf("scan: %w", err)
		}
		if res.ScanID, err = st.WriteScan(ctx, sc); err != nil {
			return res, fmt.Errorf("store scan: %w", err)
		}
		for i := range sc.Hosts {
			hosts[sc.Hosts[i].Addr.Unmap()] = &sc.Hosts[i]
		}
	}
	allow, err := st.Allowances(ctx, false)
	if err != nil {
		return res, err
	}
	listings, err := st.Mappings(ctx, "", time.Time{})
	if err != nil {
		return res, err
	}
	var finds []alert.Alert
	for _, ep := range eps {
		if ep.moved.IsValid() {
			t := ep.ticket
			t.Status, t.ScanTime = alert.StatusResolved, now
			t.Note = fmt.Sprintf("the device now reports router address %s; this address is no longer its own and was not scanned", ep.moved)
			finds = append(finds, t.Alert(time.Time{}))
			res.Tickets = append(res.Tickets, t)
			continue
		}
		h := hosts[ep.s.Target]
		switch {
		case refused[ep.s.Target]:
			continue
		case h == nil || h.Status != "up":
			if !slices.Contains(res.Unreachable, ep.s.Target) {
				res.Unreachable = append(res.Unreachable, ep.s.Target)
			}
			continue
		}
		t := ticketFor(ep.s, h, allow, listings, sc, res.ScanID, now)
		if ep.known {
			carryOver(&t, open[t.ID], sc)
		}
		switch {
		case len(t.OpenPorts) > 0:
			first := ep.first
			if ep.known || first.IsZero() {
				first = t.ScanTime // Apply keeps a stored ticket's first_seen
			}
			finds = append(finds, t.Alert(first))
			res.Tickets = append(res.Tickets, t)
		case ep.known: // everything closed now
			t.Status = alert.StatusResolved
			finds = append(finds, t.Alert(t.ScanTime))
			res.Tickets = append(res.Tickets, t)
		}
	}
	counts, err := st.UpsertAlerts(ctx, finds)
	if err != nil {
		return res, err
	}
	res.Opened, res.Updated = counts.Opened, counts.Updated
	for _, t := range res.Tickets {
		if t.Status == alert.StatusResolved {
			res.Resolved++
		}
	}
	if o.Tickets != nil {
		enc := json.NewEncoder(o.Tickets)
		for _, t := range res.Tickets {
			if err := enc.Encode(t); err != nil {
				return res, fmt.Errorf("append ticket: %w", err)
			}
		}
	}
	res.ElapsedS = time.Since(begin).Seconds()
	return res, nil
}

// carryOver keeps in t the ports prev found open that scan sc did not try
// (a rescan without --udp, or of fewer ports): nothing says they closed.
func carryOver(t *Ticket, prev Ticket, sc scan.Scan) {
	t.DetectedScanID, t.Rescans = prev.DetectionScan(), nonNil(prev.Rescans) // kept across updates
	cov, err := sc.Coverage()
	for _, f := range prev.OpenPorts {
		if err == nil && cov.Covers(f.Proto, f.Port) {
			continue
		}
		if !slices.ContainsFunc(t.OpenPorts, func(g Finding) bool { return g.Port == f.Port && g.Proto == f.Proto }) {
			f.NotRescanned = true
			t.OpenPorts = append(t.OpenPorts, f)
		}
	}
}

// ticketID is the id of the ticket of suspect s's endpoint.
func ticketID(s Suspect) string {
	return alert.Identity(TicketRule, ticketGroup, map[string]string{"device_id": s.DeviceID, "target": s.Target.String()})
}

// ticketFor builds the ticket of suspect s from the scan of its target. The
// UPnP mappings it shows are those of the router whose IGD reported the
// target as its external address: the ones that forward an exposed port, or
// that the endpoint itself asked for.
func ticketFor(s Suspect, h *scan.Host, allow []intended.Allowance, listings []store.MappingListing,
	sc scan.Scan, scanID string, now time.Time) Ticket {
	t := Ticket{Status: alert.StatusOpen, GlobalIP: s.Target, LocalIP: s.LocalIP, Hostname: s.Hostname,
		LogType: s.LogType, OS: s.OS, ScanTime: sc.Finished.UTC().Truncate(time.Second), DeviceID: s.DeviceID,
		User: s.User, Owner: s.Owner, Identity: s.Identity, Rules: nonNil(s.Rules), ScanID: scanID, OpenPorts: []Finding{}, Intended: []Finding{},
		Mappings: []scan.PortMapping{}, DetectedScanID: scanID, Rescans: []Rescan{}}
	if t.ScanTime.IsZero() {
		t.ScanTime = now
	}
	t.ID = ticketID(s)
	if h == nil {
		return t
	}
	who := intended.Target{Address: s.Target, DeviceID: s.DeviceID, User: s.User}
	for _, p := range h.Ports {
		if p.State != scan.Open {
			continue
		}
		f := finding(p)
		if a, ok := intended.Allowed(allow, who, p.Port, p.Proto, now); ok {
			f.IntendedBy = a.Reason
			t.Intended = append(t.Intended, f)
			continue
		}
		t.OpenPorts = append(t.OpenPorts, f)
	}
	for _, l := range listings {
		if l.ExternalIP != s.Target.String() {
			continue
		}
		for _, m := range l.Mappings {
			if m.InternalClient == s.LocalIP || slices.ContainsFunc(t.OpenPorts, func(f Finding) bool {
				return f.Port == m.ExternalPort && f.Proto == m.Proto
			}) {
				t.Mappings = append(t.Mappings, m)
			}
		}
	}
	return t
}

// openTickets returns the open exposure tickets by id.
func openTickets(as []alert.Alert) map[string]Ticket {
	out := map[string]Ticket{}
	for _, a := range as {
		if a.RuleID != TicketRule || a.Status != alert.StatusOpen {
			continue
		}
		if t, err := TicketOf(a); err == nil {
			t.ID = a.ID
			out[a.ID] = t
		}
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
