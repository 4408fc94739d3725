// Package nmapxml imports nmap's XML output (nmap -oX, versions 3.75 to
// 7.x) as scan.Scans, so that scans users already have compare with ours.
package nmapxml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/scan"
)

// Info is what an nmap run says about itself, beside its hosts.
type Info struct {
	Scanner  string    // "nmap" (masscan writes the same XML as "masscan")
	Version  string    // nmap's version, e.g. "7.93"
	Args     string    // the command line
	Started  time.Time // UTC
	Finished time.Time // UTC; zero when the run did not finish
	// Skipped counts what the import left out: hosts without an IPv4 or
	// IPv6 address, ports of protocols other than tcp and udp.
	SkippedHosts, SkippedPorts int
	// TCPPorts and UDPPorts are the ports the run tried, from its
	// <scaninfo services=...> (one per protocol and scan type, joined), as
	// scan.Scan keeps them; both "" when the file does not say, or a
	// scaninfo of tcp or udp counts services without listing them.
	TCPPorts, UDPPorts string
}

// Decode reads a whole nmap XML run into a scan of Source "nmap".
func Decode(r io.Reader) (scan.Scan, Info, error) {
	s := scan.Scan{Source: scan.SourceNmap, Hosts: []scan.Host{}}
	info, err := Stream(r, func(h scan.Host) error {
		s.Hosts = append(s.Hosts, h)
		return nil
	})
	s.Args, s.Started, s.Finished = info.Args, info.Started, info.Finished
	s.TCPPorts, s.UDPPorts = info.TCPPorts, info.UDPPorts
	return s, info, err
}

// Stream reads an nmap XML run token by token, calling fn with each host as
// soon as it is read, so that a file of many hosts is never held whole.
// Errors name the input line. The Info is complete when it returns without
// error (the finish time comes last).
func Stream(r io.Reader, fn func(scan.Host) error) (Info, error) {
	d := xml.NewDecoder(r)
	d.CharsetReader = charsetReader
	var info Info
	services := map[string]int{} // protocol -> ports scanned, from scaninfo
	var protos []string          // scaninfo protocols, in order
	var cov coverage
	root := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if !root {
				return info, errors.New("nmap xml: no <nmaprun> element: not nmap -oX output")
			}
			info.TCPPorts, info.UDPPorts = cov.lists()
			return info, nil
		}
		if err != nil {
			return info, lineError(d, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			if se.Name.Local != "nmaprun" {
				return info, fmt.Errorf("nmap xml line %d: root element <%s>, want <nmaprun>: not nmap -oX output", line(d), se.Name.Local)
			}
			root = true
			info.Scanner, info.Version, info.Args = attr(se, "scanner"), attr(se, "version"), attr(se, "args")
			if info.Started, err = unixAttr(se, "start"); err != nil {
				return info, fmt.Errorf("nmap xml line %d: %w", line(d), err)
			}
			continue
		}
		switch se.Name.Local {
		case "scaninfo":
			p := attr(se, "protocol")
			n, _ := strconv.Atoi(attr(se, "numservices"))
			if _, ok := services[p]; !ok {
				protos = append(protos, p)
			}
			services[p] += n
			if err := cov.add(p, n, attr(se, "services")); err != nil {
				return info, fmt.Errorf("nmap xml line %d: scaninfo: %w", line(d), err)
			}
		case "host":
			at := line(d)
			var xh xmlHost
			if err := d.DecodeElement(&xh, &se); err != nil {
				return info, lineError(d, err)
			}
			h, skipped, err := host(xh, services, protos)
			if err != nil {
				return info, fmt.Errorf("nmap xml line %d: host: %w", at, err)
			}
			info.SkippedPorts += skipped
			if !h.Addr.IsValid() {
				info.SkippedHosts++
				continue
			}
			if err := fn(h); err != nil {
				return info, err
			}
		case "finished":
			if info.Finished, err = unixAttr(se, "time"); err != nil {
				return info, fmt.Errorf("nmap xml line %d: %w", line(d), err)
			}
		}
	}
}

