package exposure

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/intended"
	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store"
)

// Rescan is one rescan of a ticket ("exposure rescan"): when, the scan it
// stored, and what changed on the ticket's address since detection (the
// ticket's DetectedScanID), as "scan diff" counts it.
type Rescan struct {
	At             time.Time    `json:"at"`               // when the rescan finished (UTC, seconds)
	ScanID         string       `json:"scan_id"`          // the rescan's scan
	DetectedScanID string       `json:"detected_scan_id"` // the scan it was compared with
	Status         string       `json:"status"`           // the ticket's state after it
	Opened         []PortChange `json:"opened"`           // open now, not at detection
	Closed         []PortChange `json:"closed"`           // open at detection, closed or silent now
	Changed        []PortChange `json:"changed"`          // open in both, another service, product or version
	Unconfirmed    []PortChange `json:"unconfirmed"`      // open at detection, open|filtered now (UDP)
}

// PortChange is one port of a Rescan: its nmap state at detection and
// now ("" where that scan does not list it) and its service.
type PortChange struct {
	Port    uint16   `json:"port"`
	Proto   string   `json:"proto"`
	Before  string   `json:"before"`
	After   string   `json:"after"`
	Service string   `json:"service"`          // "ssh OpenSSH 9.2p1": now, else at detection
	Fields  []string `json:"fields,omitempty"` // what changed, for Changed
}

// Label is "23/tcp".
func (p PortChange) Label() string { return fmt.Sprintf("%d/%s", p.Port, p.Proto) }

// DetectionScan is the id of the scan that opened the ticket: DetectedScanID,
// or, for a ticket opened before that was kept, the scan it rests on.
func (t Ticket) DetectionScan() string {
	if t.DetectedScanID != "" {
		return t.DetectedScanID
	}
	return t.ScanID
}

// RescanStore is what RescanTicket reads and writes.
type RescanStore interface {
	Scan(ctx context.Context, id string) (scan.Scan, error)
	WriteScan(ctx context.Context, s scan.Scan) (string, error)
	UpsertAlerts(ctx context.Context, as []alert.Alert) (store.AlertCounts, error)
	Allowances(ctx context.Context, includeExpired bool) ([]intended.Allowance, error)
	Mappings(ctx context.Context, igd string, since time.Time) ([]store.MappingListing, error)
}

// RescanOptions say how to rescan a ticket.
type RescanOptions struct {
	// Allow are the ranges a target outside global unicast space may be
	// in; the ticket's address outside them stops the rescan before a
	// packet is sent.
	Allow []netip.Prefix
	// Scan scans target once with TCP ports tcp and UDP ports udp (the CLI
	// wires scan.Run with its limits; udp is empty for a TCP-only scan).
	Scan func(ctx context.Context, target netip.Addr, tcp, udp []uint16) (scan.Scan, error)
	// Tickets, when set, receives the ticket as a line of JSON when the
	// rescan updates it.
	Tickets io.Writer
	Now     func() time.Time
}

// Outcomes of a rescan (RescanResult.Outcome).
const (
	RescanResolved    = "resolved"    // nothing exposed any more: the ticket was resolved
	RescanReopened    = "reopened"    // a resolved ticket's address exposes ports again
	RescanUpdated     = "updated"     // the ticket's ports were updated; its state is as it was
	RescanUnreachable = "unreachable" // nothing answered: the ticket is unchanged
)

// RescanResult is what a rescan did.
type RescanResult struct {
	Outcome        string `json:"outcome"`         // RescanResolved, RescanReopened, RescanUpdated or RescanUnreachable
	PreviousStatus string `json:"previous_status"` // the alert's state before
	// Ticket is the ticket as it is now (unchanged when unreachable).
	Ticket Ticket `json:"ticket"`
	// Rescan is the record appended to Ticket.Rescans (zero when unreachable).
	Rescan Rescan `json:"rescan"`
	// Detection and Scan are the detection scan and the rescan, stored.
	Detection scan.Scan `json:"-"`
	Scan      scan.Scan `json:"-"`
	// Diff is what changed on the address from Detection to Scan.
	Diff scan.HostDiff `json:"diff"`
}

