// Command scan-ssdp stands in for a home router's UPnP daemon in the scanner
// benchmarks: it answers unicast SSDP M-SEARCH requests on UDP 1900 the way
// MiniUPnPd does (its SERVER header, a LOCATION pointing at the description)
// and serves that description XML over HTTP on TCP 5000, where many routers
// running MiniUPnPd put it, answering other requests as MiniUPnPd's own HTTP
// server does.
//
// Debian's own SSDP daemons do not fit a loopback benchmark: miniupnpd
// rewrites the host's firewall and multicasts NOTIFY messages, and minissdpd
// multicasts an M-SEARCH when it starts. This one never sends anything but
// replies, and only binds loopback addresses.
//
// usage: scan-ssdp [-udp 1900] [-http 5000] ADDR...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is what MiniUPnPd 2.3 on Debian 12 puts in SERVER and Server.
const server = "Debian/12 UPnP/1.1 MiniUPnPd/2.3.1"

const uuid = "uuid:5ca1ab1e-0000-4000-8000-00000000beef"

func main() {
	udpPort := flag.Int("udp", 1900, "UDP port for SSDP")
	httpPort := flag.Int("http", 5000, "TCP port for the description")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, flag.Args(), *udpPort, *httpPort); err != nil {
		log.Error("scan-ssdp", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, args []string, udpPort, httpPort int) error {
	if len(args) == 0 {
		return errors.New("no address given: name loopback addresses to bind, e.g. 127.0.2.1 ::1")
	}
	errc := make(chan error, 2*len(args))
	for _, a := range args {
		addr, err := netip.ParseAddr(a)
		if err != nil {
			return fmt.Errorf("address %q: %w", a, err)
		}
		if !addr.IsLoopback() {
			return fmt.Errorf("address %s is not loopback: this responder binds loopback only", addr)
		}
		pc, err := net.ListenPacket("udp", net.JoinHostPort(addr.String(), strconv.Itoa(udpPort)))
		if err != nil {
			return fmt.Errorf("listen ssdp: %w", err)
		}
		defer pc.Close()
		location := "http://" + net.JoinHostPort(addr.String(), strconv.Itoa(httpPort)) + "/rootDesc.xml"
		go func() { errc <- serveSSDP(log, pc, location) }()

		ln, err := net.Listen("tcp", net.JoinHostPort(addr.String(), strconv.Itoa(httpPort)))
		if err != nil {
			return fmt.Errorf("listen http: %w", err)
		}
		defer ln.Close()
		go func() { errc <- serveHTTP(log, ln) }()
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}

// serveSSDP answers each M-SEARCH with one reply per search target, to the
// sender only.
func serveSSDP(log *slog.Logger, pc net.PacketConn, location string) error {
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read ssdp: %w", err)
		}
		req := string(buf[:n])
		if !strings.HasPrefix(req, "M-SEARCH * HTTP/1.1\r\n") {
			continue
		}
		for _, st := range targets(header(req, "ST")) {
			if _, err := pc.WriteTo([]byte(reply(st, location)), from); err != nil {
				log.Warn("ssdp reply", "to", from, "err", err)
			}
		}
	}
}

// types are the device and service types MiniUPnPd announces for an IGD.
var types = []string{
	"upnp:rootdevice",
	"urn:schemas-upnp-org:device:InternetGatewayDevice:1",
	"urn:schemas-upnp-org:device:WANDevice:1",
	"urn:schemas-upnp-org:device:WANConnectionDevice:1",
	"urn:schemas-upnp-org:service:WANIPConnection:1",
	"urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1",
	uuid,
}

// targets lists the types that answer the search target st.
func targets(st string) []string {
	if st == "ssdp:all" {
		return types
	}
	for _, t := range types {
		if t == st {
			return []string{t}
		}
	}
	return nil
}

