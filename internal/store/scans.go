package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/intended"
	"github.com/homesoc/homesoc/internal/scan"
)

// ScanStore keeps what exposure checks find and decide: scans with their
// hosts and ports, the intended-port allowlist, and the UPnP port mappings
// read from home routers. Every engine implements it as part of Store.
type ScanStore interface {
	// WriteScan stores a scan and returns its id (ScanID: the same scan
	// written twice is stored once, under the same id). It refuses a scan
	// without a start time or source, or with a port of a protocol other
	// than tcp or udp.
	WriteScan(ctx context.Context, s scan.Scan) (id string, err error)
	// Scans summarises the scans f selects, newest (by start) first.
	Scans(ctx context.Context, f ScanFilter) ([]ScanSummary, error)
	// Scan returns a stored scan as written (NormalScan of it); an unknown
	// id is an error that wraps ErrNotFound.
	Scan(ctx context.Context, id string) (scan.Scan, error)
	// LatestScans returns the n newest scans that hold target, newest
	// first, each with target's host only: what a diff of the target
	// compares.
	LatestScans(ctx context.Context, target netip.Addr, n int) ([]scan.Scan, error)

	// AddAllowance validates and stores an allowance, filling its ID
	// (intended.NewID) and Created (now) when unset, and returns it as
	// stored.
	AddAllowance(ctx context.Context, a intended.Allowance) (intended.Allowance, error)
	// Allowances lists the allowances by creation, oldest first; those
	// expired by now only if includeExpired.
	Allowances(ctx context.Context, includeExpired bool) ([]intended.Allowance, error)
	// RemoveAllowance deletes an allowance; an unknown id is an error that
	// names it and wraps ErrNotFound.
	RemoveAllowance(ctx context.Context, id string) error

	// WriteMappings stores one listing of an IGD's port mappings, read at
	// l.Seen: every mapping the IGD held then, none for an empty table,
	// and the router's external address. Each mapping's IGD and Seen are
	// set to the listing's (a mapping naming another IGD is an error). A
	// listing of the same IGD at the same second as a stored one is
	// skipped.
	WriteMappings(ctx context.Context, l MappingListing) error
	// Mappings returns the latest listing of each IGD (of igd only, unless
	// it is "") among those read at or after since: the one with the
	// greatest seen time, by IGD; its mappings by protocol, external port
	// and remote host. An IGD whose latest listing was empty has a listing
	// with no mappings: the mappings of earlier listings are gone.
	Mappings(ctx context.Context, igd string, since time.Time) ([]MappingListing, error)
}

// ErrNotFound is wrapped by errors for a scan or allowance id that is not
// stored.
var ErrNotFound = errors.New("not found")

// ScanFilter selects stored scans; its zero value selects all of them.
type ScanFilter struct {
	Target netip.Addr // scans that hold this host; invalid: any
	Since  time.Time  // scans started at or after Since; zero: any
	Limit  int        // at most this many; 0: no limit
}

