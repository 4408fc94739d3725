package scan

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/scan/scantest"
)

// detectOne scans one port of addr with service detection and returns its
// result with the timings zeroed, and the time detection took.
func detectOne(t *testing.T, addr netip.Addr, port uint16) (Port, time.Duration) {
	t.Helper()
	sc := runLoopback(t, []netip.Addr{addr}, Options{Ports: []uint16{port}})
	if len(sc.Hosts) != 1 || len(sc.Hosts[0].Ports) != 1 {
		t.Fatalf("scan of %s port %d: %+v", addr, port, sc.Hosts)
	}
	p := sc.Hosts[0].Ports[0]
	took := p.ProbeTime
	p.RTT, p.ProbeTime = 0, 0
	return p, took
}

func serveBanner(b string) func(*testing.T, netip.Addr) uint16 {
	return func(t *testing.T, a netip.Addr) uint16 { return scantest.Serve(t, a, scantest.Banner(b)) }
}

func serveConn(h func(net.Conn)) func(*testing.T, netip.Addr) uint16 {
	return func(t *testing.T, a netip.Addr) uint16 { return scantest.Serve(t, a, h) }
}

func serveHTTP(h http.Handler) func(*testing.T, netip.Addr) uint16 {
	return func(t *testing.T, a netip.Addr) uint16 { return scantest.HTTP(t, a, h, nil) }
}

// busyBoxShellGreeting is what an old BusyBox telnetd running ash without
// login sends (BusyBox 1.19.4 on an OpenWrt 12.09 router): its option
// requests without DO NAWS, then the shell's greeting and prompt.
const busyBoxShellGreeting = "\xff\xfd\x01\xff\xfd!\xff\xfb\x01\xff\xfb\x03\r\n\r\nBusyBox v1.19.4 (2013-03-14 11:28:31 UTC) built-in shell (ash)\r\nEnter 'help' for a list of built-in commands.\r\n\r\n# "

