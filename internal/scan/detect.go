package scan

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"
)

// match is what a probe identified.
type match struct {
	Service, Product, Version, Info, OS string
	Evidence                            Evidence
}

// probe asks one protocol's question, the shape fingerprintx uses: a name,
// the ports it is the likely answer for (its fast lane), and run, which
// returns nil when the service is not the probe's.
type probe struct {
	name  string
	ports []uint16
	// exclusive probes run only on their ports, and nothing else runs
	// there: printers print whatever arrives on their raw port.
	exclusive bool
	run       func(ctx context.Context, pr *prober) *match
}

// probes is the registry, in the order tried after the fast lane: the
// commonest first. The NULL probe (banners: SSH, FTP, SMTP, POP3, IMAP,
// telnet, VNC, MySQL) runs before all of them.
var probes = []probe{
	{name: "http", ports: portsOf("http", "http-alt", "upnp", "ipp", "tr-069", "tr-064", "webmin", "docker", "elasticsearch", "squid-http"), run: probeHTTP},
	{name: "tls", ports: portsOf("https", "https-alt", "ftps", "imaps", "pop3s", "smtps", "secure-mqtt", "docker-s", "sips", "mikrotik-api-ssl"), run: probeTLS},
	{name: "rtsp", ports: portsOf("rtsp", "rtsp-alt", "airplay"), run: probeRTSP},
	{name: "redis", ports: portsOf("redis"), run: probeRedis},
	{name: "mqtt", ports: portsOf("mqtt"), run: probeMQTT},
	{name: "dns", ports: portsOf("domain"), run: probeDNS},
	{name: "postgresql", ports: portsOf("postgresql"), run: probePostgres},
	{name: "rdp", ports: portsOf("ms-wbt-server"), run: probeRDP},
	{name: "smb", ports: portsOf("microsoft-ds"), run: probeSMB},
	{name: "jetdirect", ports: []uint16{9100, 9101, 9102, 9103, 9104, 9105, 9106, 9107}, exclusive: true, run: probeJetDirect},
}

// portsOf lists the top100 ports whose usual service is one of names.
func portsOf(names ...string) []uint16 {
	var ps []uint16
	for _, k := range top100 {
		for _, n := range names {
			if k.service == n {
				ps = append(ps, k.port)
			}
		}
	}
	return ps
}

// prober is one open port under detection.
type prober struct {
	s          *scanner
	ap         netip.AddrPort
	bannerWait time.Duration // how long the NULL probe listens
	wait       time.Duration // how long a probe waits for an answer
	gap        time.Duration // how long a reply may pause before it is complete
}

// dial opens a new connection to the port within the scan's rate limit.
func (pr *prober) dial(ctx context.Context) (net.Conn, error) {
	if err := pr.s.wait(ctx); err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: pr.wait}
	return d.DialContext(ctx, "tcp", pr.ap.String())
}

// exchange sends req on a new connection (nothing for an empty req) and
// returns what came back within the wait.
func (pr *prober) exchange(ctx context.Context, req []byte) ([]byte, error) {
	c, err := pr.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return pr.send(ctx, c, req, pr.wait, nil)
}

// send writes req on c and reads the answer: up to wait for its first
// bytes, then until done says it is complete (when done is not nil), it
// pauses for gap, ends, or reaches 64 KiB.
func (pr *prober) send(ctx context.Context, c net.Conn, req []byte, wait time.Duration, done func([]byte) bool) ([]byte, error) {
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if len(req) > 0 {
		c.SetWriteDeadline(time.Now().Add(wait))
		if _, err := c.Write(req); err != nil {
			return nil, err
		}
	}
	return readReply(c, wait, pr.gap, 64<<10, done)
}

// readReply reads up to limit bytes: waiting up to first for the first
// bytes, then until done (if not nil) says the answer is complete, or the
// sender pauses for gap or closes.
func readReply(c net.Conn, first, gap time.Duration, limit int, done func([]byte) bool) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(first))
	for len(out) < limit {
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.Is(err, io.EOF) || (errors.As(err, &ne) && ne.Timeout()) || len(out) > 0 {
				return out, nil
			}
			return out, err
		}
		if done != nil && done(out) {
			return out, nil
		}
		c.SetReadDeadline(time.Now().Add(gap))
	}
	return out[:limit], nil
}

// detect identifies the service on open port p: the NULL probe first, then
// the probes likely for the port one after another, then the others all at
// once; the first to match names the service. A probe that
// hears nothing gives up after its wait and the next one starts at once.
func (s *scanner) detect(ctx context.Context, addr netip.Addr, srtt time.Duration, p *Port) {
	pr := &prober{
		s:          s,
		ap:         netip.AddrPortFrom(addr, p.Port),
		bannerWait: s.o.BannerWait + 2*srtt,
		wait:       s.o.ProbeWait + 2*srtt,
		gap:        50*time.Millisecond + 2*srtt,
	}
	banner, m := nullProbe(ctx, pr)
	if m == nil {
		fast, rest := plan(p.Port)
		for _, pb := range fast {
			if m = pb.run(ctx, pr); m != nil {
				break
			}
		}
		if m == nil {
			m = firstMatch(ctx, pr, rest)
		}
	}
	if m == nil {
		p.Service, p.Guessed = ServiceName(p.Port), true
		p.Evidence.Banner = escapeBanner(banner)
		return
	}
	p.Service, p.Product, p.Version, p.Info, p.OS = m.Service, m.Product, m.Version, m.Info, m.OS
	p.Evidence = m.Evidence
	if p.Evidence.Banner == "" && len(banner) > 0 {
		p.Evidence.Banner = escapeBanner(banner)
	}
}

// plan splits the probes for port into its fast lane and the rest.
func plan(port uint16) (fast, rest []probe) {
	for _, pb := range probes {
		if pb.exclusive && hasPort(pb.ports, port) {
			return []probe{pb}, nil
		}
	}
	for _, pb := range probes {
		switch {
		case hasPort(pb.ports, port):
			fast = append(fast, pb)
		case !pb.exclusive:
			rest = append(rest, pb)
		}
	}
	return fast, rest
}

func hasPort(ps []uint16, p uint16) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// firstMatch runs probes concurrently and returns the first match to
// arrive, cancelling the others: every probe checks its protocol's answer
// strictly, so two never match one service, and waiting for an earlier
// probe that hears nothing would only add its wait.
func firstMatch(ctx context.Context, pr *prober, ps []probe) *match {
	if len(ps) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	found := make(chan *match, len(ps))
	for _, pb := range ps {
		go func() { found <- pb.run(ctx, pr) }()
	}
	var m *match
	for range ps {
		if r := <-found; r != nil && m == nil {
			m = r
			cancel()
		}
	}
	return m
}

// lineDone reports whether a text answer ends with a complete line that is
// not an FTP/SMTP continuation ("220-...").
func lineDone(b []byte) bool {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return false
	}
	t := strings.TrimRight(string(b), "\r\n")
	last := t[strings.LastIndexByte(t, '\n')+1:]
	return !(len(last) >= 4 && last[3] == '-' && last[0] >= '0' && last[0] <= '9')
}

// escapeBanner renders what a service sent as text: printable ASCII as is,
// \r \n \t and other bytes escaped, at most 512 bytes of input.
func escapeBanner(b []byte) string {
	if len(b) > 512 {
		b = b[:512]
	}
	var sb strings.Builder
	const hex = "0123456789abcdef"
	for _, c := range b {
		switch {
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			sb.WriteString(`\x`)
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
		}
	}
	return sb.String()
}