// coverage gathers the port sets of a run's <scaninfo> elements.
type coverage struct {
	tcp, udp scan.PortSet
	listed   bool // a scaninfo of tcp or udp listed its services
	unlisted bool // one counted services without listing them
}

// add joins the services of one scaninfo of protocol proto, numservices n.
func (c *coverage) add(proto string, n int, services string) error {
	if proto != scan.TCP && proto != scan.UDP {
		return nil // ip, sctp: not compared
	}
	if services == "" {
		if n > 0 {
			c.unlisted = true
		}
		return nil
	}
	ps, err := scan.ParsePortSet(services)
	if err != nil {
		return fmt.Errorf("%s services: %w", proto, err)
	}
	c.listed = true
	if proto == scan.TCP {
		c.tcp = c.tcp.Union(ps)
	} else {
		c.udp = c.udp.Union(ps)
	}
	return nil
}

// lists are the run's TCP and UDP port sets as scan.Scan keeps them; ""
// and "" unless every scaninfo of tcp or udp listed its ports.
func (c coverage) lists() (tcp, udp string) {
	if !c.listed || c.unlisted {
		return "", ""
	}
	return c.tcp.String(), c.udp.String()
}

// host converts one <host>; it has no address if it had no IPv4 or IPv6
// one. skipped counts its ports of other protocols.
func host(xh xmlHost, services map[string]int, protos []string) (h scan.Host, skipped int, err error) {
	for _, a := range xh.Addresses {
		if a.AddrType != "ipv4" && a.AddrType != "ipv6" && a.AddrType != "" {
			continue
		}
		addr, err := netip.ParseAddr(a.Addr)
		if err != nil {
			return h, 0, fmt.Errorf("address %q: %w", a.Addr, err)
		}
		h.Addr = addr.Unmap().WithZone("")
		break
	}
	if len(xh.Hostnames) > 0 {
		h.Hostname = xh.Hostnames[0].Name
	}
	h.Status = xh.Status.State
	if h.Started, err = unixText("starttime", xh.StartTime); err != nil {
		return h, 0, err
	}
	if h.Finished, err = unixText("endtime", xh.EndTime); err != nil {
		return h, 0, err
	}
	if xh.Times != nil && xh.Times.SRTT != "" {
		us, err := strconv.ParseInt(xh.Times.SRTT, 10, 64)
		if err != nil || us < 0 {
			return h, 0, fmt.Errorf("times srtt %q: want microseconds", xh.Times.SRTT)
		}
		h.SRTT = time.Duration(us) * time.Microsecond
	}
	h.Ports = []scan.Port{}
	listed := map[string]int{}
	for _, xp := range xh.Ports {
		if xp.Protocol != scan.TCP && xp.Protocol != scan.UDP {
			skipped++
			continue
		}
		p, err := port(xp)
		if err != nil {
			return h, 0, err
		}
		listed[p.Proto]++
		h.Ports = append(h.Ports, p)
	}
	h.Closed, h.Filtered = map[string]int{}, map[string]int{}
	remaining := map[string]int{}
	for p, n := range services {
		remaining[p] = n - listed[p]
	}
	for _, x := range xh.Extra {
		n, err := strconv.Atoi(x.Count)
		if err != nil || n < 0 || n > 65536 {
			return h, 0, fmt.Errorf("extraports count %q: want 0 to 65536", x.Count)
		}
		var into map[string]int
		switch x.State {
		case scan.Closed:
			into = h.Closed
		case scan.Filtered, scan.OpenFiltered:
			into = h.Filtered
		}
		if n == 0 || into == nil {
			continue // "unknown" in nmap 3.x; unfiltered, closed|filtered of scans we do not compare
		}
		p := reasonsProto(x.Reasons)
		if p == "" {
			p = extraProto(x.State, n, remaining, protos)
		}
		if p == "" {
			skipped += n
			continue
		}
		into[p] += n
		remaining[p] -= n
	}
	return h, skipped, nil
}

// reasonsProto is the protocol the extrareasons of nmap 7.90 and later
// name, if they all name the same one and it is tcp or udp.
func reasonsProto(rs []xmlExtraReason) string {
	p := ""
	for _, r := range rs {
		if r.Proto != scan.TCP && r.Proto != scan.UDP || (p != "" && r.Proto != p) {
			return ""
		}
		p = r.Proto
	}
	return p
}

