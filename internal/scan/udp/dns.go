package udp

import (
	"context"
	"strings"

	"github.com/miekg/dns"

	"github.com/homesoc/homesoc/internal/scan"
)

// dnsProbe asks CH TXT version.bind (RFC 4892's neighbour convention that
// BIND, dnsmasq, Unbound and Knot answer), with RD set so the reply's RA
// bit tells whether the server offers recursion; then id.server.
// Recursion is read from RA only: asking the server to resolve a name
// would make it send packets to the internet on our behalf.
var dnsProbe = &Probe{
	Name:  "domain",
	Ports: []uint16{53},
	Requests: func(*Exchange) [][]byte {
		return [][]byte{chaosQuery("version.bind.")}
	},
	Identify: identifyDNS,
}

func chaosQuery(name string) []byte { return scan.ChaosQuery(name) }

func identifyDNS(ctx context.Context, x *Exchange, reply []byte, p *scan.Port) bool {
	m := new(dns.Msg)
	if err := m.Unpack(reply); err != nil || !m.Response {
		return false
	}
	p.Service = "domain"
	f := fields(p)
	f["dns_rcode"] = dns.RcodeToString[m.Rcode]
	f["dns_recursion_available"] = yesNo(m.RecursionAvailable)
	if v := txt(m); v != "" {
		f["dns_version"] = v
		p.Product, p.Version, p.Info = scan.DNSProduct(v)
	}
	q := chaosQuery("id.server.")
	if b, err := x.Ask(ctx, q, func(b []byte) bool { return len(b) > 2 && b[0] == q[0] && b[1] == q[1] }); err == nil {
		r := new(dns.Msg)
		if r.Unpack(b) == nil {
			if v := txt(r); v != "" {
				f["dns_id_server"] = v
			}
		}
	}
	return true
}

// txt joins the TXT strings of a reply's answers.
func txt(m *dns.Msg) string {
	var parts []string
	for _, rr := range m.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			parts = append(parts, t.Txt...)
		}
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

// mdnsProbe asks for the DNS-SD service list (RFC 6763 section 9) with
// the unicast-response bit set (RFC 6762 section 5.4); a query from a
// port other than 5353 is a "legacy unicast" one that responders answer
// to its source port.
var mdnsProbe = &Probe{
	Name:  "mdns",
	Ports: []uint16{5353},
	Requests: func(*Exchange) [][]byte {
		m := new(dns.Msg)
		m.SetQuestion("_services._dns-sd._udp.local.", dns.TypePTR)
		m.RecursionDesired = false
		m.Question[0].Qclass |= 1 << 15
		b, _ := m.Pack()
		return [][]byte{b}
	},
	Identify: func(_ context.Context, _ *Exchange, reply []byte, p *scan.Port) bool {
		m := new(dns.Msg)
		if err := m.Unpack(reply); err != nil || !m.Response {
			return false
		}
		p.Service = "mdns"
		var services, hosts []string
		for _, rr := range append(append(m.Answer, m.Ns...), m.Extra...) {
			switch r := rr.(type) {
			case *dns.PTR:
				services = appendNew(services, strings.TrimSuffix(r.Ptr, "."))
			case *dns.SRV:
				hosts = appendNew(hosts, strings.TrimSuffix(r.Target, "."))
			case *dns.A, *dns.AAAA:
				hosts = appendNew(hosts, strings.TrimSuffix(rr.Header().Name, "."))
			}
		}
		f := fields(p)
		f["mdns_services"] = strings.Join(services, ",")
		if len(hosts) > 0 {
			f["mdns_hosts"] = strings.Join(hosts, ",")
		}
		return true
	},
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

func fields(p *scan.Port) map[string]string {
	if p.Evidence.Fields == nil {
		p.Evidence.Fields = map[string]string{}
	}
	return p.Evidence.Fields
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
