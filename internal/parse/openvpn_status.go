package parse

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// openVPNStatusName is the registered name of the OpenVPN status file format.
const openVPNStatusName = "openvpn-status"

func init() {
	Register(Format{
		Name:        openVPNStatusName,
		Description: "OpenVPN status file (--status, versions 1, 2 and 3): connected clients and their routes",
		New:         func(o Options) Parser { return newOpenVPNStatusParser(o) },
		Sniff:       sniffOpenVPNStatus,
	})
}

// openVPNStatusMarks start the lines only a status file has.
var openVPNStatusMarks = []string{
	"OpenVPN CLIENT LIST", "OpenVPN STATISTICS", "ROUTING TABLE", "GLOBAL STATS",
	"Common Name,Real Address,", "Virtual Address,Common Name,",
	"TITLE,OpenVPN ", "TITLE\tOpenVPN ", "HEADER,CLIENT_LIST,", "HEADER\tCLIENT_LIST\t",
	"HEADER,ROUTING_TABLE,", "HEADER\tROUTING_TABLE\t", "CLIENT_LIST,", "CLIENT_LIST\t",
	"ROUTING_TABLE,", "ROUTING_TABLE\t", "GLOBAL_STATS,", "GLOBAL_STATS\t",
}

// sniffOpenVPNStatus matches a line only a status file has.
func sniffOpenVPNStatus(line []byte) bool {
	s := string(trimSpaces(line))
	for _, m := range openVPNStatusMarks {
		if strings.HasPrefix(s, m) {
			return true
		}
	}
	return false
}

// Sections of a status file.
const (
	statusNone = iota
	statusClients
	statusRoutes
	statusOther
)

// openVPNStatusParser parses a status file, line by line. Version 1 has
// sections ("OpenVPN CLIENT LIST", "ROUTING TABLE", "GLOBAL STATS"), each
// with a line of column names; versions 2 and 3 start each row with its
// kind (CLIENT_LIST, ROUTING_TABLE) and name the columns in HEADER rows,
// comma or tab separated. Columns are found by name, so the columns later
// releases add (Virtual IPv6 Address, Client ID, Peer ID, Data Channel
// Cipher) shift nothing; before any header the columns of 2.3 apply.
//
// Each client is a VPNStart (at Connected Since) and each route a
// VPNAssign (at Last Ref), both naming the client's Username where it has
// one (a route names only the common name: the client list before it maps
// that to the Username). The file's time (TIME, Updated) stands in for a
// row's missing time.
type openVPNStatusParser struct {
	clock   *stampClock
	extra   event.Extra
	section int
	clients map[string]int // column name -> index, after the row kind in v2/v3
	routes  map[string]int
	updated time.Time
	users   map[string]string // "cn\x00real address" -> the client's Username
}

// Columns of each row kind before a header names them (OpenVPN 2.3).
var (
	statusClientCols = []string{"Common Name", "Real Address", "Virtual Address", "Bytes Received", "Bytes Sent",
		"Connected Since", "Connected Since (time_t)", "Username"}
	statusClientColsV1 = []string{"Common Name", "Real Address", "Bytes Received", "Bytes Sent", "Connected Since"}
	statusRouteCols    = []string{"Virtual Address", "Common Name", "Real Address", "Last Ref", "Last Ref (time_t)"}
)

func columns(names []string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[strings.TrimSpace(n)] = i
	}
	return m
}

func newOpenVPNStatusParser(o Options) *openVPNStatusParser {
	return &openVPNStatusParser{clock: newStampClock(o), clients: columns(statusClientCols), routes: columns(statusRouteCols),
		users: map[string]string{}}
}

// Extra implements ExtraParser.
func (p *openVPNStatusParser) Extra() *event.Extra { return &p.extra }

