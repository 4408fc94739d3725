package scan

import (
	"net"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/homesoc/homesoc/internal/scan/scantest"
)

func TestDNSProduct(t *testing.T) {
	for in, want := range map[string][3]string{
		"dnsmasq-2.89":                    {"dnsmasq", "2.89", ""},
		"9.18.24-1-Debian":                {"ISC BIND", "9.18.24", "1-Debian"},
		"9.11.5-P4-5.1+deb10u5-Debian":    {"ISC BIND", "9.11.5-P4", "5.1+deb10u5-Debian"},
		"9.16.1-Ubuntu":                   {"ISC BIND", "9.16.1", "Ubuntu"},
		"unbound 1.17.1":                  {"Unbound", "1.17.1", ""},
		"PowerDNS Recursor 4.8.4":         {"PowerDNS Recursor", "4.8.4", ""},
		"Knot DNS 3.2.6":                  {"Knot DNS", "3.2.6", ""},
		"Microsoft DNS 10.0.17763 (4A61)": {"Microsoft DNS", "10.0.17763", ""},
		"none of your business":           {"", "", ""},
	} {
		p, v, i := DNSProduct(in)
		if got := [3]string{p, v, i}; got != want {
			t.Errorf("DNSProduct(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestProbeDNS serves version.bind over TCP as a DNS server does (a real
// server: miekg/dns's, on loopback) and expects dnsmasq's answer read.
func TestProbeDNS(t *testing.T) {
	l := scantest.Listen(t, scantest.V4)
	srv := &dns.Server{Listener: l, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: "version.bind.", Rrtype: dns.TypeTXT, Class: dns.ClassCHAOS}, Txt: []string{"dnsmasq-2.90"}}}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	sc, err := Run(t.Context(), []netip.Addr{scantest.V4}, Options{Ports: []uint16{port}, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		t.Fatal(err)
	}
	// An unhinted port: the DNS probe runs among all the others.
	if len(sc.Hosts) != 1 || len(sc.Hosts[0].Ports) != 1 {
		t.Fatalf("hosts %+v", sc.Hosts)
	}
	p := sc.Hosts[0].Ports[0]
	if p.Service != "domain" || p.Product != "dnsmasq" || p.Version != "2.90" || p.Evidence.Fields["dns_version"] != "dnsmasq-2.90" {
		t.Errorf("port %+v", p)
	}
}
