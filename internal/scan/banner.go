package scan

import (
	"bytes"
	"context"
	"encoding/binary"
	"regexp"
	"strings"
)

// nullProbe connects and listens for bannerWait: services that speak first
// (SSH, FTP, SMTP, POP3, IMAP, telnet, VNC, MySQL) are identified from what
// they say. It returns the bytes heard and the match, if any.
func nullProbe(ctx context.Context, pr *prober) ([]byte, *match) {
	c, err := pr.dial(ctx)
	if err != nil {
		return nil, nil
	}
	defer c.Close()
	b, _ := pr.send(ctx, c, nil, pr.bannerWait, bannerDone)
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] == iac {
		return b, telnet(ctx, pr, c, b)
	}
	return b, matchBanner(b, pr.ap.Port())
}

// bannerDone reports whether a banner is complete: a MySQL packet of the
// length its header gives, or a text line (not telnet's negotiation,
// which goes on).
func bannerDone(b []byte) bool {
	if len(b) >= 4 && b[3] == 0 && int(b[0])|int(b[1])<<8|int(b[2])<<16 == len(b)-4 {
		return true
	}
	return len(b) > 0 && b[0] != iac && lineDone(b)
}

// matchBanner identifies a service from the first bytes it sent.
func matchBanner(b []byte, port uint16) *match {
	s := string(b)
	ev := Evidence{Banner: escapeBanner(b)}
	switch {
	case strings.HasPrefix(s, "SSH-"):
		return matchSSH(s, ev)
	case strings.HasPrefix(s, "RFB "):
		m := &match{Service: "vnc", Product: "VNC", Evidence: ev}
		if v := strings.TrimSpace(s[4:]); len(v) == 7 {
			m.Info = "protocol " + strings.TrimLeft(v[:3], "0") + "." + strings.TrimLeft(v[4:], "0")
		}
		return m
	case strings.HasPrefix(s, "+OK"):
		return withProduct(&match{Service: "pop3", Evidence: ev}, s, mailProducts, " pop3d")
	case strings.HasPrefix(s, "* OK"), strings.HasPrefix(s, "* PREAUTH"):
		return withProduct(&match{Service: "imap", Evidence: ev}, s, mailProducts, " imapd")
	case strings.HasPrefix(s, "220"), strings.HasPrefix(s, "421"):
		return match220(s, port, ev)
	case strings.HasPrefix(s, "500 OOPS: "):
		// vsftpd's refusal of a session it cannot serve, e.g. "500 OOPS:
		// vsftpd: both local and anonymous access disabled!" (vsftpd's
		// die() writes "500 OOPS: " and the reason).
		m := &match{Service: "ftp", Evidence: ev}
		if strings.Contains(s, "vsftpd") {
			m.Product = "vsftpd"
		}
		return m
	}
	if m := matchMySQL(b, ev); m != nil {
		return m
	}
	return nil
}

var sshComment = regexp.MustCompile(`^(Debian|Ubuntu|Raspbian|FreeBSD)[- ](\S+)`)

// matchSSH reads an RFC 4253 identification string:
// SSH-protoversion-softwareversion SP comments.
func matchSSH(s string, ev Evidence) *match {
	line, _, _ := strings.Cut(s, "\n")
	line = strings.TrimRight(line, "\r")
	rest := strings.TrimPrefix(line, "SSH-")
	proto, soft, _ := strings.Cut(rest, "-")
	soft, comment, _ := strings.Cut(soft, " ")
	m := &match{Service: "ssh", Evidence: ev}
	name, ver, _ := strings.Cut(soft, "_")
	switch {
	case name == "OpenSSH":
		m.Product, m.Version = "OpenSSH", ver
	case strings.EqualFold(name, "dropbear"):
		m.Product, m.Version = "Dropbear sshd", ver
	case name == "ROSSSH":
		m.Product, m.OS = "MikroTik RouterOS sshd", "RouterOS"
	default:
		m.Product, m.Version = name, ver
	}
	var info []string
	if sm := sshComment.FindStringSubmatch(comment); sm != nil {
		info = append(info, sm[1]+" "+sm[2])
		m.OS = "Linux"
		if sm[1] == "FreeBSD" {
			m.OS = "FreeBSD"
		}
	} else if comment != "" {
		info = append(info, comment)
	}
	if proto == "1.99" {
		proto = "2.0"
	}
	m.Info = strings.Join(append(info, "protocol "+proto), "; ")
	return m
}

// productPattern finds a product (and version) in a banner.
type productPattern struct {
	re      *regexp.Regexp // group 1, when present, is the version
	product string
}