// Parse implements Parser. Rows of clients and routes give one VPNSession
// in Extra and ErrExtraOnly; every other line is skipped.
func (p *openVPNStatusParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	b := trimSpaces(line)
	if len(b) == 0 {
		return ErrSkip
	}
	if len(b) > openVPNMaxLine {
		return fmt.Errorf("line of %d bytes is longer than an OpenVPN status line can be (%d)", len(b), openVPNMaxLine)
	}
	if i := badByte(b); i >= 0 {
		return fmt.Errorf("not an openvpn status line: binary data at byte %d", i)
	}
	s := string(b)
	sep := ","
	if strings.IndexByte(s, '\t') >= 0 {
		sep = "\t"
	}
	cols := strings.Split(s, sep)
	switch cols[0] {
	case "OpenVPN CLIENT LIST":
		p.section, p.clients = statusClients, columns(statusClientColsV1)
		return fmt.Errorf("openvpn status section: %w", ErrSkip)
	case "ROUTING TABLE":
		p.section, p.routes = statusRoutes, columns(statusRouteCols[:4])
		return fmt.Errorf("openvpn status section: %w", ErrSkip)
	case "GLOBAL STATS", "OpenVPN STATISTICS":
		p.section = statusOther
		return fmt.Errorf("openvpn status section: %w", ErrSkip)
	case "END", "GLOBAL_STATS", "TITLE":
		return fmt.Errorf("openvpn status %s: %w", strings.ToLower(cols[0]), ErrSkip)
	case "TIME", "Updated":
		if len(cols) < 2 {
			return fmt.Errorf("openvpn status %s without a time", cols[0])
		}
		t, err := p.stamp(cols[1:], 1, 0)
		if err != nil {
			return fmt.Errorf("openvpn status %s: %w", cols[0], err)
		}
		p.updated = t
		return fmt.Errorf("openvpn status file time: %w", ErrSkip)
	case "HEADER":
		if len(cols) > 1 {
			switch cols[1] {
			case "CLIENT_LIST":
				p.clients = columns(cols[2:])
			case "ROUTING_TABLE":
				p.routes = columns(cols[2:])
			}
		}
		return fmt.Errorf("openvpn status header: %w", ErrSkip)
	case "CLIENT_LIST":
		return p.client(line, cols[1:])
	case "ROUTING_TABLE":
		return p.route(line, cols[1:])
	case "Common Name":
		if p.section == statusClients {
			p.clients = columns(cols)
		}
		return fmt.Errorf("openvpn status header: %w", ErrSkip)
	case "Virtual Address":
		if p.section == statusRoutes {
			p.routes = columns(cols)
		}
		return fmt.Errorf("openvpn status header: %w", ErrSkip)
	}
	switch p.section {
	case statusClients:
		return p.client(line, cols)
	case statusRoutes:
		return p.route(line, cols)
	}
	return fmt.Errorf("openvpn status line without a session: %w", ErrSkip)
}

// col returns the value of the named column, "" when the row has none.
func col(row []string, m map[string]int, name string) string {
	if i, ok := m[name]; ok && i < len(row) {
		return strings.TrimSpace(row[i])
	}
	return ""
}

// client reads a client row: a VPNStart.
func (p *openVPNStatusParser) client(line []byte, row []string) error {
	f := event.VPNSession{Kind: event.VPNStart}
	cn, user := col(row, p.clients, "Common Name"), col(row, p.clients, "Username")
	f.User = cn
	if user != "" && user != "UNDEF" {
		f.User = user
		if len(p.users) >= openVPNMaxAuth {
			clear(p.users)
		}
		p.users[cn+"\x00"+col(row, p.clients, "Real Address")] = user
	}
	if f.User == "" || f.User == "UNDEF" {
		return fmt.Errorf("openvpn status client without a name: %w", ErrSkip)
	}
	f.SessionID = col(row, p.clients, "Client ID") // 2.4 and later: the management interface's id
	remote, err := vpnEndpoint(col(row, p.clients, "Real Address"))
	if err != nil {
		return fmt.Errorf("openvpn status client: bad Real Address %q", quote([]byte(col(row, p.clients, "Real Address"))))
	}
	if !remote.Addr().IsUnspecified() {
		f.RemoteIP, f.RemotePort = remote.Addr(), remote.Port()
	}
	if v := col(row, p.clients, "Virtual Address"); v != "" {
		if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" && !a.IsUnspecified() {
			f.AssignedIP = a.Unmap()
		}
	}
	for _, c := range []struct {
		name string
		dst  *uint64
	}{{"Bytes Received", &f.BytesIn}, {"Bytes Sent", &f.BytesOut}} {
		v := col(row, p.clients, c.name)
		if v == "" {
			continue
		}
		n, ok := parseUint([]byte(v), math.MaxUint64)
		if !ok {
			return fmt.Errorf("openvpn status client: bad %s %q", c.name, quote([]byte(v)))
		}
		*c.dst = n
	}
	if f.Time, err = p.rowTime(row, p.clients, "Connected Since"); err != nil {
		return err
	}
	return p.add(line, f)
}

