package scan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// knownPort is one port of our curated list: the service usually found there
// and why a home network exposes it.
type knownPort struct {
	port    uint16
	service string
	why     string
}

// top100 is our own list of the TCP ports home routers, NAS boxes, cameras,
// printers, game consoles and other IoT devices expose, or that a port forward
// or UPnP mapping typically opens to a PC or server at home. It is curated
// from vendors' manuals and public write-ups of home-device exposure (Mirai
// and its descendants, TR-069 and NetUSB advisories, Shodan-style surveys of
// residential ranges), not from nmap's frequency data. The order is the
// order ports are probed in: admin interfaces first.
var top100 = []knownPort{
	// Router and device administration.
	{80, "http", "router, camera and NAS web admin"},
	{443, "https", "router and NAS web admin over TLS, VPN portals"},
	{8080, "http-alt", "router remote admin (TP-Link, D-Link, Netgear), proxies"},
	{8443, "https-alt", "router remote admin over TLS (ASUS, Ubiquiti UniFi, FRITZ!Box MyFRITZ)"},
	{22, "ssh", "router and NAS shells (Dropbear on OpenWrt, Synology, Ubiquiti)"},
	{23, "telnet", "BusyBox telnetd on routers, cameras and DVRs; Mirai's first target"},
	{2323, "telnet", "alternate telnet on IoT devices; Mirai's second target"},
	{7547, "tr-069", "TR-069/CWMP ISP remote management (CVE-2016-10372 era worms)"},
	{4567, "tr-069", "TR-069 connection request of ActionTec/Verizon routers"},
	{8089, "tr-069", "TR-069 connection request of AVM FRITZ!Box"},
	{49000, "tr-064", "AVM FRITZ!Box TR-064 SOAP configuration"},
	{81, "http", "alternate web admin of IP cameras and DVRs"},
	{8000, "http-alt", "camera and DVR web admin, Hikvision SDK port"},
	{8008, "http", "Chromecast / Google Home setup API, alternate admin"},
	{8081, "http", "camera and alternate admin web"},
	{8088, "http", "alternate web admin, media servers"},
	{8181, "http", "alternate web admin"},
	{8888, "http-alt", "alternate web admin, Jupyter, proxies"},
	{10000, "webmin", "Webmin admin on home servers"},
	{8291, "winbox", "MikroTik Winbox management"},
	{8728, "mikrotik-api", "MikroTik RouterOS API"},
	{8729, "mikrotik-api-ssl", "MikroTik RouterOS API over TLS"},
	{2000, "mikrotik-btest", "MikroTik bandwidth-test server"},
	{20005, "netusb", "KCodes NetUSB on TP-Link/Netgear routers (CVE-2021-45608)"},
	{8880, "http-alt", "Ubiquiti UniFi portal"},
	{9000, "http", "Portainer, MinIO and other home-server web UIs"},
	{9443, "https-alt", "Portainer over TLS"},
	{9090, "http", "Cockpit, Prometheus on home servers"},
	{3000, "http", "Grafana, AdGuard Home setup, development servers"},
	// UPnP: what asks the router to open ports.
	{1900, "upnp", "UPnP description over HTTP (TP-Link, Broadcom SDK)"},
	{5000, "upnp", "UPnP HTTP of MiniUPnPd-based routers; Synology DSM web"},
	{5431, "upnp", "Broadcom SDK UPnP"},
	{2869, "upnp", "Windows UPnP device host (SSDP event)"},
	{37215, "upnp", "Huawei HG532 UPnP (CVE-2017-17215)"},
	{49152, "upnp", "UPnP HTTP of MiniUPnPd and libupnp devices"},
	{49153, "upnp", "UPnP HTTP (Belkin Wemo, libupnp)"},
	{52869, "upnp", "Realtek SDK miniigd (CVE-2014-8361)"},
	// File sharing on routers with USB ports and NAS boxes.
	{21, "ftp", "router USB share and NAS FTP (FRITZ!Box, ASUS, Synology)"},
	{990, "ftps", "FTP over TLS on NAS"},
	{139, "netbios-ssn", "SMB over NetBIOS (Samba on routers and NAS, Windows)"},
	{445, "microsoft-ds", "SMB file sharing (Windows, NAS, router USB share)"},
	{548, "afp", "Apple Filing Protocol (Time Machine NAS, AirPort)"},
	{2049, "nfs", "NFS exports of NAS boxes"},
	{111, "rpcbind", "portmapper beside NFS on NAS boxes"},
	{873, "rsync", "rsync backup daemon (Synology, QNAP)"},
	{5001, "https-alt", "Synology DSM over TLS"},
	{8200, "http", "MiniDLNA/ReadyMedia media server on routers and NAS"},
	{3689, "daap", "iTunes/DAAP music sharing on NAS"},
	{32400, "plex", "Plex Media Server"},
	{8096, "http", "Jellyfin/Emby media server"},
	{9091, "http", "Transmission web UI"},
	{51413, "bittorrent", "BitTorrent client port opened by UPnP"},
	// Cameras and video recorders.
	{554, "rtsp", "IP camera and DVR video streams"},
	{8554, "rtsp-alt", "alternate RTSP of cameras and streaming servers"},
	{34567, "dvrip", "Xiongmai DVR/NVR control protocol"},
	{37777, "dahua", "Dahua DVR/NVR control protocol"},
	// Printers.
	{631, "ipp", "IPP printers and CUPS"},
	{9100, "jetdirect", "raw printing (HP JetDirect, PJL)"},
	{515, "printer", "LPD on printers"},
	{5357, "wsdapi", "Web Services for Devices (printers, Windows)"},
	// Home automation and IoT.
	{1883, "mqtt", "MQTT broker (Mosquitto) for home automation"},
	{8883, "secure-mqtt", "MQTT over TLS"},
	{1880, "http", "Node-RED"},
	{8123, "http", "Home Assistant"},
	{502, "modbus", "Modbus/TCP of solar inverters and batteries"},
	{9999, "tplink-shp", "TP-Link Kasa smart plug local protocol"},
	{6668, "tuya", "Tuya smart device local protocol"},
	{1400, "http", "Sonos speaker control"},
	{8060, "http", "Roku External Control Protocol"},
	{8001, "http", "Samsung TV remote control API"},
	{7000, "airplay", "AirPlay receivers (Apple TV, macOS)"},
	{5555, "adb", "Android Debug Bridge of TV boxes and phones"},
	// Remote access to PCs and servers behind the router.
	{3389, "ms-wbt-server", "Remote Desktop forwarded to a PC"},
	{5900, "vnc", "VNC remote desktop (and many embedded boards)"},
	{5901, "vnc-1", "VNC display :1"},
	{5938, "teamviewer", "TeamViewer"},
	{135, "msrpc", "Windows RPC endpoint mapper"},
	{6000, "x11", "X11 display server"},
	{1723, "pptp", "PPTP VPN on routers (DD-WRT, ASUS, MikroTik)"},
	{1194, "openvpn", "OpenVPN over TCP on routers"},
	{1080, "socks", "SOCKS proxies"},
	{3128, "squid-http", "HTTP proxies (Squid)"},
	{2375, "docker", "Docker API without TLS on home servers"},
	{2376, "docker-s", "Docker API over TLS"},
	// Mail, DNS and the servers people run at home.
	{25, "smtp", "mail server at home or NAS mail relay"},
	{465, "smtps", "SMTP over TLS"},
	{587, "submission", "mail submission"},
	{110, "pop3", "POP3 of a home or NAS mail server"},
	{995, "pop3s", "POP3 over TLS"},
	{143, "imap", "IMAP of a home or NAS mail server"},
	{993, "imaps", "IMAP over TLS"},
	{53, "domain", "DNS forwarder (dnsmasq) answering on the WAN over TCP"},
	{5060, "sip", "VoIP telephony (FRITZ!Box, SIP phones)"},
	{5061, "sips", "SIP over TLS"},
	{3306, "mysql", "MySQL/MariaDB on NAS and home servers"},
	{5432, "postgresql", "PostgreSQL"},
	{6379, "redis", "Redis, often without a password"},
	{27017, "mongodb", "MongoDB, often without a password"},
	{9200, "elasticsearch", "Elasticsearch, often without a password"},
	{25565, "minecraft", "Minecraft server forwarded at home"},
}