func TestDetect(t *testing.T) {
	notBefore := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cert := scantest.Cert(t, "router.home.arpa", notBefore, "router.home.arpa", "127.0.0.1")
	nginxTLS := func(t *testing.T, a netip.Addr) uint16 {
		return scantest.HTTP(t, a, scantest.Page(200, "<html><head><title>Welcome to nginx!</title></head></html>", "Server", "nginx/1.22.1"), &cert)
	}
	wantTLS := &TLSInfo{Version: "TLS 1.3", ALPN: "http/1.1", Subject: "CN=router.home.arpa,O=homesoc test",
		Issuer: "CN=router.home.arpa,O=homesoc test", DNSNames: []string{"router.home.arpa", "127.0.0.1"},
		NotBefore: notBefore, NotAfter: notBefore.AddDate(1, 0, 0), SelfSign: true}
	openssh := Port{Service: "ssh", Product: "OpenSSH", Version: "9.2p1", Info: "Debian 2+deb12u3; protocol 2.0", OS: "Linux",
		Evidence: Evidence{Banner: `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n`}}
	telnet := Port{Service: "telnet", Product: "BusyBox telnetd", Info: "OpenWrt login:", OS: "Linux",
		Evidence: Evidence{Banner: `\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x01\xff\xfb\x03\r\nOpenWrt login: `,
			Fields: map[string]string{"telnet_text": "OpenWrt login:"}}}
	nginx := Port{Service: "https", Product: "nginx", Version: "1.22.1", Evidence: Evidence{
		HTTP: &HTTPInfo{Status: 200, Server: "nginx/1.22.1", Title: "Welcome to nginx!"}, TLS: wantTLS}}

	for _, c := range []struct {
		name         string
		addr         netip.Addr
		serve        func(*testing.T, netip.Addr) uint16
		want         Port
		ignoreBanner bool
	}{
		{"openssh", scantest.V4, serveBanner(scantest.OpenSSHBanner), openssh, false},
		{"openssh v6", scantest.V6, serveBanner(scantest.OpenSSHBanner), openssh, false},
		{"dropbear", scantest.V4, serveBanner(scantest.DropbearBanner), Port{Service: "ssh", Product: "Dropbear sshd", Version: "2022.83", Info: "protocol 2.0",
			Evidence: Evidence{Banner: `SSH-2.0-dropbear_2022.83\r\n`}}, false},
		{"vsftpd", scantest.V4, serveBanner(scantest.VsftpdBanner), Port{Service: "ftp", Product: "vsftpd", Version: "3.0.3",
			Evidence: Evidence{Banner: `220 (vsFTPd 3.0.3)\r\n`}}, false},
		{"vsftpd refusing", scantest.V4, serveBanner("500 OOPS: vsftpd: both local and anonymous access disabled!\r\n"),
			Port{Service: "ftp", Product: "vsftpd", Evidence: Evidence{Banner: `500 OOPS: vsftpd: both local and anonymous access disabled!\r\n`}}, false},
		{"proftpd", scantest.V4, serveBanner(scantest.ProFTPDBanner), Port{Service: "ftp", Product: "ProFTPD", Info: "Debian", OS: "Linux",
			Evidence: Evidence{Banner: `220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n`}}, false},
		{"pure-ftpd", scantest.V4, serveBanner(scantest.PureFTPdBanner), Port{Service: "ftp", Product: "Pure-FTPd"}, true},
		{"busybox ftpd", scantest.V4, serveBanner(scantest.BusyBoxFTPBanner), Port{Service: "ftp", Product: "BusyBox ftpd",
			Evidence: Evidence{Banner: `220 Operation successful\r\n`}}, false},
		{"postfix", scantest.V4, serveBanner(scantest.PostfixBanner), Port{Service: "smtp", Product: "Postfix smtpd", Info: "Debian", OS: "Linux",
			Evidence: Evidence{Banner: `220 mail.home.arpa ESMTP Postfix (Debian/GNU)\r\n`}}, false},
		{"dovecot pop3", scantest.V4, serveBanner(scantest.DovecotPOP3), Port{Service: "pop3", Product: "Dovecot pop3d", Info: "Debian", OS: "Linux",
			Evidence: Evidence{Banner: `+OK Dovecot (Debian) ready.\r\n`}}, false},
		{"dovecot imap", scantest.V4, serveBanner(scantest.DovecotIMAP), Port{Service: "imap", Product: "Dovecot imapd", Info: "Debian", OS: "Linux"}, true},
		{"vnc", scantest.V4, serveBanner(scantest.VNCBanner), Port{Service: "vnc", Product: "VNC", Info: "protocol 3.8",
			Evidence: Evidence{Banner: `RFB 003.008\n`}}, false},
		{"busybox telnetd", scantest.V4, serveConn(scantest.BusyBoxTelnet("OpenWrt")), telnet, false},
		{"busybox telnetd v6", scantest.V6, serveConn(scantest.BusyBoxTelnet("OpenWrt")), telnet, false},
		{"busybox shell", scantest.V4, serveBanner(busyBoxShellGreeting), Port{Service: "telnet", Product: "BusyBox telnetd", Version: "1.19.4", Info: "shell without login", OS: "Linux",
			Evidence: Evidence{Banner: escapeBanner([]byte(busyBoxShellGreeting)), Fields: map[string]string{
				"telnet_text": "BusyBox v1.19.4 (2013-03-14 11:28:31 UTC) built-in shell (ash)\nEnter 'help' for a list of built-in commands.\n\n#"}}}, false},
		{"mariadb", scantest.V4, serveConn(scantest.MariaDBGreeting), Port{Service: "mysql", Product: "MariaDB", Version: "10.11.6", Info: "0+deb12u1",
			Evidence: Evidence{Fields: map[string]string{"thread_id": "31"}}}, true},
		{"redis", scantest.V4, serveConn(scantest.Redis), Port{Service: "redis", Product: "Redis key-value store", Version: "7.0.15", Info: "no authentication", OS: "Linux",
			Evidence: Evidence{Banner: `+PONG\r\n`, Fields: map[string]string{"os": "Linux 6.1.0-28-amd64 x86_64", "redis_mode": "standalone", "redis_version": "7.0.15"}}}, false},
		{"nginx https", scantest.V4, nginxTLS, nginx, false},
		{"nginx https v6", scantest.V6, nginxTLS, nginx, false},
		{"lighttpd luci", scantest.V4, serveHTTP(scantest.Page(200,
			`<html><head><title>OpenWrt - LuCI</title><meta http-equiv="refresh" content="0; URL=cgi-bin/luci/" /></head></html>`, "Server", "lighttpd/1.4.69")),
			Port{Service: "http", Product: "lighttpd", Version: "1.4.69", Evidence: Evidence{
				HTTP: &HTTPInfo{Status: 200, Server: "lighttpd/1.4.69", Title: "OpenWrt - LuCI", Admin: "OpenWrt LuCI"}}}, false},
		{"apache redirect", scantest.V4, serveHTTP(scantest.Page(302, "", "Server", "Apache/2.4.62 (Debian)", "Location", "/admin/")),
			Port{Service: "http", Product: "Apache httpd", Version: "2.4.62", Info: "(Debian)", Evidence: Evidence{
				HTTP: &HTTPInfo{Status: 302, Server: "Apache/2.4.62 (Debian)", Location: "/admin/"}}}, false},
		{"router login redirect", scantest.V4, serveHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/" {
				http.Redirect(w, r, "login.html", http.StatusFound)
				return
			}
			w.Write([]byte("<html><head><title>TP-Link Archer C6</title></head></html>"))
		})), Port{Service: "http", Product: "TP-Link", Evidence: Evidence{
			HTTP: &HTTPInfo{Status: 302, Title: "TP-Link Archer C6", Location: "/login.html", Admin: "TP-Link"}}}, false},
		{"dovecot imaps", scantest.V4, func(t *testing.T, a netip.Addr) uint16 {
			l := scantest.Listen(t, a)
			go scantest.ServeListener(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}}), scantest.Banner(scantest.DovecotIMAP))
			return uint16(l.Addr().(*net.TCPAddr).Port)
		}, Port{Service: "imaps", Product: "Dovecot imapd", Info: "Debian", OS: "Linux", Evidence: Evidence{
			TLS: &TLSInfo{Version: "TLS 1.3", Subject: wantTLS.Subject, Issuer: wantTLS.Issuer, DNSNames: wantTLS.DNSNames,
				NotBefore: wantTLS.NotBefore, NotAfter: wantTLS.NotAfter, SelfSign: true}}}, true},
		{"netgear basic auth", scantest.V4, serveHTTP(scantest.Page(401, "<html><head><title>401 Unauthorized</title></head></html>",
			"WWW-Authenticate", `Basic realm="NETGEAR R7000"`)), Port{Service: "http", Product: "Netgear", Evidence: Evidence{
			HTTP:   &HTTPInfo{Status: 401, Title: "401 Unauthorized", Admin: "Netgear"},
			Fields: map[string]string{"http_auth_realm": "NETGEAR R7000"}}}, false},
		{"fritzbox", scantest.V4, serveHTTP(scantest.Page(200, "<!DOCTYPE html><html><head><title>FRITZ!Box</title></head></html>")),
			Port{Service: "http", Product: "AVM FRITZ!Box", Evidence: Evidence{
				HTTP: &HTTPInfo{Status: 200, Title: "FRITZ!Box", Admin: "AVM FRITZ!Box"}}}, false},
		{"cups", scantest.V4, serveHTTP(scantest.Page(200, "<HTML><HEAD><TITLE>Home - CUPS 2.4.2</TITLE></HEAD></HTML>", "Server", "CUPS/2.4 IPP/2.1")),
			Port{Service: "ipp", Product: "CUPS", Version: "2.4", Info: "IPP/2.1", Evidence: Evidence{
				HTTP: &HTTPInfo{Status: 200, Server: "CUPS/2.4 IPP/2.1", Title: "Home - CUPS 2.4.2"}}}, false},
		{"miniupnpd", scantest.V4, serveHTTP(scantest.MiniUPnPd()), Port{Service: "upnp", Product: "MiniUPnPd", Version: "2.3.3", Info: "OpenWRT/23.05.3 UPnP/1.1",
			Evidence: Evidence{HTTP: &HTTPInfo{Status: 404, Server: "OpenWRT/23.05.3 UPnP/1.1 MiniUPnPd/2.3.3", Title: "404 Not Found"},
				Fields: map[string]string{"upnp_description": "/rootDesc.xml", "upnp_device_type": "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
					"upnp_friendly_name": "OpenWrt router", "upnp_manufacturer": "OpenWrt", "upnp_model_name": "OpenWrt router", "upnp_model_number": "23.05.3"}}}, false},
		{"mqtt anonymous", scantest.V4, serveConn(scantest.MQTT(0)), Port{Service: "mqtt", Info: "anonymous access allowed",
			Evidence: Evidence{Banner: ` \x02\x00\x00`, Fields: map[string]string{"mqtt_connack": "0"}}}, false},
		{"mqtt refused", scantest.V4, serveConn(scantest.MQTT(5)), Port{Service: "mqtt", Info: "not authorized",
			Evidence: Evidence{Banner: ` \x02\x00\x05`, Fields: map[string]string{"mqtt_connack": "5"}}}, false},
		{"postgresql", scantest.V4, serveConn(scantest.Postgres), Port{Service: "postgresql", Product: "PostgreSQL DB", Info: "no TLS"}, true},
		{"rtsp", scantest.V4, serveConn(scantest.RTSP("GStreamer RTSP server")), Port{Service: "rtsp", Product: "GStreamer", Info: "RTSP server",
			Evidence: Evidence{Fields: map[string]string{"rtsp_server": "GStreamer RTSP server",
				"rtsp_public": "OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN"}}}, true},
		{"rdp", scantest.V4, serveConn(scantest.RDP), Port{Service: "ms-wbt-server", Product: "Microsoft Terminal Services", Info: "security: CredSSP (NLA)"}, true},
		{"smb", scantest.V4, serveConn(scantest.SMB), Port{Service: "microsoft-ds", Product: "SMB", Info: "SMB dialect 3.0.2",
			Evidence: Evidence{Fields: map[string]string{"smb_dialect": "3.0.2", "smb_server_guid": "73616d62612d677569642d3030303031"}}}, true},
		{"unknown banner", scantest.V4, serveBanner("HELLO homesoc\r\n"), Port{Service: "unknown", Guessed: true,
			Evidence: Evidence{Banner: `HELLO homesoc\r\n`}}, false},
		{"silent", scantest.V4, serveConn(scantest.Silent), Port{Service: "unknown", Guessed: true}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := c.serve(t, c.addr)
			got, _ := detectOne(t, c.addr, port)
			want := c.want
			want.Port, want.Proto, want.State, want.Reason = port, TCP, Open, ReasonSynAck
			if c.ignoreBanner {
				got.Evidence.Banner = ""
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\n%+v %+v\nwant %+v\n%+v %+v", got, got.Evidence.HTTP, got.Evidence.TLS, want, want.Evidence.HTTP, want.Evidence.TLS)
			}
		})
	}
}

