package scan

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
)

// probeRTSP sends OPTIONS and reads the RTSP server's name: cameras, DVRs
// and streaming servers.
func probeRTSP(ctx context.Context, pr *prober) *match {
	req := "OPTIONS rtsp://" + pr.hostHeader() + "/ RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: homesoc-scan\r\n\r\n"
	b, _ := pr.exchange(ctx, []byte(req))
	if !bytes.HasPrefix(b, []byte("RTSP/1.")) {
		return nil
	}
	m := &match{Service: "rtsp", Evidence: Evidence{Banner: escapeBanner(b)}}
	if srv := headerValue(b, "Server"); srv != "" {
		m.Product, m.Version, m.Info = rtspProduct(srv)
		m.Evidence.Fields = map[string]string{"rtsp_server": srv}
	}
	if pub := headerValue(b, "Public"); pub != "" {
		if m.Evidence.Fields == nil {
			m.Evidence.Fields = map[string]string{}
		}
		m.Evidence.Fields["rtsp_public"] = pub
	}
	return m
}

var live555 = regexp.MustCompile(`^LIVE555 Streaming Media v(\S+)`)

func rtspProduct(srv string) (product, version, info string) {
	if sm := live555.FindStringSubmatch(srv); sm != nil {
		return "LIVE555 Streaming Media", sm[1], ""
	}
	return serverProduct(srv)
}

// headerValue returns the value of header name in a text protocol's
// answer (RTSP, HTTP-like), "" when absent.
func headerValue(b []byte, name string) string {
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// probeRedis sends PING, then INFO server for the version. A server that
// wants a password or runs in protected mode says so, and is Redis too.
func probeRedis(ctx context.Context, pr *prober) *match {
	c, err := pr.dial(ctx)
	if err != nil {
		return nil
	}
	defer c.Close()
	b, _ := pr.send(ctx, c, []byte("*1\r\n$4\r\nPING\r\n"), pr.wait, lineDone)
	s := string(b)
	m := &match{Service: "redis", Product: "Redis key-value store", Evidence: Evidence{Banner: escapeBanner(b)}}
	switch {
	case strings.HasPrefix(s, "+PONG"):
	case strings.HasPrefix(s, "-NOAUTH"), strings.HasPrefix(s, "-ERR operation not permitted"):
		m.Info = "authentication required"
		return m
	case strings.HasPrefix(s, "-DENIED"):
		m.Info = "protected mode"
		return m
	default:
		return nil
	}
	b, _ = pr.send(ctx, c, []byte("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"), pr.wait, respBulkDone)
	f := map[string]string{}
	for _, line := range strings.Split(string(b), "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && (k == "redis_version" || k == "redis_mode" || k == "os" || k == "valkey_version") {
			f[k] = v
		}
	}
	m.Version = f["redis_version"]
	if v := f["valkey_version"]; v != "" {
		m.Product, m.Version = "Valkey", v
	}
	if strings.HasPrefix(f["os"], "Linux") {
		m.OS = "Linux"
	}
	m.Info = "no authentication"
	if len(f) > 0 {
		m.Evidence.Fields = f
	}
	return m
}

// respBulkDone reports whether b holds a whole RESP bulk string
// ("$n\r\n" n bytes "\r\n") or a one-line reply.
func respBulkDone(b []byte) bool {
	if len(b) == 0 || b[0] != '$' {
		return lineDone(b)
	}
	head, _, ok := bytes.Cut(b, []byte("\r\n"))
	if !ok {
		return false
	}
	n, err := strconv.Atoi(string(head[1:]))
	return err != nil || n < 0 || len(b) >= len(head)+2+n+2
}

// mqttConnect is an MQTT 3.1.1 CONNECT with clean session, keep-alive 60 s,
// client id "homesoc-scan", no credentials: a broker that accepts it lets
// anyone in.
var mqttConnect = []byte{
	0x10, 24, // CONNECT, remaining length
	0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, // protocol name, level 4, clean session, keep-alive
	0, 12, 'h', 'o', 'm', 'e', 's', 'o', 'c', '-', 's', 'c', 'a', 'n',
}

var connackCodes = map[byte]string{
	0: "anonymous access allowed",
	1: "unacceptable protocol version",
	2: "identifier rejected",
	3: "server unavailable",
	4: "bad user name or password",
	5: "not authorized",
}

// probeMQTT sends CONNECT and reads the CONNACK's return code.
func probeMQTT(ctx context.Context, pr *prober) *match {
	c, err := pr.dial(ctx)
	if err != nil {
		return nil
	}
	defer c.Close()
	b, _ := pr.send(ctx, c, mqttConnect, pr.wait, func(b []byte) bool { return len(b) >= 4 })
	if len(b) < 4 || b[0] != 0x20 || b[1] != 2 {
		return nil
	}
	code, ok := connackCodes[b[3]]
	if !ok {
		return nil
	}
	c.Write([]byte{0xe0, 0}) // DISCONNECT
	return &match{Service: "mqtt", Info: code, Evidence: Evidence{
		Banner: escapeBanner(b),
		Fields: map[string]string{"mqtt_connack": strconv.Itoa(int(b[3]))},
	}}
}