// RescanTicket rescans the global IP of the exposure ticket a with the TCP
// and UDP ports of the scan the ticket rests on, stores that scan, compares
// it with the detection scan (scan.Diff, as "scan diff"), appends the
// comparison to the ticket's rescans, and updates the ticket: its open
// ports, resolved (by rescan) when nothing exposed is left, reopened when
// a resolved ticket's address exposes ports again. An address where
// nothing answered (no port open or closed) leaves the ticket unchanged, as
// "exposure run" does: a router that is off says nothing about its ports.
func RescanTicket(ctx context.Context, st RescanStore, a alert.Alert, o RescanOptions) (RescanResult, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	res := RescanResult{PreviousStatus: a.Status}
	t, err := TicketOf(a)
	if err != nil {
		return res, err
	}
	t.ID = a.ID
	res.Ticket = t
	if !t.GlobalIP.IsValid() {
		return res, fmt.Errorf("ticket %s holds no global IP to rescan", a.ID)
	}
	target := t.GlobalIP.Unmap()
	if err := scan.CheckTargets([]netip.Addr{target}, o.Allow); err != nil {
		return res, err // before any packet
	}
	base, err := st.Scan(ctx, t.ScanID)
	if err != nil {
		return res, fmt.Errorf("ticket %s: its scan %s: %w", a.ID, t.ScanID, err)
	}
	if res.Detection, err = st.Scan(ctx, t.DetectionScan()); err != nil {
		return res, fmt.Errorf("ticket %s: its detection scan %s: %w", a.ID, t.DetectionScan(), err)
	}
	cov, err := base.Coverage()
	if err != nil {
		return res, err
	}
	if !cov.Known {
		return res, fmt.Errorf("ticket %s: scan %s did not record the ports it tried, so a rescan cannot repeat it: run \"homesoc exposure run\" instead", a.ID, base.ID)
	}
	// Stores keep seconds: a scan in the second the ticket's scan finished
	// could not update it.
	if wait := t.ScanTime.Add(time.Second).Sub(o.Now()); wait > 0 && wait <= time.Second {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(wait):
		}
	}
	sc, err := o.Scan(ctx, target, cov.TCP.Ports(), cov.UDP.Ports())
	if err != nil {
		return res, fmt.Errorf("scan: %w", err)
	}
	if sc.ID, err = st.WriteScan(ctx, sc); err != nil {
		return res, fmt.Errorf("store scan: %w", err)
	}
	res.Scan = sc
	if res.Diff, err = scan.Diff(res.Detection, sc, target); err != nil {
		return res, err
	}
	h, ok := hostOf(sc, target)
	if !ok || h.Status != "up" {
		res.Outcome = RescanUnreachable
		return res, nil
	}
	allow, err := st.Allowances(ctx, false)
	if err != nil {
		return res, err
	}
	listings, err := st.Mappings(ctx, "", time.Time{})
	if err != nil {
		return res, err
	}
	s := Suspect{Target: target, DeviceID: t.DeviceID, Hostname: t.Hostname, LocalIP: t.LocalIP, OS: t.OS,
		LogType: t.LogType, User: t.User, Owner: t.Owner, Identity: t.Identity, Rules: t.Rules}
	nt := ticketFor(s, &h, allow, listings, sc, sc.ID, o.Now().UTC().Truncate(time.Second))
	nt.ID = a.ID // the same endpoint's ticket, whatever its id was made from
	carryOver(&nt, t, sc)
	switch {
	case len(nt.OpenPorts) == 0:
		nt.Status, res.Outcome = alert.StatusResolved, RescanResolved
	case a.Status == alert.StatusResolved:
		nt.Status, res.Outcome = alert.StatusOpen, RescanReopened
	default:
		nt.Status, res.Outcome = alert.StatusOpen, RescanUpdated // an acknowledged ticket stays so
	}
	res.Rescan = rescanOf(res.Diff, nt)
	if nt.Status == alert.StatusOpen && a.Status == alert.StatusAcknowledged {
		res.Rescan.Status = alert.StatusAcknowledged // what the store keeps
	}
	nt.Rescans = append(nt.Rescans, res.Rescan)
	if _, err := st.UpsertAlerts(ctx, []alert.Alert{nt.Alert(a.FirstSeen)}); err != nil {
		return res, err
	}
	nt.Status = res.Rescan.Status
	res.Ticket = nt
	if o.Tickets != nil {
		if err := json.NewEncoder(o.Tickets).Encode(nt); err != nil {
			return res, fmt.Errorf("append ticket: %w", err)
		}
	}
	return res, nil
}

// rescanOf is the record of a rescan that diff describes, ticket t the
// outcome.
func rescanOf(d scan.HostDiff, t Ticket) Rescan {
	return Rescan{At: t.ScanTime, ScanID: t.ScanID, DetectedScanID: t.DetectionScan(), Status: t.Status,
		Opened: changes(d.Opened), Closed: changes(d.Closed), Changed: changes(d.Changed), Unconfirmed: changes(d.Unconfirmed)}
}

func changes(ps []scan.PortDiff) []PortChange {
	out := make([]PortChange, 0, len(ps))
	for _, p := range ps {
		c := PortChange{Port: p.Port, Proto: p.Proto, Before: p.Before, After: p.After, Fields: p.Fields}
		if q := p.New; q != nil && q.State == scan.Open || p.Old == nil {
			c.Service = serviceText(p.New)
		} else {
			c.Service = serviceText(p.Old)
		}
		out = append(out, c)
	}
	return out
}

func serviceText(p *scan.Port) string {
	if p == nil {
		return ""
	}
	return strings.Join(strings.Fields(p.Service+" "+p.Product+" "+p.Version), " ")
}

func hostOf(sc scan.Scan, target netip.Addr) (scan.Host, bool) {
	for _, h := range sc.Hosts {
		if h.Addr.Unmap() == target {
			return h, true
		}
	}
	return scan.Host{}, false
}
