package udp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/homesoc/homesoc/internal/scan"
)

// ikeProbe sends an IKEv2 IKE_SA_INIT (RFC 7296) and an IKEv1 Main Mode
// first message (RFC 2409) in each attempt: a gateway answers the one it
// speaks, with its proposal, a notify (NO_PROPOSAL_CHOSEN,
// INVALID_KE_PAYLOAD) or vendor ids; any answer shows an IKE responder.
var ikeProbe = &Probe{
	Name:     "isakmp",
	Ports:    []uint16{500},
	Requests: func(*Exchange) [][]byte { return [][]byte{ikev2SAInit(), ikev1MainMode()} },
	Identify: identifyIKE,
}

// ikeNATTProbe is the same on the NAT traversal port, where IKE messages
// start with the four-byte non-ESP marker (RFC 3948 section 2.2).
var ikeNATTProbe = &Probe{
	Name:  "nat-t-ike",
	Ports: []uint16{4500},
	Requests: func(*Exchange) [][]byte {
		marker := []byte{0, 0, 0, 0}
		return [][]byte{append(marker, ikev2SAInit()...), append(marker, ikev1MainMode()...)}
	},
	Identify: func(ctx context.Context, x *Exchange, reply []byte, p *scan.Port) bool {
		if len(reply) < 4 || !bytes.Equal(reply[:4], []byte{0, 0, 0, 0}) {
			return false
		}
		if !identifyIKE(ctx, x, reply[4:], p) {
			return false
		}
		p.Service = "nat-t-ike"
		return true
	},
}

func ikeHeader(next, version, exchange, flags byte) []byte {
	h := make([]byte, 28)
	_, _ = rand.Read(h[:8]) // initiator SPI / cookie
	h[16], h[17], h[18], h[19] = next, version, exchange, flags
	return h
}

func ikeSetLength(b []byte) []byte {
	binary.BigEndian.PutUint32(b[24:28], uint32(len(b)))
	return b
}

// payload is a generic payload header with body.
func payload(next byte, body []byte) []byte {
	h := []byte{next, 0, 0, 0}
	binary.BigEndian.PutUint16(h[2:], uint16(4+len(body)))
	return append(h, body...)
}

// ikev2SAInit proposes AES-CBC-256, HMAC-SHA2-256, MODP-2048, the suite
// every IKEv2 implementation accepts.
func ikev2SAInit() []byte {
	transform := func(last bool, typ byte, id uint16, attrs []byte) []byte {
		t := []byte{3, 0, 0, 0, typ, 0, 0, 0}
		if last {
			t[0] = 0
		}
		binary.BigEndian.PutUint16(t[6:], id)
		t = append(t, attrs...)
		binary.BigEndian.PutUint16(t[2:], uint16(len(t)))
		return t
	}
	var ts []byte
	ts = append(ts, transform(false, 1, 12, []byte{0x80, 0x0e, 0x01, 0x00})...) // ENCR_AES_CBC, 256 bits
	ts = append(ts, transform(false, 2, 5, nil)...)                             // PRF_HMAC_SHA2_256
	ts = append(ts, transform(false, 3, 12, nil)...)                            // AUTH_HMAC_SHA2_256_128
	ts = append(ts, transform(true, 4, 14, nil)...)                             // D-H group 14
	prop := append([]byte{0, 0, 0, 0, 1, 1, 0, 4}, ts...)                       // last, #1, IKE, no SPI, 4 transforms
	binary.BigEndian.PutUint16(prop[2:], uint16(len(prop)))
	ke := make([]byte, 4+256)
	binary.BigEndian.PutUint16(ke, 14)
	_, _ = rand.Read(ke[4:])
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce)

	b := ikeHeader(33, 0x20, 34, 0x08)  // SA, IKEv2, IKE_SA_INIT, initiator
	b = append(b, payload(34, prop)...) // SA, next KE
	b = append(b, payload(40, ke)...)   // KE, next Nonce
	b = append(b, payload(0, nonce)...)
	return ikeSetLength(b)
}

