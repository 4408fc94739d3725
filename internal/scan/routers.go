package scan

import (
	"bytes"
	"net/http"
	"strings"
)

// adminSign is one heuristic for a router or device admin page: the page
// is name's when its title, Server header, a header's presence or its body
// holds the given text (case-sensitive, as the firmware writes it).
// These are heuristics from the pages the vendors' current firmware serves;
// a customised page or an ISP branding can defeat them.
type adminSign struct {
	name   string
	title  string // substring of <title>
	server string // substring of Server
	realm  string // substring of the Basic/Digest realm of WWW-Authenticate
	body   string // substring of the body
}

var adminSigns = []adminSign{
	// OpenWrt's LuCI answers / with a page titled after the host name and
	// a redirect to /cgi-bin/luci.
	{name: "OpenWrt LuCI", body: "/cgi-bin/luci"},
	{name: "OpenWrt LuCI", title: "LuCI"},
	{name: "AVM FRITZ!Box", title: "FRITZ!Box"},
	{name: "AVM FRITZ!Box", body: "FRITZ!Box"},
	{name: "DD-WRT", title: "DD-WRT"},
	{name: "DD-WRT", body: "dd-wrt.com"},
	{name: "Ubiquiti UniFi", title: "UniFi"},
	{name: "Ubiquiti EdgeOS", title: "EdgeOS"},
	{name: "Ubiquiti airOS", title: "airOS"},
	{name: "MikroTik RouterOS", title: "RouterOS"},
	{name: "MikroTik RouterOS", body: "mikrotik"},
	{name: "TP-Link", title: "TP-LINK"},
	{name: "TP-Link", title: "TP-Link"},
	{name: "TP-Link", body: "tplinkwifi.net"},
	{name: "TP-Link", realm: "TP-LINK"},
	{name: "D-Link", realm: "DIR-"},
	{name: "Linksys", realm: "Linksys"},
	{name: "Zyxel", realm: "ZyXEL"},
	{name: "Netgear", realm: "NETGEAR"},
	{name: "Netgear", title: "NETGEAR"},
	{name: "ASUS router", title: "ASUS Login"},
	{name: "ASUS router", server: "httpd/2.0", body: "ASUS"},
	{name: "ASUS router", title: "ASUSWRT"},
	{name: "pfSense", title: "pfSense"},
	{name: "OPNsense", title: "OPNsense"},
	{name: "Synology DiskStation", title: "Synology"},
	{name: "QNAP", title: "QTS"},
	{name: "Hikvision camera", server: "Hikvision"},
	{name: "Hikvision camera", body: "/doc/page/login.asp"},
	{name: "Dahua camera", body: "/RPC2_Login"},
	{name: "D-Link", title: "D-LINK"},
	{name: "Linksys", title: "Linksys"},
	{name: "Zyxel", title: "ZyXEL"},
	{name: "Zyxel", title: "Zyxel"},
	{name: "Huawei HG", title: "HUAWEI"},
	{name: "Home Assistant", title: "Home Assistant"},
}

// adminPage returns the device whose admin page the answer looks like, or "".
func adminPage(info *HTTPInfo, h http.Header, body []byte) string {
	for _, s := range adminSigns {
		ok := true
		if s.title != "" && !strings.Contains(info.Title, s.title) {
			ok = false
		}
		if s.server != "" && !strings.Contains(info.Server, s.server) {
			ok = false
		}
		if s.realm != "" && !strings.Contains(authRealm(h), s.realm) {
			ok = false
		}
		if s.body != "" && !bytes.Contains(body, []byte(s.body)) && !strings.Contains(info.Location, s.body) {
			ok = false
		}
		if ok {
			return s.name
		}
	}
	return ""
}

// authRealm returns the realm a WWW-Authenticate challenge names, "" when
// there is none: old router firmware puts its model there
// (Basic realm="NETGEAR R7000").
func authRealm(h http.Header) string {
	for _, ch := range h.Values("WWW-Authenticate") {
		_, rest, ok := strings.Cut(ch, `realm="`)
		if !ok {
			continue
		}
		if realm, _, ok := strings.Cut(rest, `"`); ok {
			return realm
		}
	}
	return ""
}