// wellKnownNames names services of ports outside top100 that top1000 probes,
// as IANA's Service Name and Transport Protocol Port Number Registry names
// them (short forms).
var wellKnownNames = map[uint16]string{
	7: "echo", 9: "discard", 13: "daytime", 17: "qotd", 19: "chargen", 20: "ftp-data",
	37: "time", 43: "whois", 49: "tacacs", 70: "gopher", 79: "finger", 88: "kerberos",
	102: "iso-tsap", 106: "pop3pw", 113: "ident", 119: "nntp", 123: "ntp", 137: "netbios-ns",
	138: "netbios-dgm", 161: "snmp", 162: "snmptrap", 179: "bgp", 199: "smux", 389: "ldap",
	427: "svrloc", 444: "snpp", 464: "kpasswd", 497: "retrospect", 500: "isakmp", 512: "exec",
	513: "login", 514: "shell", 543: "klogin", 544: "kshell", 563: "nntps", 593: "http-rpc-epmap",
	636: "ldaps", 646: "ldp", 749: "kerberos-adm", 853: "domain-s", 902: "vmware-auth",
	989: "ftps-data", 1024: "kdm", 1025: "nfs-or-iis", 1099: "rmiregistry", 1433: "ms-sql-s",
	1434: "ms-sql-m", 1521: "oracle", 1701: "l2tp", 1720: "h323q931", 1812: "radius",
	2082: "cpanel", 2083: "cpanel-ssl", 2086: "whm", 2087: "whm-ssl", 2181: "zookeeper",
	3260: "iscsi", 3268: "globalcatldap", 3478: "stun", 4443: "https-alt", 4786: "smart-install",
	5353: "mdns", 5672: "amqp", 5800: "vnc-http", 5984: "couchdb", 5985: "wsman", 5986: "wsmans",
	6443: "kubernetes", 6881: "bittorrent", 7001: "afs3-callback", 8009: "ajp13", 8086: "influxdb",
	8112: "deluge", 8834: "nessus", 9001: "tor-orport", 9042: "cassandra", 9418: "git",
	10250: "kubelet", 11211: "memcache", 15672: "rabbitmq", 50000: "ibm-db2",
}

