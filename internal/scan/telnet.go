package scan

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strings"
)

// Telnet commands (RFC 854).
const (
	iac  = 255
	dont = 254
	do   = 253
	wont = 252
	will = 251
	sb   = 250
	se   = 240
)

// busyBoxIACs are the option requests BusyBox telnetd sends first
// (networking/telnetd.c, iacs_to_send: DO ECHO, DO NAWS, WILL ECHO, WILL
// SGA), and the older variants with DO LFLOW and without DO NAWS.
var busyBoxIACs = [][]byte{
	{iac, do, 1, iac, do, 31, iac, will, 1, iac, will, 3},
	{iac, do, 1, iac, do, 31, iac, do, 33, iac, will, 1, iac, will, 3},
	{iac, do, 1, iac, do, 33, iac, will, 1, iac, will, 3},
}

// busyBoxShell is the greeting of BusyBox's ash when telnetd runs a shell
// without login (OpenWrt before 15.05, many cameras).
var busyBoxShell = regexp.MustCompile(`BusyBox v([\w.-]+) \([^)]*\) [Bb]uilt-in shell`)

var loginPrompt = regexp.MustCompile(`(?m)^\s*(\S[^\r\n]*?)?\s*(login|[Uu]sername|Password)\s*:\s*$`)

// telnet answers a telnet server's option negotiation with refusals (WONT
// to every DO, DONT to every WILL) so it moves on to its login prompt, and
// reads until the prompt or a pause.
func telnet(ctx context.Context, pr *prober, c net.Conn, first []byte) *match {
	m := &match{Service: "telnet", Product: "telnetd"}
	for _, sig := range busyBoxIACs {
		if bytes.HasPrefix(first, sig) {
			m.Product, m.OS = "BusyBox telnetd", "Linux"
		}
	}
	raw := first
	var text []byte
	chunk := first
	for round := 0; round < 8; round++ {
		reply, plain := negotiate(chunk)
		text = append(text, plain...)
		if loginPrompt.Match(text) || busyBoxShell.Match(text) || len(reply) == 0 && round > 0 {
			break
		}
		var err error
		chunk, err = pr.send(ctx, c, reply, pr.bannerWait, nil)
		raw = append(raw, chunk...)
		if err != nil || len(chunk) == 0 {
			break
		}
	}
	m.Evidence.Banner = escapeBanner(raw)
	t := strings.TrimSpace(strings.ReplaceAll(string(text), "\r", ""))
	if t != "" {
		m.Evidence.Fields = map[string]string{"telnet_text": t}
		if sm := loginPrompt.FindStringSubmatch(t); sm != nil {
			m.Info = strings.TrimSpace(sm[0])
		}
		if sm := busyBoxShell.FindStringSubmatch(t); sm != nil {
			m.Product, m.Version, m.OS = "BusyBox telnetd", sm[1], "Linux"
			m.Info = "shell without login"
		}
	}
	return m
}

// negotiate splits b into the refusals to send and the plain text.
func negotiate(b []byte) (reply, text []byte) {
	for i := 0; i < len(b); i++ {
		if b[i] != iac || i+1 >= len(b) {
			text = append(text, b[i])
			continue
		}
		switch cmd := b[i+1]; cmd {
		case do, dont, will, wont:
			if i+2 >= len(b) {
				return reply, text
			}
			opt := b[i+2]
			switch cmd {
			case do:
				reply = append(reply, iac, wont, opt)
			case will:
				reply = append(reply, iac, dont, opt)
			}
			i += 2
		case sb:
			end := bytes.Index(b[i:], []byte{iac, se})
			if end < 0 {
				return reply, text
			}
			i += end + 1
		case iac:
			text = append(text, iac)
			i++
		default:
			i++
		}
	}
	return reply, text
}
