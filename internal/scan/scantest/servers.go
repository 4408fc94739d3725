package scantest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"math/big"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Banner sends banner on connect, then reads until the client leaves: a
// server that speaks first (SSH, FTP, SMTP, POP3, IMAP, VNC).
func Banner(banner string) func(net.Conn) {
	return func(c net.Conn) {
		io.WriteString(c, banner)
		io.Copy(io.Discard, c)
	}
}

// Recorded banners of real products, as their Debian 12 packages send them.
const (
	OpenSSHBanner  = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"                          // openssh-server 1:9.2p1-2+deb12u3
	DropbearBanner = "SSH-2.0-dropbear_2022.83\r\n"                                        // OpenWrt 23.05 dropbear
	VsftpdBanner   = "220 (vsFTPd 3.0.3)\r\n"                                              // vsftpd 3.0.3-13+b2
	ProFTPDBanner  = "220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n"                  // proftpd-core 1.3.8, ServerName "Debian"
	PureFTPdBanner = "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n" + // pure-ftpd 1.0.50
		"220-You are user number 1 of 50 allowed.\r\n" +
		"220-Local time is now 10:00. Server port: 21.\r\n" +
		"220 You will be disconnected after 15 minutes of inactivity.\r\n"
	BusyBoxFTPBanner = "220 Operation successful\r\n"                                                                                                // BusyBox 1.36 ftpd
	PostfixBanner    = "220 mail.home.arpa ESMTP Postfix (Debian/GNU)\r\n"                                                                           // postfix 3.7
	DovecotPOP3      = "+OK Dovecot (Debian) ready.\r\n"                                                                                             // dovecot-pop3d 2.3.19
	DovecotIMAP      = "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n" // dovecot-imapd 2.3.19
	VNCBanner        = "RFB 003.008\n"                                                                                                               // TigerVNC 1.12
)

// BusyBoxTelnet speaks like BusyBox telnetd (networking/telnetd.c): its
// four option requests first; once the client has answered them, the login
// prompt of /bin/login on an OpenWrt-like host.
func BusyBoxTelnet(hostname string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte{255, 253, 1, 255, 253, 31, 255, 251, 1, 255, 251, 3})
		got := make([]byte, 0, 12)
		buf := make([]byte, 64)
		for len(got) < 12 {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			got = append(got, buf[:n]...)
		}
		io.WriteString(c, "\r\n"+hostname+" login: ")
		io.Copy(io.Discard, c)
	}
}

// MariaDBGreeting sends the initial handshake packet of MariaDB 10.11.6 as
// Debian 12 ships it (version string with the 5.5.5- prefix).
func MariaDBGreeting(c net.Conn) {
	pl := []byte{0x0a}
	pl = append(pl, "5.5.5-10.11.6-MariaDB-0+deb12u1\x00"...)
	pl = binary.LittleEndian.AppendUint32(pl, 31) // connection id
	pl = append(pl, "abcdefgh\x00"...)            // auth plugin data part 1
	pl = append(pl, 0xfe, 0xf7, 0x2d, 0x02, 0x00, 0xff, 0x81, 0x15)
	pl = append(pl, make([]byte, 10)...)
	pl = append(pl, "ijklmnopqrst\x00mysql_native_password\x00"...)
	c.Write(append([]byte{byte(len(pl)), byte(len(pl) >> 8), 0, 0}, pl...))
	io.Copy(io.Discard, c)
}

// Redis answers PING and INFO server like Redis 7.0.15 without a password
// (Debian 12 redis-server), and drops a connection that sends an HTTP
// request, as Redis does since 3.2.7.
func Redis(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		args, err := readRESP(br)
		if err != nil || len(args) == 0 {
			return
		}
		switch strings.ToUpper(args[0]) {
		case "PING":
			io.WriteString(c, "+PONG\r\n")
		case "INFO":
			info := "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\nos:Linux 6.1.0-28-amd64 x86_64\r\narch_bits:64\r\n"
			io.WriteString(c, "$"+strconv.Itoa(len(info))+"\r\n"+info+"\r\n")
		case "GET", "POST", "HOST:":
			return
		default:
			io.WriteString(c, "-ERR unknown command '"+args[0]+"'\r\n")
		}
	}
}

