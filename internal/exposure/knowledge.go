package exposure

import (
	"fmt"
	"strings"
)

// Knowledge is what a ticket says about an exposed port: what usually
// answers there and why it matters when the internet can reach it.
type Knowledge struct {
	What string `json:"what"`
	Risk string `json:"risk"`
}

// knowledge is keyed by "port/proto". The notes are ours, from the public
// record of what is attacked on home routers and devices (CISA's known
// exploited vulnerabilities, the Mirai and Mozi botnets' target lists, the
// UPnP and TR-069 advisories).
var knowledge = map[string]Knowledge{
	"21/tcp":    {"FTP file transfer", "cleartext logins; NAS and router FTP servers are brute-forced and often allow anonymous reads"},
	"22/tcp":    {"SSH remote shell", "password guessing around the clock; a weak or default password is a full shell"},
	"23/tcp":    {"Telnet remote shell", "cleartext logins; the first port Mirai-family botnets try with default passwords"},
	"25/tcp":    {"SMTP mail server", "an open relay sends spam in your name; unexpected on a home line"},
	"53/tcp":    {"DNS server", "an open resolver is abused for amplification attacks"},
	"53/udp":    {"DNS server", "an open resolver is abused for amplification attacks"},
	"80/tcp":    {"web server, often the router's admin page", "router admin pages on the WAN side are a common takeover path (default passwords, known CVEs)"},
	"110/tcp":   {"POP3 mail", "cleartext logins"},
	"111/tcp":   {"RPC portmapper", "exposes NFS and RPC services; used for amplification"},
	"123/udp":   {"NTP time server", "monlist and mode 6 queries amplify attacks"},
	"135/tcp":   {"Windows RPC", "Windows services should never face the internet"},
	"137/udp":   {"NetBIOS name service", "leaks host and user names; Windows file sharing faces the internet"},
	"139/tcp":   {"NetBIOS session (SMB)", "Windows file sharing on the internet: ransomware worms spread this way"},
	"143/tcp":   {"IMAP mail", "cleartext logins"},
	"161/udp":   {"SNMP management", "community 'public' leaks the device's configuration and is used for amplification"},
	"443/tcp":   {"HTTPS, often the router's or a NAS's admin page", "admin interfaces and VPN portals on the internet are prime targets for known CVEs"},
	"445/tcp":   {"SMB file sharing", "EternalBlue-class worms and ransomware; never expose"},
	"500/udp":   {"IKE (IPsec VPN)", "a VPN endpoint; fine if intended and patched, otherwise an unknown way in"},
	"554/tcp":   {"RTSP camera stream", "camera feeds viewable by anyone; cameras are botnet targets"},
	"631/tcp":   {"IPP printing", "printers on the internet leak documents and run outdated firmware (CUPS CVEs)"},
	"1194/udp":  {"OpenVPN", "a VPN endpoint; fine if intended and patched"},
	"1433/tcp":  {"Microsoft SQL Server", "databases on the internet are brute-forced and ransomed"},
	"1723/tcp":  {"PPTP VPN", "obsolete, broken encryption"},
	"1883/tcp":  {"MQTT broker", "unauthenticated brokers leak and accept smart-home commands"},
	"1900/udp":  {"SSDP (UPnP discovery)", "UPnP on the WAN side lets anyone open ports (CallStranger) and amplifies attacks"},
	"2323/tcp":  {"alternative Telnet", "a Mirai target port on IoT devices"},
	"3306/tcp":  {"MySQL/MariaDB", "databases on the internet are brute-forced and ransomed"},
	"3389/tcp":  {"Remote Desktop", "the most brute-forced service on the internet; ransomware's first way in"},
	"5000/tcp":  {"UPnP or NAS admin (Synology DSM)", "UPnP control or a NAS admin page on the internet"},
	"5353/udp":  {"mDNS", "leaks device names and services; amplification"},
	"5432/tcp":  {"PostgreSQL", "databases on the internet are brute-forced and ransomed"},
	"5555/tcp":  {"Android debug bridge", "a root shell on TV boxes and phones; botnets scan for it"},
	"5900/tcp":  {"VNC remote desktop", "often without a password: a full desktop to anyone"},
	"6379/tcp":  {"Redis", "no password by default: remote code execution through its config commands"},
	"7547/tcp":  {"TR-069 (ISP management)", "the Mirai variant of 2016 knocked 900k routers offline through it"},
	"8080/tcp":  {"alternative web or admin port", "router and camera admin pages, proxies"},
	"8443/tcp":  {"alternative HTTPS admin port", "router, NAS and VPN admin pages"},
	"9100/tcp":  {"JetDirect raw printing", "anyone can print, or read the printer's memory"},
	"27017/tcp": {"MongoDB", "databases on the internet are wiped and ransomed"},
	"49152/tcp": {"UPnP control (IGD)", "on the WAN side, anyone can ask the router to open more ports"},
	"51820/udp": {"WireGuard VPN", "a VPN endpoint; fine if intended"},
}

// serviceHome is the port whose note fits a service found elsewhere (SSH
// on 2222 is SSH all the same).
var serviceHome = map[string]string{
	"ftp": "21/tcp", "ssh": "22/tcp", "telnet": "23/tcp", "smtp": "25/tcp", "http": "80/tcp", "pop3": "110/tcp",
	"imap": "143/tcp", "https": "443/tcp", "microsoft-ds": "445/tcp", "rtsp": "554/tcp", "ipp": "631/tcp",
	"mqtt": "1883/tcp", "mysql": "3306/tcp", "ms-wbt-server": "3389/tcp", "postgresql": "5432/tcp",
	"vnc": "5900/tcp", "redis": "6379/tcp", "jetdirect": "9100/tcp", "mongodb": "27017/tcp", "upnp": "49152/tcp",
	"domain": "53/udp", "ntp": "123/udp", "snmp": "161/udp", "isakmp": "500/udp", "openvpn": "1194/udp",
}

// About returns what is known about port/proto where service (as a scan
// identified it; "" or a guess when it did not) answers.
func About(port uint16, proto, service string) Knowledge {
	key := fmt.Sprintf("%d/%s", port, proto)
	if home, ok := serviceHome[service]; ok && strings.HasSuffix(home, "/"+proto) {
		return knowledge[home]
	}
	if k, ok := knowledge[key]; ok {
		return k
	}
	return Knowledge{What: "unknown service", Risk: "a port open to the internet that nobody listed as intended: find out what listens and why"}
}
