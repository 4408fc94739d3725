package upnp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// SSDP search targets.
const (
	STRootDevice = "upnp:rootdevice"
	STAll        = "ssdp:all"
	STIGD        = "urn:schemas-upnp-org:device:InternetGatewayDevice:1"
)

// SearchRequest is an M-SEARCH for st sent to host (an "addr:port"):
// the target's own address for a unicast search (UPnP Device
// Architecture 1.1 section 1.3.2, no MX), or the SSDP multicast group.
func SearchRequest(host, st string, mx int) []byte {
	var b strings.Builder
	b.WriteString("M-SEARCH * HTTP/1.1\r\n")
	fmt.Fprintf(&b, "HOST: %s\r\n", host)
	b.WriteString("MAN: \"ssdp:discover\"\r\n")
	if mx > 0 {
		fmt.Fprintf(&b, "MX: %d\r\n", mx)
	}
	fmt.Fprintf(&b, "ST: %s\r\n", st)
	b.WriteString("USER-AGENT: homesoc UPnP/1.1 homesoc/1\r\n\r\n")
	return []byte(b.String())
}

// SearchResponse is an answer to an M-SEARCH.
type SearchResponse struct {
	ST       string
	USN      string
	Location string
	Server   string
}

// ParseSearchResponse reads one SSDP answer datagram (an HTTP/1.1 200
// response over UDP).
func ParseSearchResponse(b []byte) (SearchResponse, error) {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
	if err != nil {
		return SearchResponse{}, fmt.Errorf("upnp: SSDP answer: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return SearchResponse{}, fmt.Errorf("upnp: SSDP answer: status %s", resp.Status)
	}
	return SearchResponse{
		ST:       resp.Header.Get("ST"),
		USN:      resp.Header.Get("USN"),
		Location: resp.Header.Get("LOCATION"),
		Server:   resp.Header.Get("SERVER"),
	}, nil
}

// Server is a SERVER (or USER-AGENT) header taken apart: "OS/version
// UPnP/1.1 product/version", as UDA asks, though real devices separate
// the three with commas, leave versions out, or put spaces in products.
type Server struct {
	OS, OSVersion           string
	UPnP                    string // the UPnP version claimed
	Product, ProductVersion string
}

// ParseServer parses a SERVER header, e.g. "Linux/5.10 UPnP/1.1
// MiniUPnPd/2.3.3" or "Linux/3.14, UPnP/1.0, Portable SDK for UPnP
// devices/1.6.22".
func ParseServer(s string) Server {
	s = strings.TrimSpace(s)
	var out Server
	i := strings.Index(strings.ToLower(s), "upnp/")
	for i > 0 && s[i-1] != ' ' && s[i-1] != ',' { // "MyUPnP/2" is a product, not the UPnP token
		j := strings.Index(strings.ToLower(s[i+1:]), "upnp/")
		if j < 0 {
			i = -1
			break
		}
		i += 1 + j
	}
	osPart, product := "", s
	if i >= 0 {
		osPart = strings.Trim(s[:i], " ,")
		rest := s[i+len("upnp/"):]
		end := strings.IndexAny(rest, " ,")
		if end < 0 {
			end = len(rest)
		}
		out.UPnP = rest[:end]
		product = strings.Trim(rest[end:], " ,")
	}
	out.OS, out.OSVersion = splitSlash(osPart)
	out.Product, out.ProductVersion = splitSlash(product)
	return out
}

// splitSlash splits "name/version" at its last slash.
func splitSlash(s string) (string, string) {
	if i := strings.LastIndexByte(s, '/'); i > 0 {
		return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
	}
	return strings.TrimSpace(s), ""
}

// ssdpGroup is the SSDP IPv4 multicast group.
var ssdpGroup = &net.UDPAddr{IP: net.IPv4(239, 255, 255, 250), Port: 1900}

// Discover searches the local network for IGDs by SSDP multicast and
// returns the answers heard within wait. It is for real use on a home
// network only: tests and the demo give the IGD's URL instead, and never
// send multicast.
func Discover(ctx context.Context, wait time.Duration) ([]SearchResponse, error) {
	pc, err := net.ListenPacket("udp4", ":0")
	if err != nil {
		return nil, fmt.Errorf("upnp: discover: %w", err)
	}
	defer pc.Close()
	mx := int(wait / time.Second)
	if mx < 1 {
		mx = 1
	}
	return search(ctx, pc, ssdpGroup, SearchRequest(ssdpGroup.String(), STIGD, mx), wait)
}

// search sends req to dst from pc and collects the SSDP answers that
// arrive within wait, one per USN. Discover gives it the multicast group;
// tests give it a loopback responder.
func search(ctx context.Context, pc net.PacketConn, dst net.Addr, req []byte, wait time.Duration) ([]SearchResponse, error) {
	if _, err := pc.WriteTo(req, dst); err != nil {
		return nil, fmt.Errorf("upnp: M-SEARCH to %s: %w", dst, err)
	}
	deadline := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	stop := context.AfterFunc(ctx, func() { _ = pc.SetReadDeadline(time.Now()) })
	defer stop()
	if err := pc.SetReadDeadline(deadline); err != nil {
		return nil, fmt.Errorf("upnp: M-SEARCH: %w", err)
	}
	seen := map[string]bool{}
	out := []SearchResponse{}
	buf := make([]byte, 8192)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return out, ctx.Err()
			}
			return out, fmt.Errorf("upnp: M-SEARCH answers: %w", err)
		}
		r, err := ParseSearchResponse(buf[:n])
		if err != nil || seen[r.USN+"\x00"+r.Location] {
			continue // not an SSDP answer, or one heard already
		}
		seen[r.USN+"\x00"+r.Location] = true
		out = append(out, r)
	}
}