func reply(st, location string) string {
	usn := uuid
	if st != uuid {
		usn += "::" + st
	}
	return "HTTP/1.1 200 OK\r\n" +
		"CACHE-CONTROL: max-age=120\r\n" +
		"ST: " + st + "\r\n" +
		"USN: " + usn + "\r\n" +
		"EXT:\r\n" +
		"SERVER: " + server + "\r\n" +
		"LOCATION: " + location + "\r\n" +
		"OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n" +
		"01-NLS: 1\r\n" +
		"BOOTID.UPNP.ORG: 1\r\n" +
		"CONFIGID.UPNP.ORG: 1337\r\n" +
		"\r\n"
}

// header returns the value of the named header of an HTTP-like message.
func header(msg, name string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// serveHTTP answers on ln the way MiniUPnPd's upnphttp.c does: it reads
// until the end of the headers (closing after 30 s of silence), echoes the
// request's HTTP version in the status line (none for a request line it
// cannot split, hence " 501 Not Implemented"), serves the root description,
// 404 for other GETs and 501 for other methods, then closes.
func serveHTTP(log *slog.Logger, ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("accept http: %w", err)
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := c.Write(answer(readRequest(c))); err != nil {
				log.Debug("http reply", "err", err)
			}
		}()
	}
}

// readRequest returns the request head up to its blank line, or what came
// before the peer closed or fell silent.
func readRequest(c net.Conn) string {
	var head []byte
	buf := make([]byte, 1024)
	for len(head) < 8192 && !strings.Contains(string(head), "\r\n\r\n") {
		n, err := c.Read(buf)
		head = append(head, buf[:n]...)
		if err != nil {
			break
		}
	}
	return string(head)
}

const (
	body404 = "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD><BODY><H1>Not Found</H1>The requested URL was not found on this server.</BODY></HTML>\r\n"
	body501 = "<HTML><HEAD><TITLE>501 Not Implemented</TITLE></HEAD><BODY><H1>Not Implemented</H1>The HTTP Method is not implemented by this server.</BODY></HTML>\r\n"
)

func answer(req string) []byte {
	line, _, _ := strings.Cut(req, "\r\n")
	method, rest, _ := strings.Cut(line, " ")
	path, version, _ := strings.Cut(rest, " ")
	switch {
	case method == "GET" && path == "/rootDesc.xml":
		return response(version, "200 OK", `text/xml; charset="utf-8"`, rootDesc)
	case method == "GET":
		return response(version, "404 Not Found", "text/html", body404)
	default:
		return response(version, "501 Not Implemented", "text/html", body501)
	}
}

func response(version, status, ctype, body string) []byte {
	return []byte(version + " " + status + "\r\n" +
		"Content-Type: " + ctype + "\r\n" +
		"Connection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
		"Server: " + server + "\r\n" +
		"Ext:\r\n" +
		"\r\n" + body)
}

const rootDesc = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0" configId="1337"><specVersion><major>1</major><minor>1</minor></specVersion><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType><friendlyName>Debian router</friendlyName><manufacturer>Debian</manufacturer><manufacturerURL>http://www.debian.org/</manufacturerURL><modelDescription>MiniUPnP daemon</modelDescription><modelName>MiniUPnPd</modelName><modelNumber>2.3.1</modelNumber><modelURL>http://miniupnp.free.fr/</modelURL><serialNumber>00000000</serialNumber><UDN>` + uuid + `</UDN><serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId><SCPDURL>/L3F.xml</SCPDURL><controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL></service></serviceList><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType><friendlyName>WANDevice</friendlyName><manufacturer>MiniUPnP</manufacturer><modelName>WAN Device</modelName><UDN>uuid:5ca1ab1e-0000-4000-8000-00000000bef0</UDN><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType><friendlyName>WANConnectionDevice</friendlyName><manufacturer>MiniUPnP</manufacturer><modelName>MiniUPnPd</modelName><UDN>uuid:5ca1ab1e-0000-4000-8000-00000000bef1</UDN><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><SCPDURL>/WANIPCn.xml</SCPDURL><controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL></service></serviceList></device></deviceList></device></deviceList><presentationURL>http://127.0.2.1/</presentationURL></device></root>
`