// route reads a routing table row: a VPNAssign of its virtual address.
func (p *openVPNStatusParser) route(line []byte, row []string) error {
	f := event.VPNSession{Kind: event.VPNAssign, User: col(row, p.routes, "Common Name")}
	v := col(row, p.routes, "Virtual Address")
	a, err := netip.ParseAddr(v)
	switch {
	case err != nil || a.Zone() != "":
		// A tap client's MAC, an iroute's subnet: not one client's address.
		return fmt.Errorf("openvpn status route to a subnet or MAC, not a pool address: %w", ErrSkip)
	case a.IsUnspecified():
		return fmt.Errorf("openvpn status route without an address (0.0.0.0): %w", ErrSkip)
	case f.User == "" || f.User == "UNDEF":
		return fmt.Errorf("openvpn status route without a client name: %w", ErrSkip)
	}
	f.AssignedIP = a.Unmap()
	if u, ok := p.users[f.User+"\x00"+col(row, p.routes, "Real Address")]; ok {
		f.User = u
	}
	if ra := col(row, p.routes, "Real Address"); ra != "" {
		remote, err := vpnEndpoint(ra)
		if err != nil {
			return fmt.Errorf("openvpn status route: bad Real Address %q", quote([]byte(ra)))
		}
		if !remote.Addr().IsUnspecified() {
			f.RemoteIP, f.RemotePort = remote.Addr(), remote.Port()
		}
	}
	if f.Time, err = p.rowTime(row, p.routes, "Last Ref"); err != nil {
		return err
	}
	return p.add(line, f)
}

// rowTime reads a row's time from its "NAME (time_t)" column, else its
// NAME column (see stamp), else the file's time.
func (p *openVPNStatusParser) rowTime(row []string, m map[string]int, name string) (time.Time, error) {
	if v := col(row, m, name+" (time_t)"); v != "" {
		n, ok := parseUint([]byte(v), maxEpoch)
		if !ok || n == 0 {
			return time.Time{}, fmt.Errorf("openvpn status: bad %s (time_t) %q", name, quote([]byte(v)))
		}
		return time.Unix(int64(n), 0).UTC(), nil
	}
	if i, ok := m[name]; ok && i < len(row) {
		t, err := p.stamp(row, -1, i)
		if err != nil {
			return t, fmt.Errorf("openvpn status: bad %s: %w", name, err)
		}
		return t, nil
	}
	if p.updated.IsZero() {
		return time.Time{}, fmt.Errorf("openvpn status: no %s and no file time", name)
	}
	return p.updated, nil
}

// stamp reads the stamp of row[i], ctime's up to 2.4 ("Tue Mar 21
// 10:39:14 2017") or 2.5's "2017-03-21 10:39:14", in Options.Location; when
// epoch >= 0 and row[epoch] holds a time_t, that wins.
func (p *openVPNStatusParser) stamp(row []string, epoch, i int) (time.Time, error) {
	if epoch >= 0 && epoch < len(row) {
		if n, ok := parseUint([]byte(strings.TrimSpace(row[epoch])), maxEpoch); ok && n > 0 {
			return time.Unix(int64(n), 0).UTC(), nil
		}
	}
	v := strings.TrimSpace(row[i])
	if sh := stampShape([]byte(v)); sh != stampOpenWrt && sh != stampISOSpace {
		return time.Time{}, fmt.Errorf("bad timestamp %q", quote([]byte(v)))
	}
	t, rest, err := p.clock.parse([]byte(v))
	if err != nil {
		return t, err
	}
	if len(trimSpaces(rest)) != 0 {
		return time.Time{}, fmt.Errorf("bad timestamp %q", quote([]byte(v)))
	}
	return t, nil
}

// add stores f as the line's fact.
func (p *openVPNStatusParser) add(line []byte, f event.VPNSession) error {
	f.Format = openVPNStatusName
	f.Raw = string(line)
	f.ID = vpnID(openVPNStatusName, &f)
	p.extra.VPNSessions = append(p.extra.VPNSessions, f)
	return ErrExtraOnly
}
