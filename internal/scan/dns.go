package scan

import (
	"context"
	"encoding/binary"
	"regexp"
	"strings"

	"github.com/miekg/dns"
)

// ChaosQuery is a CH TXT query for name (version.bind., id.server.), with
// RD set so that the reply's RA bit tells whether the server recurses.
func ChaosQuery(name string) []byte {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeTXT)
	m.Question[0].Qclass = dns.ClassCHAOS
	m.RecursionDesired = true
	b, _ := m.Pack() // a fixed, valid question: cannot fail
	return b
}

var dnsVersions = []struct {
	re      *regexp.Regexp
	product string
}{
	{regexp.MustCompile(`^dnsmasq-(\S+)$`), "dnsmasq"},
	{regexp.MustCompile(`^(\d+\.\d+\.\d+(?:-[SP]\d+)?)(?:-(.+))?$`), "ISC BIND"},
	{regexp.MustCompile(`^BIND (\S+)`), "ISC BIND"},
	{regexp.MustCompile(`^unbound (\S+)`), "Unbound"},
	{regexp.MustCompile(`^PowerDNS Recursor (\S+)`), "PowerDNS Recursor"},
	{regexp.MustCompile(`^PowerDNS Authoritative Server (\S+)`), "PowerDNS Authoritative Server"},
	{regexp.MustCompile(`^Knot DNS (\S+)`), "Knot DNS"},
	{regexp.MustCompile(`^Knot Resolver (\S+)`), "Knot Resolver"},
	{regexp.MustCompile(`^Microsoft DNS (\S+)`), "Microsoft DNS"},
	{regexp.MustCompile(`^CoreDNS-(\S+)`), "CoreDNS"},
}

// DNSProduct reads product and version from a version.bind string:
// "dnsmasq-2.89", "9.18.24-1-Debian", "unbound 1.17.1".
func DNSProduct(v string) (product, version, info string) {
	for _, d := range dnsVersions {
		if m := d.re.FindStringSubmatch(v); m != nil {
			if len(m) > 2 {
				info = m[2]
			}
			return d.product, m[1], info
		}
	}
	return "", "", ""
}

// probeDNS asks CH TXT version.bind over TCP (RFC 1035 4.2.2: a two-byte
// length before each message), as DNS servers on 53/tcp answer it.
func probeDNS(ctx context.Context, pr *prober) *match {
	q := ChaosQuery("version.bind.")
	req := binary.BigEndian.AppendUint16(nil, uint16(len(q)))
	b, _ := pr.exchange(ctx, append(req, q...))
	if len(b) < 2 || int(binary.BigEndian.Uint16(b)) > len(b)-2 {
		return nil
	}
	m := new(dns.Msg)
	if err := m.Unpack(b[2 : 2+binary.BigEndian.Uint16(b)]); err != nil || !m.Response || m.Id != binary.BigEndian.Uint16(q) {
		return nil
	}
	res := &match{Service: "domain", Evidence: Evidence{Fields: map[string]string{
		"dns_rcode": dns.RcodeToString[m.Rcode], "dns_recursion_available": yesNo(m.RecursionAvailable)}}}
	var parts []string
	for _, rr := range m.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			parts = append(parts, t.Txt...)
		}
	}
	if v := strings.TrimSpace(strings.Join(parts, " ")); v != "" {
		res.Evidence.Fields["dns_version"] = v
		res.Product, res.Version, res.Info = DNSProduct(v)
	}
	return res
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
