package udp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/homesoc/homesoc/internal/scan"
)

// OpenVPN opcodes (the high five bits of the first byte).
const (
	ovpnHardResetClientV2 = 7
	ovpnHardResetServerV2 = 8
)

// openvpnProbe sends P_CONTROL_HARD_RESET_CLIENT_V2 without an HMAC: a
// server without tls-auth/tls-crypt answers P_CONTROL_HARD_RESET_SERVER_V2
// acknowledging our session id; one with them drops it silently
// (open|filtered, honestly).
var openvpnProbe = &Probe{
	Name:  "openvpn",
	Ports: []uint16{1194},
	Requests: func(*Exchange) [][]byte {
		b := make([]byte, 14)
		b[0] = ovpnHardResetClientV2 << 3 // key id 0
		_, _ = rand.Read(b[1:9])          // our session id
		// b[9] = 0: no acks; b[10:14] = 0: message packet id 0
		return [][]byte{b}
	},
	Identify: func(_ context.Context, x *Exchange, reply []byte, p *scan.Port) bool {
		// opcode, server session id (8), ack count, acked ids (4 each),
		// our session id (8), packet id (4).
		if len(reply) < 10 || reply[0]>>3 != ovpnHardResetServerV2 {
			return false
		}
		acks := int(reply[9])
		at := 10 + 4*acks
		if acks == 0 || at+8 > len(reply) {
			return false
		}
		if !x.answers(func(req []byte) bool { return len(req) >= 9 && bytes.Equal(reply[at:at+8], req[1:9]) }) {
			return false
		}
		p.Service = "openvpn"
		f := fields(p)
		f["openvpn_server_session"] = hex.EncodeToString(reply[1:9])
		p.Info = "no tls-auth: answers unauthenticated resets"
		return true
	},
}
