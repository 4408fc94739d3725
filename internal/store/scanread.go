package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/intended"
	"github.com/homesoc/homesoc/internal/scan"
)

// QueryRows is what both engines' drivers return for a query, to be closed.
type QueryRows interface {
	Rows
	Close() error
}

// Querier runs a read query with ? arguments on an engine. In is the
// engine's IN for a subquery over distributed tables ("IN", or "GLOBAL IN"
// on a ClickHouse cluster).
type Querier struct {
	Query func(ctx context.Context, q string, args ...any) (QueryRows, error)
	In    string
}

// collect runs q and calls fn for each row.
func (qr Querier) collect(ctx context.Context, what, q string, args []any, fn func(Rows) error) error {
	rows, err := qr.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// ReadScans implements ScanStore.Scans on an engine.
func ReadScans(ctx context.Context, qr Querier, f ScanFilter) ([]ScanSummary, error) {
	q := "SELECT id, source, args, tcp_ports, udp_ports, started, finished, hosts, hosts_up, listed_ports, open_ports FROM scans WHERE 1 = 1"
	var args []any
	if f.Target.IsValid() {
		q += " AND id " + qr.In + " (SELECT scan_id FROM scan_hosts WHERE addr = ?)"
		args = append(args, AddrText(f.Target))
	}
	if !f.Since.IsZero() {
		q += " AND started >= ?"
		args = append(args, storedTime(f.Since))
	}
	q += " ORDER BY started DESC, id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	out := []ScanSummary{}
	err := qr.collect(ctx, "scans", q, args, func(r Rows) error {
		var s ScanSummary
		var hosts, up, ports, open int32
		if err := r.Scan(&s.ID, &s.Source, &s.Args, &s.TCPPorts, &s.UDPPorts, &s.Started, &s.Finished, &hosts, &up, &ports, &open); err != nil {
			return err
		}
		s.Started, s.Finished = EpochOrZero(s.Started), EpochOrZero(s.Finished)
		s.Hosts, s.HostsUp, s.Ports, s.Open = int(hosts), int(up), int(ports), int(open)
		s.Targets = []netip.Addr{}
		out = append(out, s)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	return out, readTargets(ctx, qr, out)
}

// readTargets fills in the Targets of summaries.
func readTargets(ctx context.Context, qr Querier, sums []ScanSummary) error {
	byID := make(map[string]*ScanSummary, len(sums))
	args := make([]any, 0, len(sums)+1)
	for i := range sums {
		byID[sums[i].ID] = &sums[i]
		args = append(args, sums[i].ID)
	}
	args = append(args, int32(SummaryTargets))
	q := "SELECT scan_id, addr FROM scan_hosts WHERE scan_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(sums)), ", ") +
		") AND host_index < ? ORDER BY scan_id, host_index"
	return qr.collect(ctx, "scan targets", q, args, func(r Rows) error {
		var id, addr string
		if err := r.Scan(&id, &addr); err != nil {
			return err
		}
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return fmt.Errorf("scan %s: %w", id, err)
		}
		if s := byID[id]; s != nil {
			s.Targets = append(s.Targets, a)
		}
		return nil
	})
}

// ReadScan implements ScanStore.Scan on an engine: scan id with all its
// hosts, or with target's only if it is valid.
func ReadScan(ctx context.Context, qr Querier, id string, target netip.Addr) (scan.Scan, error) {
	var s scan.Scan
	found := false
	err := qr.collect(ctx, "scan "+id, "SELECT id, source, args, tcp_ports, udp_ports, started, finished FROM scans WHERE id = ?",
		[]any{id}, func(r Rows) error {
			found = true
			return r.Scan(&s.ID, &s.Source, &s.Args, &s.TCPPorts, &s.UDPPorts, &s.Started, &s.Finished)
		})
	if err != nil {
		return s, err
	}
	if !found {
		return s, fmt.Errorf("scan %q: %w", id, ErrNotFound)
	}
	s.Started, s.Finished = EpochOrZero(s.Started), EpochOrZero(s.Finished)
	where, args := " WHERE scan_id = ?", []any{id}
	if target.IsValid() {
		where += " AND addr = ?"
		args = append(args, AddrText(target))
	}
	s.Hosts = []scan.Host{}
	byIndex := map[int32]int{}
	err = qr.collect(ctx, "hosts of scan "+id, "SELECT host_index, addr, hostname, status, started, finished, srtt_s, "+
		"closed_tcp, closed_udp, filtered_tcp, filtered_udp FROM scan_hosts"+where+" ORDER BY host_index", args,
		func(r Rows) error {
			var h scan.Host
			var idx, ct, cu, ft, fu int32
			var addr string
			var srtt float64
			if err := r.Scan(&idx, &addr, &h.Hostname, &h.Status, &h.Started, &h.Finished, &srtt, &ct, &cu, &ft, &fu); err != nil {
				return err
			}
			a, err := netip.ParseAddr(addr)
			if err != nil {
				return fmt.Errorf("host %d: %w", idx, err)
			}
			h.Addr, h.SRTT = a, duration(srtt)
			h.Started, h.Finished = EpochOrZero(h.Started), EpochOrZero(h.Finished)
			h.Closed = nonZero(map[string]int{scan.TCP: int(ct), scan.UDP: int(cu)})
			h.Filtered = nonZero(map[string]int{scan.TCP: int(ft), scan.UDP: int(fu)})
			h.Ports = []scan.Port{}
			byIndex[idx] = len(s.Hosts)
			s.Hosts = append(s.Hosts, h)
			return nil
		})
	if err != nil {
		return s, err
	}
	err = qr.collect(ctx, "ports of scan "+id, "SELECT host_index, port, proto, state, reason, service, guessed, product, "+
		"version, info, os, evidence, rtt_s, probe_s FROM scan_ports"+where+" ORDER BY host_index, port_index", args,
		func(r Rows) error {
			var p scan.Port
			var idx, port int32
			var guessed uint8
			var ev string
			var rtt, probe float64
			if err := r.Scan(&idx, &port, &p.Proto, &p.State, &p.Reason, &p.Service, &guessed, &p.Product,
				&p.Version, &p.Info, &p.OS, &ev, &rtt, &probe); err != nil {
				return err
			}
			i, ok := byIndex[idx]
			if !ok {
				return fmt.Errorf("port %d/%s of host %d, which is not stored", port, p.Proto, idx)
			}
			if err := json.Unmarshal([]byte(ev), &p.Evidence); err != nil {
				return fmt.Errorf("port %d/%s: evidence: %w", port, p.Proto, err)
			}
			p.Port, p.Guessed, p.RTT, p.ProbeTime = uint16(port), guessed == 1, duration(rtt), duration(probe)
			s.Hosts[i].Ports = append(s.Hosts[i].Ports, p)
			return nil
		})
	return s, err
}

// ReadLatestScans implements ScanStore.LatestScans on an engine.
func ReadLatestScans(ctx context.Context, qr Querier, target netip.Addr, n int) ([]scan.Scan, error) {
	if !target.IsValid() {
		return nil, fmt.Errorf("latest scans: no target address")
	}
	if n <= 0 {
		return []scan.Scan{}, nil
	}
	sums, err := ReadScans(ctx, qr, ScanFilter{Target: target, Limit: n})
	if err != nil {
		return nil, err
	}
	out := make([]scan.Scan, 0, len(sums))
	for _, sum := range sums {
		s, err := ReadScan(ctx, qr, sum.ID, target)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// AllowanceColumns are the columns of the allowances rows AllowanceRow
// makes, in order.
const AllowanceColumns = "id, address, device_id, user_name, port, proto, reason, author, created, expires"

// PrepareAllowance validates a, fills its ID and Created as AddAllowance
// does, and returns it with its row (columns as AllowanceColumns).
func PrepareAllowance(a intended.Allowance, now time.Time) (intended.Allowance, []any, error) {
	a.Proto = strings.ToLower(a.Proto)
	if a.Created.IsZero() {
		a.Created = now
	}
	a.Created, a.Expires = TimeOrEpoch(a.Created), EpochOrZero(TimeOrEpoch(a.Expires))
	a.Address = a.Address.Unmap()
	if err := a.Validate(); err != nil {
		return a, nil, err
	}
	if a.ID == "" {
		a.ID = intended.NewID(a)
	}
	return a, []any{a.ID, AddrText(a.Address), a.DeviceID, a.User, int32(a.Port), a.Proto, a.Reason, a.Author,
		a.Created, TimeOrEpoch(a.Expires)}, nil
}

// ReadAllowances implements ScanStore.Allowances on an engine.
func ReadAllowances(ctx context.Context, qr Querier, includeExpired bool, now time.Time) ([]intended.Allowance, error) {
	out := []intended.Allowance{}
	err := qr.collect(ctx, "allowances", "SELECT "+AllowanceColumns+" FROM allowances ORDER BY created, id", nil,
		func(r Rows) error {
			var a intended.Allowance
			var addr string
			var port int32
			if err := r.Scan(&a.ID, &addr, &a.DeviceID, &a.User, &port, &a.Proto, &a.Reason, &a.Author, &a.Created, &a.Expires); err != nil {
				return err
			}
			if addr != "" {
				ad, err := netip.ParseAddr(addr)
				if err != nil {
					return fmt.Errorf("allowance %s: %w", a.ID, err)
				}
				a.Address = ad
			}
			a.Port, a.Created, a.Expires = uint16(port), a.Created.UTC(), EpochOrZero(a.Expires)
			if includeExpired || !a.Expired(now) {
				out = append(out, a)
			}
			return nil
		})
	return out, err
}

// ListingColumns and MappingColumns are the columns of the upnp_listings
// and upnp_mappings rows MappingRows makes, in order.
const (
	ListingColumns = "igd, seen, mappings, external_ip"
	MappingColumns = "igd, seen, remote_host, external_port, proto, internal_client, internal_port, enabled, description, lease_s"
)

// MappingRows checks a listing of an IGD's mappings and returns its rows for
// upnp_listings and upnp_mappings.
func MappingRows(l MappingListing) (listing []any, mappings [][]any, err error) {
	igd, seen, ms := l.IGD, l.Seen, l.Mappings
	if igd == "" {
		return nil, nil, fmt.Errorf("write mappings: no IGD")
	}
	if seen.IsZero() {
		return nil, nil, fmt.Errorf("write mappings of %s: no time seen", igd)
	}
	seen = TimeOrEpoch(seen)
	for _, m := range ms {
		if m.IGD != "" && m.IGD != igd {
			return nil, nil, fmt.Errorf("write mappings of %s: mapping of port %d/%s names IGD %s", igd, m.ExternalPort, m.Proto, m.IGD)
		}
		proto := strings.ToLower(m.Proto)
		if proto != scan.TCP && proto != scan.UDP {
			return nil, nil, fmt.Errorf("write mappings of %s: port %d: protocol %q: want tcp or udp", igd, m.ExternalPort, m.Proto)
		}
		mappings = append(mappings, []any{igd, seen, m.RemoteHost, int32(m.ExternalPort), proto, m.InternalClient,
			int32(m.InternalPort), boolByte(m.Enabled), m.Description, int64(m.Lease / time.Second)})
	}
	ext := ""
	if l.ExternalIP != "" {
		a, err := netip.ParseAddr(l.ExternalIP)
		if err != nil {
			return nil, nil, fmt.Errorf("write mappings of %s: external address %q: %w", igd, l.ExternalIP, err)
		}
		ext = a.Unmap().String()
	}
	return []any{igd, seen, int32(len(ms)), ext}, mappings, nil
}

// ReadMappings implements ScanStore.Mappings on an engine.
func ReadMappings(ctx context.Context, qr Querier, igd string, since time.Time) ([]MappingListing, error) {
	q, args := "SELECT igd, max(seen) FROM upnp_listings WHERE seen >= ?", []any{storedTime(since)}
	if igd != "" {
		q += " AND igd = ?"
		args = append(args, igd)
	}
	out := []MappingListing{}
	err := qr.collect(ctx, "upnp listings", q+" GROUP BY igd ORDER BY igd", args, func(r Rows) error {
		var l MappingListing
		if err := r.Scan(&l.IGD, &l.Seen); err != nil {
			return err
		}
		l.Seen, l.Mappings = l.Seen.UTC(), []scan.PortMapping{}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		l := &out[i]
		err := qr.collect(ctx, "upnp listing of "+l.IGD, "SELECT external_ip FROM upnp_listings WHERE igd = ? AND seen = ?",
			[]any{l.IGD, l.Seen}, func(r Rows) error { return r.Scan(&l.ExternalIP) })
		if err != nil {
			return nil, err
		}
		err = qr.collect(ctx, "upnp mappings of "+l.IGD, "SELECT remote_host, external_port, proto, internal_client, "+
			"internal_port, enabled, description, lease_s FROM upnp_mappings WHERE igd = ? AND seen = ? "+
			"ORDER BY proto, external_port, remote_host", []any{l.IGD, l.Seen}, func(r Rows) error {
			m := scan.PortMapping{IGD: l.IGD, Seen: l.Seen}
			var ext, in int32
			var enabled uint8
			var lease int64
			if err := r.Scan(&m.RemoteHost, &ext, &m.Proto, &m.InternalClient, &in, &enabled, &m.Description, &lease); err != nil {
				return err
			}
			m.ExternalPort, m.InternalPort, m.Enabled, m.Lease = uint16(ext), uint16(in), enabled == 1, time.Duration(lease)*time.Second
			l.Mappings = append(l.Mappings, m)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
