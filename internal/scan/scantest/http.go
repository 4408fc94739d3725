package scantest

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"testing"
)

// HTTP serves h on a new port of addr, over TLS with cert when cert is not
// nil, until the test ends, and returns the port.
func HTTP(t testing.TB, addr netip.Addr, h http.Handler, cert *tls.Certificate) uint16 {
	t.Helper()
	l := Listen(t, addr)
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"http/1.1"}}
		l = tls.NewListener(l, srv.TLSConfig)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// Page answers every path with status, the headers given as name, value
// pairs, and body.
func Page(status int, body string, headers ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	})
}

// MiniUPnPdRootDesc is the start of the root description MiniUPnPd 2.3.3
// serves at /rootDesc.xml on OpenWrt 23.05.
const MiniUPnPdRootDesc = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0" configId="1337"><specVersion><major>1</major><minor>1</minor></specVersion><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType><friendlyName>OpenWrt router</friendlyName><manufacturer>OpenWrt</manufacturer><manufacturerURL>https://openwrt.org/</manufacturerURL><modelDescription>OpenWrt router</modelDescription><modelName>OpenWrt router</modelName><modelNumber>23.05.3</modelNumber><UDN>uuid:2f3e1a4c-6b1d-4e7a-9c1e-0a1b2c3d4e5f</UDN></device></root>`

// MiniUPnPd serves like MiniUPnPd 2.3.3's HTTP: 404 for /, the root
// description at /rootDesc.xml, its Server header on both.
func MiniUPnPd() http.Handler {
	const server = "OpenWRT/23.05.3 UPnP/1.1 MiniUPnPd/2.3.3"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", server)
		if r.URL.Path != "/rootDesc.xml" {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD><BODY><H1>Not Found</H1>The requested URL was not found on this server.</BODY></HTML>\r\n"))
			return
		}
		w.Header().Set("Content-Type", `text/xml; charset="utf-8"`)
		w.Write([]byte(MiniUPnPdRootDesc))
	})
}

// IPPPrinter serves like the embedded web server of an HP LaserJet Pro
// M404dn (firmware 002.2207A): a status page on GET, and on POST of
// application/ipp a Get-Printer-Attributes response with its make and
// model, info and firmware version (RFC 8011 attribute names).
func IPPPrinter() http.Handler {
	const model = "HP LaserJet Pro M404dn"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "HP HTTP Server; "+model+" - W1A53A; Serial Number: PHBBB00000; Built: Thu Feb 17, 2022 10:02:10AM {002.2207A}")
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/ipp" {
			w.Write([]byte("<html><head><title>" + model + "</title></head></html>"))
			return
		}
		req, _ := io.ReadAll(r.Body)
		if len(req) < 9 || req[2] != 0 || req[3] != 0x0b {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		resp := []byte{1, 1, 0, 0, req[4], req[5], req[6], req[7], 0x01}
		attr := func(tag byte, name, value string) {
			resp = append(resp, tag, byte(len(name)>>8), byte(len(name)))
			resp = append(resp, name...)
			resp = append(resp, byte(len(value)>>8), byte(len(value)))
			resp = append(resp, value...)
		}
		attr(0x47, "attributes-charset", "utf-8")
		attr(0x48, "attributes-natural-language", "en")
		resp = append(resp, 0x04) // printer-attributes-tag
		attr(0x41, "printer-info", model)
		attr(0x41, "printer-make-and-model", model)
		attr(0x41, "printer-firmware-string-version", "002.2207A")
		resp = append(resp, 0x03)
		w.Header().Set("Content-Type", "application/ipp")
		w.Write(resp)
	})
}