// top1000Extra are registered-range ports top1000 adds to top100 and the
// well-known range 1-1023: services people run on servers and appliances
// at home beyond the devices top100 targets.
var top1000Extra = []uint16{
	1024, 1025, 1099, 1433, 1434, 1521, 1720, 1812, 2082, 2083, 2086, 2087, 2181,
	3260, 3268, 4443, 4786, 5672, 5800, 5984, 5985, 5986, 6443, 6881, 7001, 8009,
	8086, 8112, 8834, 9001, 9042, 9418, 10250, 11211, 15672, 50000,
}

var serviceNames = func() map[uint16]string {
	m := make(map[uint16]string, len(top100)+len(wellKnownNames))
	for p, n := range wellKnownNames {
		m[p] = n
	}
	for _, k := range top100 {
		m[k.port] = k.service
	}
	return m
}()

// ServiceName returns the service usually found on TCP port p by our port
// tables, or "unknown".
func ServiceName(p uint16) string {
	if n, ok := serviceNames[p]; ok {
		return n
	}
	return "unknown"
}

// PortReason returns why our top100 list holds port p, or "" when it does not.
func PortReason(p uint16) string {
	for _, k := range top100 {
		if k.port == p {
			return k.why
		}
	}
	return ""
}

// Top100 returns the default port set, in probing order.
func Top100() []uint16 {
	ps := make([]uint16, len(top100))
	for i, k := range top100 {
		ps[i] = k.port
	}
	return ps
}

// Top1000 returns top100 followed by every well-known port (1-1023, the
// system ports IANA assigns) and the registered services of top1000Extra,
// each once: 1,100 ports or so.
func Top1000() []uint16 {
	ps := Top100()
	seen := make(map[uint16]bool, 1200)
	for _, p := range ps {
		seen[p] = true
	}
	add := func(p uint16) {
		if !seen[p] {
			seen[p] = true
			ps = append(ps, p)
		}
	}
	for p := uint16(1); p < 1024; p++ {
		add(p)
	}
	for _, p := range top1000Extra {
		add(p)
	}
	return ps
}

// ParsePorts reads a port set: "top100" (the default for ""), "top1000",
// "all" (1-65535), single ports and ranges ("22,80,8000-8100"), and any
// comma-separated combination ("top100,8443"). The result holds each port
// once, named sets first in their order, then the rest ascending.
func ParsePorts(spec string) ([]uint16, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Top100(), nil
	}
	var out []uint16
	seen := make(map[uint16]bool)
	var extra []uint16
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		switch strings.ToLower(item) {
		case "":
			return nil, fmt.Errorf("port set %q: empty item", spec)
		case "top100":
			out = appendNew(out, seen, Top100())
			continue
		case "top1000":
			out = appendNew(out, seen, Top1000())
			continue
		case "all", "-":
			item = "1-65535"
		}
		lo, hi, err := parseRange(item)
		if err != nil {
			return nil, err
		}
		for p := lo; ; p++ {
			extra = append(extra, uint16(p))
			if p == hi {
				break
			}
		}
	}
	slices.Sort(extra)
	return appendNew(out, seen, extra), nil
}

func appendNew(out []uint16, seen map[uint16]bool, ps []uint16) []uint16 {
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func parseRange(item string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(item, "-")
	if lo, err = parsePort(a); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = parsePort(b); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("port range %q: %d is above %d", item, lo, hi)
	}
	return lo, hi, nil
}

func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("port %q: not a number, range or set (top100, top1000, all)", s)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q out of range 1-65535", s)
	}
	return n, nil
}