// extraProto finds the protocol of an <extraports>, which does not say it:
// the only protocol scanned; else the one whose ports not yet accounted for
// (scaninfo's numservices less those listed and in earlier extraports)
// match the count exactly, open|filtered preferring UDP; else the first
// with room for it. "" when no tcp or udp scan has room.
func extraProto(state string, n int, remaining map[string]int, protos []string) string {
	var candidates []string
	for _, p := range protos {
		if p == scan.TCP || p == scan.UDP {
			candidates = append(candidates, p)
		}
	}
	if len(protos) == 0 {
		return scan.TCP // nmap 3.x without scaninfo: a TCP scan
	}
	if len(candidates) == 1 && len(protos) == 1 {
		return candidates[0]
	}
	if state == scan.OpenFiltered && remaining[scan.UDP] == n {
		return scan.UDP
	}
	for _, p := range candidates {
		if remaining[p] == n {
			return p
		}
	}
	for _, p := range candidates {
		if remaining[p] >= n {
			return p
		}
	}
	return ""
}

// port converts one <port> of tcp or udp.
func port(xp xmlPort) (scan.Port, error) {
	n, err := strconv.ParseUint(xp.PortID, 10, 16)
	if err != nil {
		return scan.Port{}, fmt.Errorf("portid %q: want 0 to 65535", xp.PortID)
	}
	p := scan.Port{Port: uint16(n), Proto: xp.Protocol, State: xp.State.State, Reason: xp.State.Reason}
	fields := map[string]string{}
	if sv := xp.Service; sv != nil {
		p.Service, p.Product, p.Version, p.Info, p.OS = sv.Name, sv.Product, sv.Version, sv.ExtraInfo, sv.OSType
		p.Guessed = sv.Method == "table"
		if sv.Tunnel == "ssl" {
			fields["tunnel"] = "ssl"
			if p.Service == "http" {
				p.Service = "https" // nmap's http over ssl, as we name it
			}
		}
		if sv.Conf != "" {
			fields["nmap_conf"] = sv.Conf
		}
	}
	for _, sc := range xp.Scripts {
		fields["nmap_script_"+sc.ID] = sc.Output
	}
	if len(fields) > 0 {
		p.Evidence.Fields = fields
	}
	return p, nil
}

// attr returns the value of se's attribute name, "" if it has none.
func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// unixAttr reads a time given as seconds since the epoch.
func unixAttr(se xml.StartElement, name string) (time.Time, error) {
	return unixText(name, attr(se, name))
}

// unixText reads seconds since the epoch; "" (or 0) is no time.
func unixText(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return time.Time{}, fmt.Errorf("%s %q: want seconds since 1970", name, v)
	}
	if n == 0 {
		return time.Time{}, nil
	}
	return time.Unix(n, 0).UTC(), nil
}

// line is the decoder's current input line.
func line(d *xml.Decoder) int {
	l, _ := d.InputPos()
	return l
}

// lineError wraps a decoding error with the line it happened on.
func lineError(d *xml.Decoder, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("nmap xml line %d: %s", se.Line, se.Msg)
	}
	return fmt.Errorf("nmap xml line %d: %w", line(d), err)
}

// charsetReader decodes the 8-bit charsets old nmap files may declare.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii", "windows-1252":
		return latin1Reader{r}, nil
	}
	return nil, fmt.Errorf("encoding %q: only UTF-8 and ISO-8859-1 are read", charset)
}

// latin1Reader turns ISO-8859-1 bytes into UTF-8.
type latin1Reader struct{ r io.Reader }

func (l latin1Reader) Read(p []byte) (int, error) {
	if len(p) < 2 {
		return 0, io.ErrShortBuffer
	}
	buf := make([]byte, len(p)/2)
	n, err := l.r.Read(buf)
	out := p[:0]
	for _, b := range buf[:n] {
		out = append(out, string(rune(b))...)
	}
	return len(out), err
}
