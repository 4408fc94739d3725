package exposure

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
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
	// open ticket's, once.
	Targets  []netip.Addr `json:"targets"`
	ScanID   string       `json:"scan_id"`
	Tickets  []Ticket     `json:"tickets"` // opened, updated or resolved by this run
	Opened   int          `json:"opened"`
	Updated  int          `json:"updated"`
	Resolved int          `json:"resolved"`
	ElapsedS float64      `json:"elapsed_s"`
}

// Run runs the chain once: suspects -> one scan of every target -> tickets.
// A ticket changes only with a scan that finished in a later second than
// the one it rests on (stores keep seconds).
func Run(ctx context.Context, st Store, o Options) (Result, error) {
	begin := time.Now()
	if o.Now == nil {
		o.Now = time.Now
	}
	res := Result{Suspects: []Suspect{}, BadSuspects: []BadSuspect{}, Targets: []netip.Addr{}, Tickets: []Ticket{}}
	as, err := st.Alerts(ctx)
	if err != nil {
		return res, err
	}
	res.Suspects, res.BadSuspects = Suspects(as, o.Since)
	res.BadSuspects = nonNil(res.BadSuspects)
	open := openTickets(as)
	for _, s := range res.Suspects {
		res.Targets = append(res.Targets, s.Target)
	}
	for _, t := range open {
		res.Targets = append(res.Targets, t.GlobalIP)
	}
	slices.SortFunc(res.Targets, netip.Addr.Compare)
	res.Targets = slices.Compact(res.Targets)
	if len(res.Targets) == 0 {
		res.ElapsedS = time.Since(begin).Seconds()
		return res, nil
	}
	if err := scan.CheckTargets(res.Targets, o.Allow); err != nil {
		return res, err // before any packet
	}
	sc, err := o.Scan(ctx, res.Targets)
	if err != nil {
		return res, fmt.Errorf("scan: %w", err)
	}
	if res.ScanID, err = st.WriteScan(ctx, sc); err != nil {
		return res, fmt.Errorf("store scan: %w", err)
	}
	allow, err := st.Allowances(ctx, false)
	if err != nil {
		return res, err
	}
	listings, err := st.Mappings(ctx, "", time.Time{})
	if err != nil {
		return res, err
	}
	hosts := map[netip.Addr]*scan.Host{}
	for i := range sc.Hosts {
		hosts[sc.Hosts[i].Addr.Unmap()] = &sc.Hosts[i]
	}
	now := o.Now().UTC().Truncate(time.Second)
	var finds []alert.Alert
	seen := map[string]bool{}
	for _, s := range res.Suspects {
		t := ticketFor(s, hosts[s.Target], allow, listings, sc, res.ScanID, now)
		_, known := open[t.ID]
		seen[t.ID] = true
		switch {
		case len(t.OpenPorts) > 0:
			first := s.FirstSeen
			if known {
				first = time.Time{} // Apply keeps the stored first_seen
			}
			finds = append(finds, t.Alert(first))
			res.Tickets = append(res.Tickets, t)
		case known: // everything closed now
			t.Status = alert.StatusResolved
			finds = append(finds, t.Alert(time.Time{}))
			res.Tickets = append(res.Tickets, t)
		}
	}
	// Open tickets no suspect named any more: their rescan decides.
	for id, prev := range open {
		if seen[id] {
			continue
		}
		s := Suspect{Target: prev.GlobalIP, DeviceID: prev.DeviceID, Hostname: prev.Hostname, LocalIP: prev.LocalIP,
			OS: prev.OS, LogType: prev.LogType, User: prev.User, Rules: prev.Rules}
		t := ticketFor(s, hosts[s.Target], allow, listings, sc, res.ScanID, now)
		if len(t.OpenPorts) == 0 {
			t.Status = alert.StatusResolved
		}
		finds = append(finds, t.Alert(time.Time{}))
		res.Tickets = append(res.Tickets, t)
	}
	slices.SortFunc(res.Tickets, func(a, b Ticket) int {
		if c := a.GlobalIP.Compare(b.GlobalIP); c != 0 {
			return c
		}
		return strings.Compare(a.DeviceID, b.DeviceID)
	})
	for i := range finds {
		if finds[i].FirstSeen.IsZero() {
			finds[i].FirstSeen = finds[i].LastSeen
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

// ticketFor builds the ticket of suspect s from the scan of its target. The
// UPnP mappings it shows are those of the router whose IGD reported the
// target as its external address: the ones that forward an exposed port, or
// that the endpoint itself asked for.
func ticketFor(s Suspect, h *scan.Host, allow []intended.Allowance, listings []store.MappingListing,
	sc scan.Scan, scanID string, now time.Time) Ticket {
	t := Ticket{Status: alert.StatusOpen, GlobalIP: s.Target, LocalIP: s.LocalIP, Hostname: s.Hostname,
		LogType: s.LogType, OS: s.OS, ScanTime: sc.Finished.UTC().Truncate(time.Second), DeviceID: s.DeviceID,
		User: s.User, Rules: nonNil(s.Rules), ScanID: scanID, OpenPorts: []Finding{}, Intended: []Finding{},
		Mappings: []scan.PortMapping{}}
	if t.ScanTime.IsZero() {
		t.ScanTime = now
	}
	t.ID = alert.Identity(TicketRule, ticketGroup, map[string]string{"device_id": s.DeviceID, "target": s.Target.String()})
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