// ScanSummary is a stored scan without its hosts.
type ScanSummary struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Args   string `json:"args"`
	// TCPPorts and UDPPorts are the ports the scan tried (scan.Scan's).
	TCPPorts string    `json:"tcp_ports"`
	UDPPorts string    `json:"udp_ports"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Hosts    int       `json:"hosts"`
	HostsUp  int       `json:"hosts_up"`
	Ports    int       `json:"ports"`      // ports listed, in any state
	Open     int       `json:"open_ports"` // ports listed open
	// Targets are the addresses of the scan's first hosts, at most
	// SummaryTargets of them, in scan order.
	Targets []netip.Addr `json:"targets"`
}

// SummaryTargets is how many host addresses a ScanSummary lists.
const SummaryTargets = 5

// MappingListing is what one read of an IGD's port mappings returned.
type MappingListing struct {
	IGD  string    `json:"igd"`
	Seen time.Time `json:"seen"`
	// ExternalIP is the router's address on the internet, as its IGD
	// reports it (GetExternalIPAddress): what ties the listing to scans
	// and tickets of that address; "" when the IGD did not say.
	ExternalIP string             `json:"external_ip"`
	Mappings   []scan.PortMapping `json:"mappings"`
}

// ScanID is the id a scan is stored under: its start time (UTC, to the
// second) then a hash of its content, e.g. 20260406T160529Z-3fa2b1c4d5e6.
// Ids sort by start time, and the same scan (an nmap file imported twice)
// gets the same id.
func ScanID(s scan.Scan) string {
	s = NormalScan(s)
	s.ID = ""
	b, _ := json.Marshal(struct { // every field, the JSON-hidden durations too
		Scan  scan.Scan
		Times [][]time.Duration
	}{s, durations(s)})
	h := sha256.Sum256(b)
	return s.Started.Format("20060102T150405Z") + "-" + hex.EncodeToString(h[:6])
}

// durations lists each host's SRTT then its ports' RTT and probe time.
func durations(s scan.Scan) [][]time.Duration {
	out := make([][]time.Duration, len(s.Hosts))
	for i, h := range s.Hosts {
		out[i] = append(out[i], h.SRTT)
		for _, p := range h.Ports {
			out[i] = append(out[i], p.RTT, p.ProbeTime)
		}
	}
	return out
}

// NormalScan is s as a store gives it back: times UTC at whole seconds,
// durations at whole milliseconds, port sets in their one compact form
// (scan.PortSet's String), addresses unmapped, lists and count maps empty
// rather than nil, only non-zero counts, evidence as its JSON reads back
// (empty Fields nil, TLS times UTC).
func NormalScan(s scan.Scan) scan.Scan {
	s.Started, s.Finished = event.SecondsUTC(s.Started), event.SecondsUTC(s.Finished)
	s.TCPPorts, s.UDPPorts = normalPorts(s.TCPPorts), normalPorts(s.UDPPorts)
	hosts := make([]scan.Host, len(s.Hosts))
	for i, h := range s.Hosts {
		h.Addr = h.Addr.Unmap()
		h.Started, h.Finished = event.SecondsUTC(h.Started), event.SecondsUTC(h.Finished)
		h.SRTT = h.SRTT.Truncate(time.Millisecond)
		h.Closed, h.Filtered = nonZero(h.Closed), nonZero(h.Filtered)
		ports := make([]scan.Port, len(h.Ports))
		for j, p := range h.Ports {
			p.RTT, p.ProbeTime = p.RTT.Truncate(time.Millisecond), p.ProbeTime.Truncate(time.Millisecond)
			p.Evidence = normalEvidence(p.Evidence)
			ports[j] = p
		}
		h.Ports = ports
		hosts[i] = h
	}
	s.Hosts = hosts
	return s
}

// normalPorts is a port list in its compact form; one that is not a port
// list stays as it is, for ScanRows to refuse.
func normalPorts(list string) string {
	p, err := scan.ParsePortSet(list)
	if err != nil {
		return list
	}
	return p.String()
}

// nonZero is m without its zero counts, never nil.
func nonZero(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// normalEvidence is e as it reads back from its JSON.
func normalEvidence(e scan.Evidence) scan.Evidence {
	if len(e.Fields) == 0 {
		e.Fields = nil
	}
	if e.HTTP != nil {
		h := *e.HTTP
		e.HTTP = &h
	}
	if e.TLS != nil {
		t := *e.TLS
		t.NotBefore, t.NotAfter = t.NotBefore.UTC(), t.NotAfter.UTC()
		if len(t.DNSNames) == 0 {
			t.DNSNames = nil
		}
		e.TLS = &t
	}
	return e
}

// ScanColumns, ScanHostColumns and ScanPortColumns are the columns of the
// scans, scan_hosts and scan_ports rows ScanRows makes, in order.
const (
	ScanColumns     = "id, source, args, tcp_ports, udp_ports, started, finished, hosts, hosts_up, listed_ports, open_ports, stored_at"
	ScanHostColumns = "scan_id, host_index, addr, hostname, status, started, finished, srtt_s, " +
		"closed_tcp, closed_udp, filtered_tcp, filtered_udp"
	ScanPortColumns = "scan_id, host_index, port_index, addr, hostname, host_status, port, proto, state, reason, " +
		"service, guessed, product, version, info, os, evidence, rtt_s, probe_s, scan_started"
)

// ScanRows returns the id of s and its rows for the scans, scan_hosts and
// scan_ports tables (columns as ScanColumns, ScanHostColumns and
// ScanPortColumns, values of the Go types both engines take), or what is
// wrong with s.
func ScanRows(s scan.Scan, now time.Time) (id string, scanRow []any, hosts, ports [][]any, err error) {
	if s.Started.IsZero() {
		return "", nil, nil, nil, errors.New("write scan: no start time")
	}
	if s.Source == "" {
		return "", nil, nil, nil, errors.New("write scan: no source")
	}
	for _, l := range [][2]string{{"tcp_ports", s.TCPPorts}, {"udp_ports", s.UDPPorts}} {
		if _, err := scan.ParsePortSet(l[1]); err != nil {
			return "", nil, nil, nil, fmt.Errorf("write scan: %s: %w", l[0], err)
		}
	}
	s = NormalScan(s)
	id = ScanID(s)
	up, open := 0, 0
	for i, h := range s.Hosts {
		if !h.Addr.IsValid() {
			return "", nil, nil, nil, fmt.Errorf("write scan: host %d has no address", i+1)
		}
		for k := range h.Closed {
			if k != scan.TCP && k != scan.UDP {
				return "", nil, nil, nil, fmt.Errorf("write scan: host %s: closed ports of protocol %q: want tcp or udp", h.Addr, k)
			}
		}
		for k := range h.Filtered {
			if k != scan.TCP && k != scan.UDP {
				return "", nil, nil, nil, fmt.Errorf("write scan: host %s: filtered ports of protocol %q: want tcp or udp", h.Addr, k)
			}
		}
		if h.Status == "up" {
			up++
		}
		hosts = append(hosts, []any{id, int32(i), h.Addr.String(), h.Hostname, h.Status,
			TimeOrEpoch(h.Started), TimeOrEpoch(h.Finished), seconds(h.SRTT),
			int32(h.Closed[scan.TCP]), int32(h.Closed[scan.UDP]), int32(h.Filtered[scan.TCP]), int32(h.Filtered[scan.UDP])})
		for j, p := range h.Ports {
			if p.Proto != scan.TCP && p.Proto != scan.UDP {
				return "", nil, nil, nil, fmt.Errorf("write scan: host %s port %d: protocol %q: want tcp or udp", h.Addr, p.Port, p.Proto)
			}
			if p.State == scan.Open {
				open++
			}
			ev, err := json.Marshal(p.Evidence)
			if err != nil {
				return "", nil, nil, nil, fmt.Errorf("write scan: host %s port %d/%s: evidence: %w", h.Addr, p.Port, p.Proto, err)
			}
			ports = append(ports, []any{id, int32(i), int32(j), h.Addr.String(), h.Hostname, h.Status,
				int32(p.Port), p.Proto, p.State, p.Reason, p.Service, boolByte(p.Guessed), p.Product, p.Version,
				p.Info, p.OS, string(ev), seconds(p.RTT), seconds(p.ProbeTime), TimeOrEpoch(s.Started)})
		}
	}
	scanRow = []any{id, s.Source, s.Args, s.TCPPorts, s.UDPPorts, TimeOrEpoch(s.Started), TimeOrEpoch(s.Finished), int32(len(s.Hosts)), int32(up),
		int32(len(ports)), int32(open), event.SecondsUTC(now)}
	return id, scanRow, hosts, ports, nil
}

// seconds is d (whole milliseconds) in seconds, as the *_s columns hold it.
func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

// duration is a *_s column's seconds back as a duration of whole
// milliseconds.
func duration(s float64) time.Duration {
	return time.Duration(math.Round(s*1000)) * time.Millisecond
}

// boolByte is a flag as the 0/1 every engine stores.
func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// TimeOrEpoch is t as the time columns of scans and allowances keep it:
// UTC, whole seconds, the zero time (none) as the epoch, where ClickHouse's
// DateTime starts. EpochOrZero reads it back.
func TimeOrEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return event.SecondsUTC(t)
}

// EpochOrZero is a stored time as TimeOrEpoch wrote it: the epoch as the
// zero time, else UTC.
func EpochOrZero(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t.UTC()
}
