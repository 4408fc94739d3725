package udp

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/gosnmp/gosnmp"
	"github.com/miekg/dns"
)

// server is a UDP responder on loopback for one test.
type server struct {
	port     uint16
	received atomic.Int32 // datagrams received
}

// serveUDP answers each datagram received on host (an address of the
// loopback) with what handle returns (nothing: stay silent).
func serveUDP(t *testing.T, host string, handle func(req []byte) [][]byte) *server {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	s := &server{port: uint16(pc.LocalAddr().(*net.UDPAddr).Port)}
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			s.received.Add(1)
			for _, r := range handle(append([]byte(nil), buf[:n]...)) {
				_, _ = pc.WriteTo(r, from)
			}
		}
	}()
	return s
}

// freePort returns a UDP port of host that nothing listens on.
func freePort(t *testing.T, host string) uint16 {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()
	return port
}

// dnsServer runs a miekg/dns server answering like dnsmasq 2.89.
func dnsServer(t *testing.T, host string) uint16 {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		q := r.Question[0]
		if q.Qclass == dns.ClassCHAOS && q.Qtype == dns.TypeTXT {
			txt := map[string]string{"version.bind.": "dnsmasq-2.89", "id.server.": "gw.lan"}[q.Name]
			if txt != "" {
				m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassCHAOS}, Txt: []string{txt}})
			}
		}
		_ = w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return uint16(pc.LocalAddr().(*net.UDPAddr).Port)
}

