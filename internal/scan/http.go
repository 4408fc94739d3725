package scan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// httpAnswer is an HTTP response as a probe read it.
type httpAnswer struct {
	status int
	header http.Header
	body   []byte
}

// httpGet sends GET path on c and reads the answer; nil when the answer is
// not HTTP.
func httpGet(ctx context.Context, c net.Conn, host, path string, wait time.Duration) *httpAnswer {
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	c.SetDeadline(time.Now().Add(wait))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: homesoc-scan\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return nil
	}
	br := bufio.NewReader(c)
	if peek, err := br.Peek(5); err != nil || string(peek) != "HTTP/" {
		return nil
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return &httpAnswer{status: resp.StatusCode, header: resp.Header, body: body}
}

// hostHeader is the Host header for the probed address.
func (pr *prober) hostHeader() string { return pr.ap.String() }

// probeHTTP sends GET / and reads the server, title, redirect and what kind
// of device answered: a router admin page, a UPnP device, a printer.
func probeHTTP(ctx context.Context, pr *prober) *match {
	c, err := pr.dial(ctx)
	if err != nil {
		return nil
	}
	a := httpGet(ctx, c, pr.hostHeader(), "/", pr.wait)
	c.Close()
	if a == nil {
		return nil
	}
	if tlsRequired(a) {
		return nil // the TLS probe reports it
	}
	landing := followRedirect(ctx, pr, a, "http", pr.dial)
	m := httpMatch(a, landing, "http")
	switch usual := ServiceName(pr.ap.Port()); {
	case m.Service == "http" && (usual == "upnp" || strings.Contains(a.header.Get("Server"), "UPnP")):
		upnpDescription(ctx, pr, m)
	case m.Service == "ipp" || usual == "ipp":
		ippEnrich(ctx, pr, m)
	}
	return m
}

// tlsRequired reports whether an answer to plain HTTP says the port
// speaks HTTPS (Go net/http, nginx, Apache wordings).
func tlsRequired(a *httpAnswer) bool {
	if a.status != http.StatusBadRequest {
		return false
	}
	for _, s := range []string{"HTTP request to an HTTPS server", "plain HTTP request was sent to HTTPS port", "speaking plain HTTP to an SSL-enabled server"} {
		if bytes.Contains(a.body, []byte(s)) {
			return true
		}
	}
	return false
}

// followRedirect fetches the page a redirect of a points to, once, when it
// stays on the same port and scheme: routers send / to their login page,
// whose title tells which router it is. It returns nil otherwise.
func followRedirect(ctx context.Context, pr *prober, a *httpAnswer, scheme string, dial func(context.Context) (net.Conn, error)) *httpAnswer {
	if a.status < 300 || a.status > 399 {
		return nil
	}
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		return nil
	}
	base := &url.URL{Scheme: scheme, Host: pr.hostHeader(), Path: "/"}
	target := base.ResolveReference(loc)
	if target.Scheme != scheme || target.Host != base.Host {
		return nil
	}
	c, err := dial(ctx)
	if err != nil {
		return nil
	}
	defer c.Close()
	return httpGet(ctx, c, pr.hostHeader(), target.RequestURI(), pr.wait)
}

// httpMatch turns an HTTP answer into a match of service svc (http or
// https), or ipp for a printer; the title and admin page come from the
// page a redirect landed on when there is one.
func httpMatch(a, landing *httpAnswer, svc string) *match {
	info := &HTTPInfo{
		Status:   a.status,
		Server:   a.header.Get("Server"),
		Title:    title(a.body),
		Location: a.header.Get("Location"),
	}
	info.Admin = adminPage(info, a.header, a.body)
	var fields map[string]string
	if realm := authRealm(a.header); realm != "" {
		fields = map[string]string{"http_auth_realm": realm}
	}
	if landing != nil {
		li := &HTTPInfo{Status: landing.status, Server: landing.header.Get("Server"), Title: title(landing.body)}
		if info.Title == "" {
			info.Title = li.Title
		}
		if info.Admin == "" {
			info.Admin = adminPage(li, landing.header, landing.body)
		}
	}
	m := &match{Service: svc, Evidence: Evidence{HTTP: info, Fields: fields}}
	m.Product, m.Version, m.Info = serverProduct(info.Server)
	if strings.Contains(info.Server, "IPP/") || strings.HasPrefix(info.Server, "CUPS") {
		m.Service = "ipp"
	}
	if info.Admin != "" && m.Product == "" {
		m.Product = info.Admin
	}
	return m
}

var titleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// title returns the page's <title>, unescaped with spaces collapsed.
func title(body []byte) string {
	sm := titleRe.FindSubmatch(body)
	if sm == nil {
		return ""
	}
	t := strings.Join(strings.Fields(html.UnescapeString(string(sm[1]))), " ")
	if len(t) > 200 {
		t = t[:200]
	}
	return t
}

// serverProducts maps a Server header's product token to the name we
// report (nmap's names where it has one).
var serverProducts = map[string]string{
	"Apache":         "Apache httpd",
	"nginx":          "nginx",
	"lighttpd":       "lighttpd",
	"Microsoft-IIS":  "Microsoft IIS httpd",
	"mini_httpd":     "mini_httpd",
	"Boa":            "Boa HTTPd",
	"GoAhead-Webs":   "GoAhead WebServer",
	"thttpd":         "thttpd",
	"Caddy":          "Caddy",
	"Jetty":          "Jetty",
	"CUPS":           "CUPS",
	"MiniUPnPd":      "MiniUPnPd",
	"SimpleHTTP":     "SimpleHTTPServer",
	"uhttpd":         "uhttpd",
	"RomPager":       "Allegro RomPager",
	"Hikvision-Webs": "Hikvision Webs",
}

var serverToken = regexp.MustCompile(`^([A-Za-z][\w.!-]*)(?:/([\w.+~-]+))?(?:\s+\(([^)]*)\))?`)

// serverProduct reads a Server header: "Apache/2.4.62 (Debian)" is Apache
// httpd 2.4.62 with info "(Debian)". UPnP servers name OS, UPnP version and
// product ("Linux/5.15 UPnP/1.1 MiniUPnPd/2.3.3"): the product is the last
// token, the rest is info.
func serverProduct(server string) (product, version, info string) {
	server = strings.TrimSpace(server)
	if server == "" {
		return "", "", ""
	}
	if strings.Contains(server, "UPnP/") {
		var rest []string
		for _, tok := range strings.Fields(server) {
			name, ver, _ := strings.Cut(tok, "/")
			if strings.EqualFold(name, "UPnP") || product != "" {
				rest = append(rest, tok)
				continue
			}
			if n, ok := serverProducts[name]; ok {
				product, version = n, ver
				continue
			}
			rest = append(rest, tok)
		}
		if product == "" {
			return server, "", ""
		}
		return product, version, strings.Join(rest, " ")
	}
	sm := serverToken.FindStringSubmatch(server)
	if sm == nil {
		return server, "", ""
	}
	product = sm[1]
	if n, ok := serverProducts[product]; ok {
		product = n
	}
	if sm[3] != "" {
		info = "(" + sm[3] + ")"
	}
	if rest := strings.TrimSpace(server[len(sm[0]):]); rest != "" {
		info = strings.TrimSpace(info + " " + rest)
	}
	return product, sm[2], info
}

// upnpPaths are where UPnP devices keep their root description, tried when
// GET / did not point to it: MiniUPnPd's rootDesc.xml first.
var upnpPaths = []string{"/rootDesc.xml", "/description.xml", "/gatedesc.xml", "/igd.xml", "/DeviceDescription.xml"}

// upnpDevice is the part of a UPnP device description we report.
type upnpDevice struct {
	Device struct {
		DeviceType   string `xml:"deviceType"`
		FriendlyName string `xml:"friendlyName"`
		Manufacturer string `xml:"manufacturer"`
		ModelName    string `xml:"modelName"`
		ModelNumber  string `xml:"modelNumber"`
	} `xml:"device"`
}

// upnpDescription fetches the device description of a UPnP HTTP server and
// makes m a upnp match with its friendly name, manufacturer and model.
func upnpDescription(ctx context.Context, pr *prober, m *match) {
	for _, path := range upnpPaths {
		c, err := pr.dial(ctx)
		if err != nil {
			return
		}
		a := httpGet(ctx, c, pr.hostHeader(), path, pr.wait)
		c.Close()
		if a == nil || a.status != http.StatusOK || !bytes.Contains(a.body, []byte("urn:schemas-upnp-org:device-1-0")) {
			continue
		}
		var d upnpDevice
		if err := xml.Unmarshal(a.body, &d); err != nil {
			continue
		}
		m.Service = "upnp"
		f := map[string]string{"upnp_description": path}
		for k, v := range map[string]string{
			"upnp_device_type":   d.Device.DeviceType,
			"upnp_friendly_name": d.Device.FriendlyName,
			"upnp_manufacturer":  d.Device.Manufacturer,
			"upnp_model_name":    d.Device.ModelName,
			"upnp_model_number":  d.Device.ModelNumber,
		} {
			if v = strings.TrimSpace(v); v != "" {
				f[k] = v
			}
		}
		m.Evidence.Fields = f
		return
	}
}