// TestDetectGuessed: a port that answers no probe is named from the port
// table, marked as a guess.
func TestDetectGuessed(t *testing.T) {
	addr := netip.MustParseAddr("127.0.75.47")
	scantest.Loopback(t, addr)
	l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 7547).String())
	if err != nil {
		t.Skipf("port 7547 of %s: %v", addr, err)
	}
	t.Cleanup(func() { l.Close() })
	go scantest.ServeListener(l, scantest.Banner("\x00\x01binary"))
	got, _ := detectOne(t, addr, 7547)
	want := Port{Port: 7547, Proto: TCP, State: Open, Reason: ReasonSynAck, Service: "tr-069", Guessed: true,
		Evidence: Evidence{Banner: `\x00\x01binary`}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestDetectIPP: a printer's IPP port is named by its make and model from
// Get-Printer-Attributes.
func TestDetectIPP(t *testing.T) {
	addr := netip.MustParseAddr("127.0.63.1")
	scantest.Loopback(t, addr)
	l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 631).String())
	if err != nil {
		t.Skipf("port 631 of %s: %v", addr, err)
	}
	srv := &http.Server{Handler: scantest.IPPPrinter()}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	got, _ := detectOne(t, addr, 631)
	server := "HP HTTP Server; HP LaserJet Pro M404dn - W1A53A; Serial Number: PHBBB00000; Built: Thu Feb 17, 2022 10:02:10AM {002.2207A}"
	want := Port{Port: 631, Proto: TCP, State: Open, Reason: ReasonSynAck, Service: "ipp", Product: "HP LaserJet Pro M404dn", Version: "002.2207A",
		Evidence: Evidence{HTTP: &HTTPInfo{Status: 200, Server: server, Title: "HP LaserJet Pro M404dn"},
			Fields: map[string]string{"ipp_printer-make-and-model": "HP LaserJet Pro M404dn", "ipp_printer-info": "HP LaserJet Pro M404dn",
				"ipp_printer-firmware-string-version": "002.2207A"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v %+v\nwant %+v %+v", got, got.Evidence.HTTP, want, want.Evidence.HTTP)
	}
}

// TestDetectJetDirect: on a raw printing port only the PJL probe runs, so
// nothing else gets printed.
func TestDetectJetDirect(t *testing.T) {
	addr := netip.MustParseAddr("127.0.91.0")
	scantest.Loopback(t, addr)
	l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 9100).String())
	if err != nil {
		t.Skipf("port 9100 of %s: %v", addr, err)
	}
	t.Cleanup(func() { l.Close() })
	var requests atomic.Int32
	go scantest.ServeListener(l, func(c net.Conn) {
		buf := make([]byte, 256)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _ := c.Read(buf)
		if n == 0 {
			return // the NULL probe
		}
		requests.Add(1)
		if string(buf[:n]) != string(pjlInfoID) {
			t.Errorf("printer got %q", buf[:n])
			return
		}
		c.Write([]byte("@PJL INFO ID\r\n\"HP LaserJet Pro M404dn\"\r\n\f"))
	})
	got, _ := detectOne(t, addr, 9100)
	want := Port{Port: 9100, Proto: TCP, State: Open, Reason: ReasonSynAck, Service: "jetdirect", Product: "HP LaserJet Pro M404dn", Info: "PJL",
		Evidence: Evidence{Banner: `@PJL INFO ID\r\n"HP LaserJet Pro M404dn"\r\n\x0c`}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests reached the printer, want 1", n)
	}
}

// TestDetectNoFixedWait: a service that waits for the client (Redis, HTTP)
// on a port that does not hint at it is identified right after the short
// banner wait, and a service that never answers anything is given up after
// one banner wait and one probe wait - not after nmap's fixed 5 s waits.
func TestDetectNoFixedWait(t *testing.T) {
	for _, c := range []struct {
		name    string
		serve   func(*testing.T, netip.Addr) uint16
		service string
		max     time.Duration
	}{
		{"redis", serveConn(scantest.Redis), "redis", 700 * time.Millisecond},
		{"http", serveHTTP(scantest.Page(200, "ok")), "http", 700 * time.Millisecond},
		{"mqtt", serveConn(scantest.MQTT(0)), "mqtt", 700 * time.Millisecond},
		{"silent", serveConn(scantest.Silent), "unknown", DefaultBannerWait + DefaultProbeWait + 300*time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, took := detectOne(t, scantest.V4, c.serve(t, scantest.V4))
			if got.Service != c.service {
				t.Errorf("service %q, want %q", got.Service, c.service)
			}
			if took < DefaultBannerWait || took > c.max {
				t.Errorf("detection took %s, want between %s and %s", took, DefaultBannerWait, c.max)
			}
		})
	}
}