var ftpProducts = []productPattern{
	{regexp.MustCompile(`\(vsFTPd ([\d.]+)\)`), "vsftpd"},
	{regexp.MustCompile(`ProFTPD ([\d.]+[a-z]*)`), "ProFTPD"},
	{regexp.MustCompile(`ProFTPD`), "ProFTPD"},
	{regexp.MustCompile(`Pure-FTPd`), "Pure-FTPd"},
	{regexp.MustCompile(`FileZilla Server (?:version )?([\d.]+(?: beta)?)`), "FileZilla ftpd"},
	{regexp.MustCompile(`Microsoft FTP Service`), "Microsoft ftpd"},
	{regexp.MustCompile(`FRITZ!Box`), "AVM FRITZ!Box ftpd"},
	// BusyBox ftpd greets with a bare "220 Operation successful"
	// (BusyBox 1.36 networking/ftpd.c, STR(FTP_GREET)).
	{regexp.MustCompile(`^220 Operation successful\r?\n`), "BusyBox ftpd"},
}

var smtpProducts = []productPattern{
	{regexp.MustCompile(`ESMTP Postfix`), "Postfix smtpd"},
	{regexp.MustCompile(`ESMTP Exim ([\d.]+)`), "Exim smtpd"},
	{regexp.MustCompile(`ESMTP Sendmail ([\d.]+)`), "Sendmail"},
	{regexp.MustCompile(`Microsoft ESMTP MAIL Service`), "Microsoft Exchange smtpd"},
	{regexp.MustCompile(`ESMTP OpenSMTPD`), "OpenSMTPD"},
}

var mailProducts = []productPattern{
	{regexp.MustCompile(`Dovecot`), "Dovecot"},
	{regexp.MustCompile(`Cyrus (?:POP3|IMAP)[^ ]* v?([\d.]+)`), "Cyrus"},
	{regexp.MustCompile(`Courier-IMAP`), "Courier"},
}

// withProduct sets the product of m from the first pattern matching s,
// with suffix appended (" pop3d").
func withProduct(m *match, s string, pats []productPattern, suffix string) *match {
	for _, p := range pats {
		if sm := p.re.FindStringSubmatch(s); sm != nil {
			m.Product = p.product + suffix
			if len(sm) > 1 {
				m.Version = sm[1]
			}
			if strings.Contains(s, "(Debian)") || strings.Contains(s, "(Debian/GNU)") {
				m.OS = "Linux"
				m.Info = "Debian"
			}
			return m
		}
	}
	return m
}

// match220 tells FTP from SMTP, which both greet with 220.
func match220(s string, port uint16, ev Evidence) *match {
	upper := strings.ToUpper(s)
	smtp := strings.Contains(upper, "SMTP") || strings.Contains(upper, "MAIL")
	ftp := strings.Contains(upper, "FTP")
	if !smtp && !ftp {
		smtp = port == 25 || port == 465 || port == 587
		ftp = !smtp
	}
	if ftp && !strings.Contains(upper, "ESMTP") {
		return withProduct(&match{Service: "ftp", Evidence: ev}, s, ftpProducts, "")
	}
	return withProduct(&match{Service: "smtp", Evidence: ev}, s, smtpProducts, "")
}

// matchMySQL reads a MySQL/MariaDB initial handshake (protocol 10) or the
// error packet a server sends a host it refuses.
func matchMySQL(b []byte, ev Evidence) *match {
	if len(b) < 5 || int(b[0])|int(b[1])<<8|int(b[2])<<16 != len(b)-4 || b[3] != 0 {
		return nil
	}
	pl := b[4:]
	switch pl[0] {
	case 0x0a:
		end := bytes.IndexByte(pl[1:], 0)
		if end < 0 {
			return nil
		}
		v := string(pl[1 : 1+end])
		m := &match{Service: "mysql", Product: "MySQL", Version: v, Evidence: ev}
		if i := strings.Index(v, "-MariaDB"); i >= 0 {
			m.Product = "MariaDB"
			m.Version = strings.TrimPrefix(v[:i], "5.5.5-")
			m.Info = strings.TrimPrefix(v[i+len("-MariaDB"):], "-")
		}
		if len(pl) > 2+end+4 {
			m.Evidence.Fields = map[string]string{"thread_id": itoa(binary.LittleEndian.Uint32(pl[2+end:]))}
		}
		return m
	case 0xff:
		if len(pl) < 3 {
			return nil
		}
		msg := string(pl[3:])
		return &match{Service: "mysql", Info: "refused: " + msg, Evidence: ev}
	}
	return nil
}

func itoa(n uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}
