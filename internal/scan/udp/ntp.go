package udp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/homesoc/homesoc/internal/scan"
)

// ntpProbe sends an NTPv4 client request (RFC 5905 mode 3) and reads
// stratum, version and reference id from the server's answer; then one
// mode 6 READVAR (RFC 9327), which ntpd answers with its version string
// (and which makes it an amplifier worth knowing about); chrony ignores it.
var ntpProbe = &Probe{
	Name:  "ntp",
	Ports: []uint16{123},
	Requests: func(*Exchange) [][]byte {
		b := make([]byte, 48)
		b[0] = 0<<6 | 4<<3 | 3     // LI 0, VN 4, mode 3 (client)
		_, _ = rand.Read(b[40:48]) // transmit timestamp: echoed as origin
		return [][]byte{b}
	},
	Identify: identifyNTP,
}

func identifyNTP(ctx context.Context, x *Exchange, reply []byte, p *scan.Port) bool {
	if len(reply) < 48 || reply[0]&7 != 4 {
		return false
	}
	if !x.answers(func(req []byte) bool { return len(req) >= 48 && bytes.Equal(reply[24:32], req[40:48]) }) {
		return false // not an answer to our request
	}
	p.Service = "ntp"
	f := fields(p)
	version, stratum := int(reply[0]>>3&7), int(reply[1])
	f["ntp_version"] = strconv.Itoa(version)
	f["ntp_stratum"] = strconv.Itoa(stratum)
	f["ntp_refid"] = refID(stratum, reply[12:16])
	p.Info = fmt.Sprintf("v%d, stratum %d", version, stratum)

	if b, err := x.Ask(ctx, readvar(), func(b []byte) bool { return len(b) >= 12 && b[0]&7 == 6 && b[1]&0x80 != 0 }); err == nil {
		vars := modeSixData(b)
		f["ntp_mode6"] = "yes"
		if v := ntpVar(vars, "version"); v != "" {
			f["ntp_version_string"] = v
			if m := ntpdVersion.FindStringSubmatch(v); m != nil {
				p.Product, p.Version = "ntpd", m[1]
			}
		}
		if s := ntpVar(vars, "system"); s != "" {
			p.OS = s
		}
	}
	return true
}

var ntpdVersion = regexp.MustCompile(`^ntpd (\S+?)(?:@|\s|$)`)

// refID renders the reference id: four ASCII characters at stratum 0
// (a kiss code) and 1 (a reference clock, "GPS", "PPS"), else the IPv4
// address of the upstream server (or a hash of an IPv6 one).
func refID(stratum int, b []byte) string {
	if stratum <= 1 {
		return strings.TrimRight(string(bytes.TrimRight(b, "\x00")), " ")
	}
	return netip.AddrFrom4([4]byte(b)).String()
}

// readvar is a mode 6 READVAR request for the system variables.
func readvar() []byte {
	b := make([]byte, 12)
	b[0] = 0<<6 | 2<<3 | 6 // LI 0, VN 2, mode 6 (control)
	b[1] = 2               // opcode 2: read variables
	binary.BigEndian.PutUint16(b[2:], 1)
	return b
}

// modeSixData returns a mode 6 answer's data.
func modeSixData(b []byte) string {
	n := int(binary.BigEndian.Uint16(b[10:12]))
	if 12+n > len(b) {
		n = len(b) - 12
	}
	return string(b[12 : 12+n])
}

// ntpVar reads name="value" (or name=value) from mode 6 variables.
func ntpVar(vars, name string) string {
	for _, kv := range splitVars(vars) {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.TrimSpace(k) == name {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// splitVars splits at commas outside quotes.
func splitVars(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