// mdnsAnswer answers a legacy unicast DNS-SD service enumeration as
// Avahi does: the PTRs, the host's address as additional record.
func mdnsAnswer(req []byte) [][]byte {
	r := new(dns.Msg)
	if r.Unpack(req) != nil || len(r.Question) != 1 || r.Question[0].Qclass&(1<<15) == 0 {
		return nil
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	m.Question[0].Qclass &^= 1 << 15
	for _, s := range []string{"_http._tcp.local.", "_smb._tcp.local.", "_ssh._tcp.local."} {
		m.Answer = append(m.Answer, &dns.PTR{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 10}, Ptr: s})
	}
	m.Extra = append(m.Extra, &dns.A{Hdr: dns.RR_Header{Name: "nas.local.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 10}, A: net.IPv4(192, 168, 1, 23)})
	b, _ := m.Pack()
	return [][]byte{b}
}

// ntpAnswer answers mode 3 as an NTPv4 stratum 2 server whose upstream is
// 192.0.2.1 (data only), and mode 6 READVAR as ntpd 4.2.8p15 does.
func ntpAnswer(req []byte) [][]byte {
	switch {
	case len(req) >= 48 && req[0]&7 == 3:
		b := make([]byte, 48)
		b[0] = 0<<6 | 4<<3 | 4
		b[1] = 2
		b[2], b[3] = 6, 0xe9
		copy(b[12:16], []byte{192, 0, 2, 1})
		copy(b[24:32], req[40:48])
		return [][]byte{b}
	case len(req) >= 12 && req[0]&7 == 6 && req[1] == 2:
		data := `version="ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)", processor="x86_64", system="Linux/6.1.0-18-amd64", leap=00, stratum=2`
		b := make([]byte, 12, 12+len(data))
		b[0] = 0<<6 | 2<<3 | 6
		b[1] = 0x80 | 2
		copy(b[2:4], req[2:4])
		binary.BigEndian.PutUint16(b[10:], uint16(len(data)))
		return [][]byte{append(b, data...)}
	}
	return nil
}

// snmpAgent answers GETs for the system group with community public, in
// the versions listed, as net-snmp does; other communities get nothing.
func snmpAgent(versions ...gosnmp.SnmpVersion) func([]byte) [][]byte {
	return func(req []byte) [][]byte {
		pkt, err := decodeSNMP(req)
		if err != nil || pkt.PDUType != gosnmp.GetRequest || pkt.Community != "public" {
			return nil
		}
		ok := false
		for _, v := range versions {
			ok = ok || v == pkt.Version
		}
		if !ok {
			return nil
		}
		resp := &gosnmp.SnmpPacket{Version: pkt.Version, Community: pkt.Community, PDUType: gosnmp.GetResponse, RequestID: pkt.RequestID}
		for _, v := range pkt.Variables {
			switch v.Name {
			case oidSysDescr:
				resp.Variables = append(resp.Variables, gosnmp.SnmpPDU{Name: v.Name, Type: gosnmp.OctetString, Value: "Linux gw 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64"})
			case oidSysName:
				resp.Variables = append(resp.Variables, gosnmp.SnmpPDU{Name: v.Name, Type: gosnmp.OctetString, Value: "gw"})
			}
		}
		b, err := resp.MarshalMsg()
		if err != nil {
			panic(err)
		}
		return [][]byte{b}
	}
}

// nbstatAnswer answers a node status request as Samba's nmbd does for a
// host NAS in workgroup WORKGROUP.
func nbstatAnswer(req []byte) [][]byte {
	if len(req) < 50 || req[len(req)-3] != 0x21 {
		return nil
	}
	b := append([]byte(nil), req[:2]...)
	b = append(b, 0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0) // response, authoritative; ANCOUNT 1
	b = append(b, req[12:46]...)                      // the name
	b = append(b, 0x00, 0x21, 0x00, 0x01, 0, 0, 0, 0) // NBSTAT IN, TTL 0
	names := []struct {
		name   string
		suffix byte
		flags  uint16
	}{{"NAS", 0x00, 0x0400}, {"NAS", 0x03, 0x0400}, {"NAS", 0x20, 0x0400}, {"WORKGROUP", 0x00, 0x8400}, {"WORKGROUP", 0x1e, 0x8400}}
	rd := []byte{byte(len(names))}
	for _, n := range names {
		e := make([]byte, 18)
		copy(e, n.name+"               ")
		e[15] = n.suffix
		binary.BigEndian.PutUint16(e[16:], n.flags)
		rd = append(rd, e...)
	}
	rd = append(rd, 0x02, 0x11, 0x32, 0xaa, 0xbb, 0xcc)
	rd = append(rd, make([]byte, 40)...) // the rest of the statistics
	b = binary.BigEndian.AppendUint16(b, uint16(len(rd)))
	return [][]byte{append(b, rd...)}
}

// ikeAnswer answers an IKEv2 IKE_SA_INIT as strongSwan does when no
// proposal fits: a NO_PROPOSAL_CHOSEN notify and its vendor id. IKEv1
// messages get nothing (an IKEv2-only daemon).
func ikeAnswer(marker bool) func([]byte) [][]byte {
	return func(req []byte) [][]byte {
		if marker {
			if len(req) < 4 || binary.BigEndian.Uint32(req) != 0 {
				return nil
			}
			req = req[4:]
		}
		if len(req) < 28 || req[17] != 0x20 || req[18] != 34 {
			return nil
		}
		b := append([]byte(nil), req[:8]...)
		b = append(b, 1, 2, 3, 4, 5, 6, 7, 8)
		b = append(b, 41, 0x20, 34, 0x20, 0, 0, 0, 0, 0, 0, 0, 0) // N, IKEv2, IKE_SA_INIT, response
		b = append(b, payload(43, []byte{0, 0, 0, 14})...)        // N(NO_PROPOSAL_CHOSEN), next VID
		vid := []byte{0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc, 0x22, 0x51, 0x61, 0x3b, 0x2e, 0xbe, 0x5b, 0xeb}
		b = append(b, payload(0, vid)...)
		b = ikeSetLength(b)
		if marker {
			b = append([]byte{0, 0, 0, 0}, b...)
		}
		return [][]byte{b}
	}
}

// openvpnAnswer answers a hard reset as an OpenVPN 2.6 server without
// tls-auth: P_CONTROL_HARD_RESET_SERVER_V2 acknowledging packet 0 of the
// client's session.
func openvpnAnswer(req []byte) [][]byte {
	if len(req) < 14 || req[0]>>3 != 7 {
		return nil
	}
	b := []byte{8 << 3, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 1, 0, 0, 0, 0}
	b = append(b, req[1:9]...)
	return [][]byte{append(b, 0, 0, 0, 0)}
}

// natpmpAnswer answers an external address request with 203.0.113.9
// (data only).
func natpmpAnswer(req []byte) [][]byte {
	if len(req) != 2 || req[0] != 0 || req[1] != 0 {
		return nil
	}
	return [][]byte{{0, 128, 0, 0, 0, 0, 0x1c, 0x20, 203, 0, 113, 9}}
}

func loopback(t *testing.T, s string) netip.Addr {
	t.Helper()
	return netip.MustParseAddr(s)
}
