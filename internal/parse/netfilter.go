package parse

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// netfilterName is the registered name of the netfilter format.
const netfilterName = "netfilter"

func init() {
	Register(Format{
		Name:        netfilterName,
		Description: "iptables/nftables kernel LOG lines (UFW, OpenWrt, EdgeOS/UniFi, Proxmox VE, bare bodies)",
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
	errNoKernelTag    = errors.New(`not a netfilter line: no "kernel:" tag and no IN= or SRC= fields`)
	errNoPacketFields = errors.New("not a netfilter line: no IN= or SRC= fields")
	errMissingSrc     = errors.New("missing SRC=")
	errMissingDst     = errors.New("missing DST=")
)

// netfilterMaxLine is the longest line the parser accepts. The kernel
// formats a LOG line in a buffer of 1 KiB (nf_log_buf), and ulogd's LOGEMU
// in one of 4 KiB; 8 KiB leaves room for the headers relays add. A longer
// line is a record with junk glued to it (a lost newline, a corrupt file):
// it is rejected, not stored as if it were the record.
const netfilterMaxLine = 8 << 10

// netfilterParser parses kernel LOG lines in the shapes syslog daemons,
// routers and collectors write them:
//
//	[<pri>]stamp [host] [facility.level] kernel: [uptime] prefix IN=.. OUT=.. KEY=VALUE.. FLAGS..
//	stamp [host] prefix IN=..                      (no kernel: tag: UniFi OS, some relays)
//	vmid level chain dd/Mon/yyyy:hh:mm:ss +zzzz prefix IN=..   (Proxmox VE pve-firewall.log)
//	<pri>1 iso-stamp host app procid msgid sd prefix IN=..   (RFC 5424, as rsyslog forwards it)
//	[Mon Jan  8 03:37:09 2024] prefix IN=..        (dmesg -T)
//	prefix IN=..                                   (the body alone, as collectors forward it)
//
// A body without a stamp takes the input's time (Options.ModTime, now for a
// stream); one whose text before the packet fields holds something like a
// stamp (hh:mm:ss, yyyy-mm-dd) has a header of a shape not listed here and
// is rejected rather than stored at the wrong time. A line longer than netfilterMaxLine, or whose packet fields hold
// a bare word the kernel never writes (lower case: another line glued on),
// is rejected with the reason. The prefix names the action and, for
// EdgeOS/VyOS/UniFi ("[WAN_IN-10-D]", "[WAN_LOCAL-D-2000]") and Proxmox (the
// chain), the rule.
//
// It scans each line once and does not allocate once its interners have
// seen the line's repeated strings.
type netfilterParser struct {
	clock   *stampClock
	strs    interner // interfaces, hosts, TCP flag sets
	protos  interner // PROTO= -> protocol
	actions interner // log prefix -> action
	rules   interner // log prefix -> rule name
	macs    interner // MAC= -> destination and source MACs
}

func newNetfilterParser(o Options) *netfilterParser {
	return &netfilterParser{
		clock:   newStampClock(o),
		strs:    newInterner(asIs),
		protos:  newInterner(protocol),
		actions: newInterner(action),
		rules:   newInterner(ruleName),
		macs:    newInterner(macPair),
	}
}

// Parse implements Parser.
func (p *netfilterParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	s := trimSpaces(line)
	if len(s) == 0 {
		return ErrSkip
	}
	if len(s) > netfilterMaxLine {
		return fmt.Errorf("line of %d bytes is longer than a netfilter LOG line can be (%d): junk after the record?", len(s), netfilterMaxLine)
	}
	if i := badByte(s); i >= 0 {
		lead := len(line) - len(bytes.TrimLeft(line, " \t\r\n"))
		return fmt.Errorf("not a netfilter line: binary data at byte %d", lead+i)
	}
	if s[0] == '{' {
		return errNetfilterJSON
	}
	h, err := p.header(s)
	if err != nil {
		return err
	}
	rest := skipUptime(h.rest)
	kv := fieldsStart(rest)
	switch {
	case kv < 0 && h.pve:
		return fmt.Errorf("proxmox firewall logger message: %w", ErrSkip)
	case kv < 0 && h.untagged:
		return errNoKernelTag
	case kv < 0:
		return errNoPacketFields
	}
	prefix := trimSpaces(rest[:kv])
	if h.bare && stampLike(prefix) {
		// A header of a shape not read above: storing the line at the
		// input's time would lose its real one.
		return fmt.Errorf("not a netfilter line we can read: unrecognised header before IN= %q", quote(prefix))
	}
	if err := p.fields(rest[kv:], ev); err != nil {
		return err
	}
	if h.untagged {
		h.host, prefix = splitHost(prefix)
	}
	if i := bytes.Index(prefix, []byte(`DESCR="`)); i >= 0 { // UniFi OS: the rule's description
		prefix = trimSpaces(prefix[:i])
	}
	ev.ID = event.NewID(netfilterName, line)
	ev.Time = h.time
	ev.Kind = event.KindFirewall
	ev.Format = netfilterName
	ev.Action = p.action(prefix)
	switch {
	case h.chain != nil:
		ev.RuleName = p.strs.get(h.chain)
	case len(prefix) > 0 && prefix[0] == '[': // the only prefixes that name a rule
		ev.RuleName = p.rules.get(prefix)
	}
	ev.Sensor = p.strs.get(h.host)
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

// lineHeader is what precedes the log prefix of a line.
type lineHeader struct {
	time     time.Time
	host     []byte
	chain    []byte // Proxmox: the chain that logged
	rest     []byte // the line after the header
	untagged bool   // a syslog header without a kernel: tag
	pve      bool   // a Proxmox pve-firewall.log line
	bare     bool   // no header read: the body alone, or a header of another shape
}

// header reads the header of a line, as the parser's comment lists them.
func (p *netfilterParser) header(line []byte) (lineHeader, error) {
	s := skipPriority(line)
	if len(s) < len(line) && len(s) > 2 && s[0] == '1' && s[1] == ' ' {
		return p.header5424(s[2:])
	}
	if len(s) > 0 && s[0] == '[' {
		if t, rest, ok, err := p.dmesgStamp(s); ok {
			if err != nil {
				return lineHeader{}, err
			}
			return lineHeader{time: t, rest: rest}, nil
		}
	}
	if stampShape(s) != 0 {
		t, rest, err := p.clock.parse(s)
		if err != nil {
			return lineHeader{}, err
		}
		if host, rest, ok := splitKernelTag(rest); ok {
			return lineHeader{time: t, host: host, rest: rest}, nil
		}
		return lineHeader{time: t, rest: rest, untagged: true}, nil
	}
	if t, chain, rest, ok := pveHeader(s); ok {
		return lineHeader{time: t, chain: chain, rest: rest, pve: true}, nil
	}
	return lineHeader{time: p.clock.receivedAt(), rest: s, bare: true}, nil
}

// header5424 reads the RFC 5424 header after "<PRI>1 ", as rsyslog forwards
// it: "2024-01-08T03:37:09.123Z host kernel - - - " (stamp, host, app,
// procid, msgid, structured data). "-" is the nil value of each; a nil stamp
// takes the input's time.
func (p *netfilterParser) header5424(s []byte) (lineHeader, error) {
	var h lineHeader
	if stamp, rest := nextToken(s); string(stamp) == "-" {
		h.time, s = p.clock.receivedAt(), rest
	} else {
		if stampShape(s) != stampISO {
			return h, fmt.Errorf("bad RFC 5424 timestamp %q", quote(stamp))
		}
		t, rest, err := p.clock.parse(s)
		if err != nil {
			return h, err
		}
		h.time, s = t, rest
	}
	host, s := nextToken(s)
	_, s = nextToken(s) // app
	_, s = nextToken(s) // procid
	_, s = nextToken(s) // msgid
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	sd, ok := StructuredData(s)
	if !ok {
		return h, fmt.Errorf("bad RFC 5424 structured data %q", quote(s))
	}
	s = bytes.TrimPrefix(trimSpaces(s[sd:]), []byte{0xef, 0xbb, 0xbf}) // the MSG's BOM
	if string(host) != "-" {
		h.host = host
	}
	// The host is a field of its own, so the MSG is the body whatever the
	// app: no host to split off it.
	h.rest = s
	return h, nil
}

// StructuredData returns the length of the RFC 5424 structured data at the
// start of s: "-" or one or more "[id k="v"...]" elements, whose quoted
// values may hold escaped quotes and brackets; false when s starts with
// neither, or an element does not end. The syslog listener reads headers
// with it too.
func StructuredData(s []byte) (int, bool) {
	if len(s) > 0 && s[0] == '-' {
		return 1, true
	}
	i := 0
	for i < len(s) && s[i] == '[' {
		quoted := false
		for i++; ; i++ {
			if i == len(s) {
				return 0, false
			}
			c := s[i]
			if quoted && c == '\\' {
				i++
				continue
			}
			if c == '"' {
				quoted = !quoted
			} else if c == ']' && !quoted {
				i++
				break
			}
		}
	}
	return i, i > 0
}

// dmesgStamp reads the stamp of "dmesg -T", "[Mon Jan  8 03:37:09 2024] ".
// ok reports whether s starts with one; err whether it is a bad one.
func (p *netfilterParser) dmesgStamp(s []byte) (t time.Time, rest []byte, ok bool, err error) {
	end := bytes.IndexByte(s, ']')
	if end < 0 || stampShape(s[1:end]) != stampOpenWrt {
		return t, nil, false, nil
	}
	t, tail, err := p.clock.parse(s[1:end])
	if err == nil && len(tail) != 0 {
		err = fmt.Errorf("bad timestamp %q", quote(s[1:end]))
	}
	return t, s[end+1:], true, err
}

// stampLike reports whether b holds a time of day (hh:mm:ss) or a date
// (yyyy-mm-dd): the mark of a header the parser did not recognise.
func stampLike(b []byte) bool {
	for i := 0; i+8 <= len(b); i++ {
		if !isDigit(b[i]) || !isDigit(b[i+1]) {
			continue
		}
		if b[i+2] == ':' && isDigit(b[i+3]) && isDigit(b[i+4]) && b[i+5] == ':' && isDigit(b[i+6]) && isDigit(b[i+7]) {
			return true
		}
		if i+10 <= len(b) && isDigit(b[i+2]) && isDigit(b[i+3]) && b[i+4] == '-' &&
			isDigit(b[i+5]) && isDigit(b[i+6]) && b[i+7] == '-' && isDigit(b[i+8]) && isDigit(b[i+9]) {
			return true
		}
	}
	return false
}

// pveHeader reads the header of a Proxmox VE pve-firewall.log line:
// "0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 ", the VM id (0 for the
// host), the log level, the chain and the time.
func pveHeader(s []byte) (t time.Time, chain, rest []byte, ok bool) {
	vmid, rest := nextToken(s)
	if _, ok := digits(vmid); !ok {
		return t, nil, nil, false
	}
	level, rest := nextToken(rest)
	chain, rest = nextToken(rest)
	stamp, rest := nextToken(rest)
	zone, rest := nextToken(rest)
	if _, ok := digits(level); !ok || len(chain) == 0 || len(stamp) != 20 ||
		stamp[2] != '/' || stamp[6] != '/' || stamp[11] != ':' {
		return t, nil, nil, false
	}
	d, ok1 := digits(stamp[0:2])
	m := monthOf(stamp[3:6])
	y, ok2 := digits(stamp[7:11])
	h, mi, sec, ok3 := clock(stamp[12:20])
	off, ok4 := zoneOffset(zone)
	if !ok1 || !ok2 || !ok3 || !ok4 || m == 0 || d < 1 || d > daysIn(m, y) || y < 1970 {
		return t, nil, nil, false
	}
	if string(chain) == "-" {
		chain = nil
	}
	return unixUTC(y, m, d, h, mi, sec-off), chain, rest, true
}

// splitHost splits the host off the prefix of a stamped syslog line
// without a kernel: tag. After an RFC 3164 stamp comes the host, so the
// first word is the host ("USG", "myhost" of ulogd's LOGEMU) unless it is a
// tag ("DENY:", Elastic's samples) or a log prefix in brackets
// ("[WAN_IN-10-D]"), which mean the daemon left the host out; a syslog tag
// after the host ("ulogd[812]:") goes too.
func splitHost(prefix []byte) (host, rest []byte) {
	first, after := nextToken(prefix)
	if len(first) == 0 || first[0] == '[' || first[len(first)-1] == ':' {
		return nil, prefix
	}
	after = trimSpaces(after)
	if tag, more := nextToken(after); len(tag) > 2 && tag[len(tag)-1] == ':' && tag[len(tag)-2] == ']' && tag[0] != '[' {
		after = trimSpaces(more)
	}
	return first, after
}

// action derives the action from the log prefix, the only place a LOG rule
// can say what the packet's fate was (see actionOf); "log" when there is
// none.
func (p *netfilterParser) action(prefix []byte) string {
	if len(prefix) == 0 {
		return "log"
	}
	return p.actions.get(prefix)
}

// actionOf maps a log prefix to an action:
//
//	EdgeOS/VyOS/UniFi verdict letters: [NAME-A], [CHAIN-A-N] -> allow; -D -> drop; -R -> reject
//	[UFW BLOCK], [UFW LIMIT BLOCK] -> block; [UFW ALLOW] -> allow; [UFW AUDIT] -> audit
//	otherwise a prefix containing DROP, DENY, REJECT, ACCEPT, ALLOW or BLOCK
//	(any case, tried in that order) -> drop, drop, reject, allow, allow, block
//	otherwise the prefix lower-cased, trimmed of spaces and a trailing ':',
//	or "log" when there is none.
func actionOf(prefix []byte) string {
	if _, verdict, ok := edgeRule(prefix); ok {
		return verdict
	}
	if bytes.HasPrefix(prefix, []byte("[UFW ")) && bytes.Contains(prefix, []byte("AUDIT")) {
		return "audit"
	}
	switch {
	case containsFold(prefix, "DROP"), containsFold(prefix, "DENY"):
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

// ruleOf returns the rule a log prefix names: the rule of an EdgeOS/VyOS/
// UniFi prefix, else "" (other prefixes are free text).
func ruleOf(prefix []byte) string {
	rule, _, _ := edgeRule(prefix)
	return rule
}

// edgeRule reads the rule and verdict of a prefix as EdgeOS, VyOS and the
// UniFi gateways write it: "[WAN_OUT-2000-A]" (rule set WAN_OUT, rule 2000,
// accept), "[wan-lan-default-D]", or UniFi OS's "[WAN_LOCAL-D-2147483647]"
// with the letter before the rule number (rule "WAN_LOCAL-2147483647"). The
// letter is A (accept), D (drop) or R (reject).
func edgeRule(prefix []byte) (rule, verdict string, ok bool) {
	end := bytes.IndexByte(prefix, ']')
	if len(prefix) < 5 || prefix[0] != '[' || end < 0 {
		return "", "", false
	}
	in := prefix[1:end]
	n := len(in)
	if n >= 3 && in[n-2] == '-' {
		if v := verdictOf(in[n-1]); v != "" {
			return string(in[:n-2]), v, true
		}
	}
	i := bytes.LastIndexByte(in, '-')
	if _, num := digits(in[i+1:]); num && i >= 3 && in[i-2] == '-' {
		if v := verdictOf(in[i-1]); v != "" {
			return string(in[:i-2]) + string(in[i:]), v, true
		}
	}
	return "", "", false
}

// verdictOf maps an EdgeOS verdict letter to an action.
func verdictOf(c byte) string {
	switch c {
	case 'A':
		return "allow"
	case 'D':
		return "drop"
	case 'R':
		return "reject"
	}
	return ""
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
		if e+1 < len(b) && b[e+1] == '"' { // KEY="free text": never a packet field
			q := bytes.IndexByte(b[e+2:], '"')
			if q < 0 {
				break
			}
			off = e + 2 + q + 1
			continue
		}
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