// readRESP reads one command: a RESP array of bulk strings, or an inline
// command line.
func readRESP(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line), nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil {
		return nil, err
	}
	var args []string
	for range n {
		if _, err := br.ReadString('\n'); err != nil { // $len
			return nil, err
		}
		a, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args = append(args, strings.TrimRight(a, "\r\n"))
	}
	return args, nil
}

// MQTT answers CONNECT with CONNACK return code code (0: accepted), like
// Mosquitto 2.0 with allow_anonymous true (0) or false (5).
func MQTT(code byte) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 256)
		if n, err := c.Read(buf); err != nil || n < 2 || buf[0] != 0x10 {
			return
		}
		c.Write([]byte{0x20, 2, 0, code})
		io.Copy(io.Discard, c)
	}
}

// Postgres answers an SSLRequest with N and a startup message with the
// error PostgreSQL 15 sends an unknown role.
func Postgres(c net.Conn) {
	buf := make([]byte, 256)
	if n, err := c.Read(buf); err != nil || n != 8 {
		return
	}
	c.Write([]byte{'N'})
	if _, err := c.Read(buf); err != nil {
		return
	}
	msg := "SFATAL\x00VFATAL\x00C28000\x00Mno pg_hba.conf entry for host \"127.0.0.1\", user \"homesoc\", database \"homesoc\", no encryption\x00Fauth.c\x00L543\x00RClientAuthentication\x00\x00"
	out := []byte{'E'}
	out = binary.BigEndian.AppendUint32(out, uint32(4+len(msg)))
	c.Write(append(out, msg...))
}

// RTSP answers OPTIONS like a GStreamer RTSP server (gst-rtsp-server 1.22).
func RTSP(server string) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if strings.TrimSpace(line) == "" {
				break
			}
		}
		io.WriteString(c, "RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN\r\nServer: "+server+"\r\n\r\n")
	}
}

// RDP answers an X.224 Connection Request with a Connection Confirm
// selecting CredSSP, as Windows 10 and xrdp 0.9 with NLA do.
func RDP(c net.Conn) {
	buf := make([]byte, 64)
	if n, err := c.Read(buf); err != nil || n < 11 || buf[0] != 3 {
		return
	}
	c.Write([]byte{0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00,
		0x02, 0x1f, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00})
}

// SMB answers an SMB2 NEGOTIATE choosing dialect 3.0.2 (Samba 4.17 offered
// 2.0.2-3.0.2).
func SMB(c net.Conn) {
	buf := make([]byte, 512)
	if n, err := c.Read(buf); err != nil || n < 8 || string(buf[4:8]) != "\xfeSMB" {
		return
	}
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	binary.LittleEndian.PutUint32(h[16:], 1) // flags: server to redirector
	body := make([]byte, 64)
	binary.LittleEndian.PutUint16(body[0:], 65)
	binary.LittleEndian.PutUint16(body[2:], 1)      // signing enabled
	binary.LittleEndian.PutUint16(body[4:], 0x0302) // dialect
	copy(body[8:24], "samba-guid-00001")
	msg := append(h, body...)
	c.Write(append([]byte{0, 0, byte(len(msg) >> 8), byte(len(msg))}, msg...))
}

// JetDirect answers PJL INFO ID like an HP LaserJet Pro M404dn.
func JetDirect(c net.Conn) {
	buf := make([]byte, 256)
	if _, err := c.Read(buf); err != nil {
		return
	}
	io.WriteString(c, "@PJL INFO ID\r\n\"HP LaserJet Pro M404dn\"\r\n\f")
}

// Silent accepts and never says anything, whatever it is sent.
func Silent(c net.Conn) { io.Copy(io.Discard, c) }

// Cert returns a self-signed ECDSA certificate for names (host names or IP
// addresses), valid from notBefore for a year.
func Cert(t testing.TB, cn string, notBefore time.Time, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"homesoc test"}},
		NotBefore:    notBefore,
		NotAfter:     notBefore.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if a, err := netip.ParseAddr(n); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, a.AsSlice())
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
