package parse

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/homesoc/homesoc/internal/event"
)

// netfilterName is the registered name of the netfilter format.
const netfilterName = "netfilter"

func init() {
	Register(Format{
		Name:        netfilterName,
		Description: "iptables/nftables kernel LOG lines in syslog (UFW, OpenWrt fw3/fw4, plain prefixes)",
		New:         func(o Options) Parser { return newNetfilterParser(o) },
		Sniff:       sniffNetfilter,
	})
}

// sniffNetfilter matches a line carrying the kernel's packet fields.
func sniffNetfilter(line []byte) bool {
	line = trimSpaces(line)
	return len(line) > 0 && line[0] != '{' &&
		bytes.Contains(line, []byte("IN=")) &&
		bytes.Contains(line, []byte(" SRC=")) &&
		bytes.Contains(line, []byte(" DST="))
}

// Errors of lines that are not netfilter log lines at all.
var (
	errNetfilterJSON  = errors.New("not a netfilter line: a JSON object")
	errNoKernelTag    = errors.New(`not a netfilter line: no "kernel:" tag`)
	errNoPacketFields = errors.New("not a netfilter line: no IN= or SRC= fields")
	errMissingSrc     = errors.New("missing SRC=")
	errMissingDst     = errors.New("missing DST=")
)

// netfilterParser parses kernel LOG lines:
//
//	[<pri>]stamp [host] [kern.level] kernel: [uptime] prefix IN=.. OUT=.. KEY=VALUE.. FLAGS..
//
// It scans each line once and does not allocate once its interners have
// seen the line's repeated strings.
type netfilterParser struct {
	clock   *stampClock
	strs    interner // interfaces, hosts, TCP flag sets
	protos  interner // PROTO= -> protocol
	actions interner // log prefix -> action
}

func newNetfilterParser(o Options) *netfilterParser {
	return &netfilterParser{
		clock:   newStampClock(o),
		strs:    newInterner(asIs),
		protos:  newInterner(lowered),
		actions: newInterner(action),
	}
}

// Parse implements Parser.
func (p *netfilterParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	s := trimSpaces(line)
	if len(s) == 0 {
		return ErrSkip
	}
	if i := badByte(s); i >= 0 {
		lead := len(line) - len(bytes.TrimLeft(line, " \t\r\n"))
		return fmt.Errorf("not a netfilter line: binary data at byte %d", lead+i)
	}
	if s[0] == '{' {
		return errNetfilterJSON
	}
	s = skipPriority(s)
	t, rest, err := p.clock.parse(s)
	if err != nil {
		return err
	}
	host, rest, ok := splitKernelTag(rest)
	if !ok {
		return errNoKernelTag
	}
	rest = skipUptime(rest)
	kv := fieldsStart(rest)
	if kv < 0 {
		return errNoPacketFields
	}
	if err := p.fields(rest[kv:], ev); err != nil {
		return err
	}
	ev.ID = event.NewID(netfilterName, line)
	ev.Time = t
	ev.Kind = event.KindFirewall
	ev.Format = netfilterName
	ev.Action = p.action(trimSpaces(rest[:kv]))
	ev.Sensor = p.strs.get(host)
	switch {
	case ev.InIface != "" && ev.OutIface == "":
		ev.Direction = event.DirInbound
	case ev.OutIface != "" && ev.InIface == "":
		ev.Direction = event.DirOutbound
	default:
		ev.Direction = event.DirUnknown
	}
	return nil
}

// action derives the action from the log prefix, the only place a LOG rule
// can say what the packet's fate was:
//
//	[UFW BLOCK], [UFW LIMIT BLOCK] -> block; [UFW ALLOW] -> allow; [UFW AUDIT] -> audit
//	otherwise a prefix containing DROP, REJECT, ACCEPT, ALLOW or BLOCK (any
//	case, tried in that order) -> drop, reject, allow, allow, block
//	otherwise the prefix lower-cased, trimmed of spaces and a trailing ':',
//	or "log" when there is none.
func (p *netfilterParser) action(prefix []byte) string {
	if len(prefix) == 0 {
		return "log"
	}
	return p.actions.get(prefix)
}

func actionOf(prefix []byte) string {
	if bytes.HasPrefix(prefix, []byte("[UFW ")) && bytes.Contains(prefix, []byte("AUDIT")) {
		return "audit"
	}
	switch {
	case containsFold(prefix, "DROP"):
		return "drop"
	case containsFold(prefix, "REJECT"):
		return "reject"
	case containsFold(prefix, "ACCEPT"), containsFold(prefix, "ALLOW"):
		return "allow"
	case containsFold(prefix, "BLOCK"):
		return "block"
	}
	name := trimSpaces(bytes.TrimRight(prefix, ":"))
	if len(name) == 0 {
		return "log"
	}
	return strings.ToLower(string(name))
}

// skipPriority drops a forwarded syslog priority ("<4>").
func skipPriority(s []byte) []byte {
	if len(s) == 0 || s[0] != '<' {
		return s
	}
	for i := 1; i < len(s) && i <= 4; i++ {
		if s[i] == '>' && i > 1 {
			return s[i+1:]
		}
		if !isDigit(s[i]) {
			break
		}
	}
	return s
}

// splitKernelTag finds the "kernel:" tag among the first three tokens after
// the stamp. The tokens before it are the syslog host and, on OpenWrt, the
// facility.level ("kern.warn"), which is not a host.
func splitKernelTag(b []byte) (host, rest []byte, ok bool) {
	var toks [2][]byte
	for i := 0; i < 3; i++ {
		var tok []byte
		tok, b = nextToken(b)
		if string(tok) == "kernel:" {
			switch {
			case i == 0:
			case i == 2 || !isFacility(toks[0]):
				host = toks[0]
			}
			return host, b, true
		}
		if i < 2 {
			toks[i] = tok
		}
	}
	return nil, nil, false
}

// isFacility reports whether tok is a kernel facility.level, as OpenWrt's
// logread prints it ("kern.warn").
func isFacility(tok []byte) bool {
	level, ok := bytes.CutPrefix(tok, []byte("kern."))
	if !ok {
		return false
	}
	switch string(level) {
	case "emerg", "alert", "crit", "err", "warn", "warning", "notice", "info", "debug":
		return true
	}
	return false
}

// skipUptime drops the kernel's uptime stamp ("[12345.678901]", "[ 1234.5]").
func skipUptime(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	if i == len(b) || b[i] != '[' {
		return b
	}
	digits := false
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == ']':
			if !digits {
				return b
			}
			return b[j+1:]
		case isDigit(c):
			digits = true
		case c != '.' && c != ' ':
			return b
		}
	}
	return b
}

// fieldsStart returns where the packet fields begin, which is also where the
// log prefix ends: at the first KEY= token, except that the kernel writes
// "IN=<if> OUT=<if>" right after the prefix, which may lack a trailing space
// ("DROPIN=eth0"), so an IN= followed by OUT= starts them wherever it is.
func fieldsStart(b []byte) int {
	for off := 0; off < len(b); {
		e := bytes.IndexByte(b[off:], '=')
		if e < 0 {
			break
		}
		e += off
		if e >= 2 && b[e-2] == 'I' && b[e-1] == 'N' && bytes.HasPrefix(b[valueEnd(b, e+1):], []byte(" OUT=")) {
			return e - 2
		}
		k := e
		for k > 0 && 'A' <= b[k-1] && b[k-1] <= 'Z' {
			k--
		}
		if k < e && (k == 0 || b[k-1] == ' ') {
			return k
		}
		off = e + 1
	}
	return -1
}
