package udp

import (
	"context"
	"math/rand/v2"
	"regexp"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/homesoc/homesoc/internal/scan"
)

// OIDs the SNMP probe reads (RFC 3418 system group).
const (
	oidSysDescr = ".1.3.6.1.2.1.1.1.0"
	oidSysName  = ".1.3.6.1.2.1.1.5.0"
)

// snmpProbe sends GET sysDescr.0 and sysName.0 with community "public",
// as SNMPv2c and as SNMPv1 in each attempt: an agent answers the version
// it speaks.
var snmpProbe = &Probe{
	Name:  "snmp",
	Ports: []uint16{161},
	Requests: func(*Exchange) [][]byte {
		var out [][]byte
		for _, v := range []gosnmp.SnmpVersion{gosnmp.Version2c, gosnmp.Version1} {
			pkt := &gosnmp.SnmpPacket{
				Version: v, Community: "public", PDUType: gosnmp.GetRequest,
				RequestID: rand.Uint32() & 0x7fffffff,
				Variables: []gosnmp.SnmpPDU{{Name: oidSysDescr, Type: gosnmp.Null}, {Name: oidSysName, Type: gosnmp.Null}},
			}
			if b, err := pkt.MarshalMsg(); err == nil {
				out = append(out, b)
			}
		}
		return out
	},
	Identify: func(_ context.Context, _ *Exchange, reply []byte, p *scan.Port) bool {
		pkt, err := decodeSNMP(reply)
		if err != nil || pkt.PDUType != gosnmp.GetResponse {
			return false
		}
		p.Service = "snmp"
		f := fields(p)
		f["snmp_version"] = map[gosnmp.SnmpVersion]string{gosnmp.Version1: "1", gosnmp.Version2c: "2c"}[pkt.Version]
		f["snmp_community"] = pkt.Community
		if pkt.Error != gosnmp.NoError {
			f["snmp_error"] = pkt.Error.String()
		}
		for _, v := range pkt.Variables {
			s, ok := v.Value.([]byte)
			if !ok || v.Type != gosnmp.OctetString {
				continue
			}
			switch v.Name {
			case oidSysDescr:
				f["sysDescr"] = string(s)
			case oidSysName:
				f["sysName"] = string(s)
			}
		}
		p.Product, p.Version, p.OS = sysDescrProduct(f["sysDescr"])
		return true
	},
}

// decodeSNMP decodes a v1/v2c message.
func decodeSNMP(b []byte) (*gosnmp.SnmpPacket, error) {
	g := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "public", Logger: gosnmp.NewLogger(nil)}
	return g.SnmpDecodePacket(b)
}

var sysDescrs = []struct {
	re          *regexp.Regexp
	product, os string
}{
	{regexp.MustCompile(`^RouterOS\b`), "MikroTik RouterOS", "RouterOS"},
	{regexp.MustCompile(`Cisco IOS Software.*?Version ([^\s,]+)`), "Cisco IOS", "IOS"},
	{regexp.MustCompile(`Cisco Adaptive Security Appliance Version (\S+)`), "Cisco ASA", "ASA"},
	{regexp.MustCompile(`^Synology .*?DSM (\S+)`), "Synology DSM", "Linux"},
	{regexp.MustCompile(`^Hardware:.*Software: Windows Version (\S+)`), "Microsoft Windows SNMP", "Windows"},
	{regexp.MustCompile(`^FortiGate`), "FortiGate", "FortiOS"},
	{regexp.MustCompile(`^Linux \S+ (\d[^\s]*)`), "", "Linux"},
	{regexp.MustCompile(`^FreeBSD \S+ (\d[^\s]*)`), "", "FreeBSD"},
}

// sysDescrProduct reads what a sysDescr obviously says: "Linux gw
// 5.10.0-28-amd64 #1 SMP ..." is Linux 5.10.0-28-amd64 (the agent itself
// is not named); "RouterOS RB4011iGS+" is MikroTik RouterOS (of a board,
// not a version).
func sysDescrProduct(d string) (product, version, os string) {
	for _, s := range sysDescrs {
		m := s.re.FindStringSubmatch(d)
		if m == nil {
			continue
		}
		v := ""
		if len(m) > 1 {
			v = m[1]
		}
		if s.product == "" {
			return "", "", strings.TrimSpace(s.os + " " + v)
		}
		return s.product, v, s.os
	}
	return "", "", ""
}