// ikev1MainMode proposes AES-256, SHA-1, pre-shared key, MODP-1024.
func ikev1MainMode() []byte {
	attrs := []byte{}
	for _, a := range [][2]uint16{{1, 7}, {14, 256}, {2, 2}, {3, 1}, {4, 2}, {11, 1}, {12, 28800}} {
		attrs = binary.BigEndian.AppendUint16(attrs, 0x8000|a[0])
		attrs = binary.BigEndian.AppendUint16(attrs, a[1])
	}
	transform := payload(0, append([]byte{1, 1, 0, 0}, attrs...))         // #1, KEY_IKE
	proposal := payload(0, append([]byte{1, 1, 0, 1}, transform...))      // #1, ISAKMP, no SPI, 1 transform
	sa := payload(0, append([]byte{0, 0, 0, 1, 0, 0, 0, 1}, proposal...)) // DOI IPsec, SIT_IDENTITY_ONLY
	b := ikeHeader(1, 0x10, 2, 0)                                         // SA, IKEv1, Identity Protection
	return ikeSetLength(append(b, sa...))
}

// knownVendorIDs names vendor id payloads by their well-known prefixes.
var knownVendorIDs = []struct{ prefix, name string }{
	{"882fe56d6fd20dbc2251613b2ebe5beb", "strongSwan"},
	{"4a131c81070358455c5728f20e95452f", "RFC 3947 NAT-T"},
	{"afcad71368a1f1c96b8696fc77570100", "Dead Peer Detection"},
	{"4048b7d56ebce88525e7de7f00d6c2d3", "IKE Fragmentation"},
	{"09002689dfd6b712", "XAUTH"},
	{"12f5f28c457168a9702d9fe274cc0100", "Cisco Unity"},
	{"1e2b516905991c7d7c96fcbfb587e461", "Microsoft Windows"},
	{"4f45", "Libreswan/Openswan"},
}

func identifyIKE(_ context.Context, _ *Exchange, reply []byte, p *scan.Port) bool {
	if len(reply) < 28 || int(binary.BigEndian.Uint32(reply[24:28])) > len(reply) {
		return false
	}
	version := reply[17] >> 4
	if version != 1 && version != 2 {
		return false
	}
	vidType, notifyType, notifyAt := byte(13), byte(11), 10
	if version == 2 {
		vidType, notifyType, notifyAt = 43, 41, 6
	}
	p.Service = "isakmp"
	f := fields(p)
	f["ike_version"] = strconv.Itoa(int(version))
	var vids, notifies []string
	next, i := reply[16], 28
	for next != 0 && i+4 <= len(reply) {
		n := int(binary.BigEndian.Uint16(reply[i+2:]))
		if n < 4 || i+n > len(reply) {
			break
		}
		body := reply[i+4 : i+n]
		switch {
		case next == vidType:
			h := hex.EncodeToString(body)
			name := h
			for _, k := range knownVendorIDs {
				if strings.HasPrefix(h, k.prefix) {
					name = k.name + " (" + h + ")"
					if p.Product == "" && k.name != "RFC 3947 NAT-T" && k.name != "Dead Peer Detection" && k.name != "IKE Fragmentation" && k.name != "XAUTH" {
						p.Product = k.name
					}
					break
				}
			}
			vids = append(vids, name)
		case next == notifyType && len(body) >= notifyAt-4+2:
			notifies = append(notifies, strconv.Itoa(int(binary.BigEndian.Uint16(body[notifyAt-4:]))))
		}
		next, i = reply[i], i+n
	}
	if len(vids) > 0 {
		f["ike_vendor_ids"] = strings.Join(vids, ",")
	}
	if len(notifies) > 0 {
		f["ike_notify"] = strings.Join(notifies, ",")
	}
	p.Info = "IKEv" + f["ike_version"]
	return true
}