// postgresSSLRequest asks a PostgreSQL server whether it speaks TLS; it
// answers one byte, S or N.
var postgresSSLRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// probePostgres sends an SSLRequest; after N, a startup message for user
// homesoc confirms the server by its error or authentication request.
func probePostgres(ctx context.Context, pr *prober) *match {
	c, err := pr.dial(ctx)
	if err != nil {
		return nil
	}
	defer c.Close()
	b, _ := pr.send(ctx, c, postgresSSLRequest, pr.wait, func(b []byte) bool { return len(b) >= 1 })
	if len(b) != 1 || (b[0] != 'S' && b[0] != 'N') {
		return nil
	}
	m := &match{Service: "postgresql", Product: "PostgreSQL DB", Evidence: Evidence{Banner: escapeBanner(b)}}
	if b[0] == 'S' {
		m.Info = "TLS supported"
		return m
	}
	params := "user\x00homesoc\x00database\x00homesoc\x00\x00"
	startup := binary.BigEndian.AppendUint32(nil, uint32(8+len(params)))
	startup = binary.BigEndian.AppendUint32(startup, 3<<16)
	startup = append(startup, params...)
	r, _ := pr.send(ctx, c, startup, pr.wait, func(b []byte) bool { return len(b) >= 5 })
	if len(r) < 5 || (r[0] != 'E' && r[0] != 'R') {
		return nil
	}
	m.Info = "no TLS"
	m.Evidence.Banner = escapeBanner(append(b, r...))
	return m
}

// rdpRequest is an X.224 Connection Request in a TPKT carrying an RDP
// negotiation request for TLS and CredSSP ([MS-RDPBCGR] 2.2.1.1).
var rdpRequest = []byte{
	0x03, 0x00, 0x00, 0x13, // TPKT, length 19
	0x0e, 0xe0, 0, 0, 0, 0, 0, // X.224 CR
	0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, // RDP_NEG_REQ: PROTOCOL_SSL | PROTOCOL_HYBRID
}

var rdpProtocols = map[uint32]string{0: "standard RDP security", 1: "TLS", 2: "CredSSP (NLA)", 8: "CredSSP with Early User Authorization"}

// probeRDP sends an X.224 Connection Request and reads the Connection
// Confirm and the security protocol the server picked.
func probeRDP(ctx context.Context, pr *prober) *match {
	b, _ := pr.exchange(ctx, rdpRequest)
	if len(b) < 11 || b[0] != 3 || b[5] != 0xd0 {
		return nil
	}
	m := &match{Service: "ms-wbt-server", Product: "Microsoft Terminal Services", Evidence: Evidence{Banner: escapeBanner(b)}}
	if len(b) >= 19 {
		switch b[11] {
		case 0x02: // RDP_NEG_RSP
			p := binary.LittleEndian.Uint32(b[15:19])
			m.Info = "security: " + rdpProtocols[p]
		case 0x03: // RDP_NEG_FAILURE
			m.Info = "negotiation failure " + strconv.Itoa(int(binary.LittleEndian.Uint32(b[15:19])))
		}
	}
	return m
}

// smbNegotiate is a direct-TCP SMB2 NEGOTIATE request offering dialects
// 2.0.2, 2.1, 3.0 and 3.0.2 ([MS-SMB2] 2.2.3).
var smbNegotiate = func() []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64) // StructureSize
	binary.LittleEndian.PutUint16(h[14:], 1) // CreditRequest
	body := make([]byte, 36)
	binary.LittleEndian.PutUint16(body[0:], 36) // StructureSize
	binary.LittleEndian.PutUint16(body[2:], 4)  // DialectCount
	binary.LittleEndian.PutUint16(body[4:], 1)  // SecurityMode: signing enabled
	copy(body[12:28], "homesoc-scanner!")       // ClientGuid
	for _, d := range []uint16{0x0202, 0x0210, 0x0300, 0x0302} {
		body = binary.LittleEndian.AppendUint16(body, d)
	}
	msg := append(h, body...)
	return append([]byte{0, 0, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}()

var smbDialects = map[uint16]string{0x0202: "2.0.2", 0x0210: "2.1", 0x0300: "3.0", 0x0302: "3.0.2", 0x0311: "3.1.1", 0x02ff: "2.???"}

// probeSMB sends an SMB2 NEGOTIATE and reads the dialect and server GUID
// of the answer.
func probeSMB(ctx context.Context, pr *prober) *match {
	b, _ := pr.exchange(ctx, smbNegotiate)
	if len(b) < 4+64+8 || !bytes.Equal(b[4:8], []byte("\xfeSMB")) {
		return nil
	}
	body := b[4+64:]
	if binary.LittleEndian.Uint16(body[0:]) != 65 {
		return nil
	}
	d := binary.LittleEndian.Uint16(body[4:])
	m := &match{Service: "microsoft-ds", Product: "SMB", Info: "SMB dialect " + smbDialects[d], Evidence: Evidence{
		Banner: escapeBanner(b[:min(len(b), 128)]),
		Fields: map[string]string{"smb_dialect": smbDialects[d]},
	}}
	if len(body) >= 24 {
		m.Evidence.Fields["smb_server_guid"] = hex.EncodeToString(body[8:24])
	}
	return m
}

// pjlInfoID asks a printer its model in PJL, wrapped in Universal Exit
// Language escapes so nothing is printed.
var pjlInfoID = []byte("\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X\r\n")

// probeJetDirect asks a raw-printing port for its PJL model id.
func probeJetDirect(ctx context.Context, pr *prober) *match {
	b, _ := pr.exchange(ctx, pjlInfoID)
	if !bytes.HasPrefix(b, []byte("@PJL INFO ID")) {
		return nil
	}
	m := &match{Service: "jetdirect", Evidence: Evidence{Banner: escapeBanner(b)}}
	lines := strings.Split(string(b), "\n")
	if len(lines) > 1 {
		m.Product = strings.Trim(strings.TrimSpace(lines[1]), "\"\f")
		m.Info = "PJL"
	}
	return m
}
