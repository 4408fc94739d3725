package parse

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/homesoc/homesoc/internal/event"
)

// zeekConnName is the registered name of the Zeek conn.log format.
const zeekConnName = "zeek-conn"

func init() {
	Register(Format{
		Name:        zeekConnName,
		Description: "Zeek conn.log, tab-separated with #fields headers or JSON lines",
		New:         func(Options) Parser { return newZeekConnParser() },
		Sniff:       sniffZeekConn,
	})
}

// sniffZeekConn matches a Zeek header line (#path and #fields only those of
// conn.log), a TSV data line (epoch ts, then a connection uid) or a JSON
// record with a connection's endpoints.
func sniffZeekConn(line []byte) bool {
	line = trimSpaces(line)
	switch {
	case len(line) == 0:
		return false
	case line[0] == '{':
		// A JSON http.log record without _path is zeek-http's; with _path
		// it is part of a mixed stream, which this parser reads.
		return bytes.Contains(line, []byte(`"id.orig_h"`)) && bytes.Contains(line, []byte(`"id.resp_h"`)) &&
			(!zeekHTTPJSONLike(line) || bytes.Contains(line, []byte(`"_path"`)))
	case line[0] == '#':
		if bytes.HasPrefix(line, []byte("#types")) {
			return bytes.Contains(line, []byte("interval")) // duration: http.log has none
		}
		for _, h := range [...]string{"#separator ", "#set_separator", "#empty_field", "#unset_field", "#open", "#close"} {
			if bytes.HasPrefix(line, []byte(h)) {
				return true
			}
		}
		return bytes.HasPrefix(line, []byte("#path")) && bytes.HasSuffix(line, []byte("conn")) ||
			bytes.HasPrefix(line, []byte("#fields")) && bytes.Contains(line, []byte("conn_state"))
	}
	ts, rest, _ := bytes.Cut(line, []byte("\t"))
	uid, _, _ := bytes.Cut(rest, []byte("\t"))
	_, _, ok := decimal(ts)
	return ok && len(uid) > 1 && uid[0] == 'C' && bytes.Count(line, []byte("\t")) >= 5 && !zeekHTTPDataLine(line)
}

// zeekHTTPDataLine reports whether a TSV line has http.log's shape: after
// ts, uid and the four endpoint columns come trans_depth (a count) and the
// method, where conn.log has proto.
func zeekHTTPDataLine(line []byte) bool {
	var f [8][]byte
	rest := line
	for i := range f {
		var ok bool
		f[i], rest, ok = bytes.Cut(rest, []byte("\t"))
		if !ok && i < len(f)-1 {
			return false
		}
	}
	_, ok := parseUint(f[6], 1<<32)
	return ok && (string(f[7]) == "-" || squidWord(f[7]))
}

// Errors of Zeek lines.
var (
	errZeekNoFields = errors.New("zeek data line before any #fields header")
)

// The conn.log columns the parser reads.
const (
	zTS = iota
	zUID
	zOrigH
	zOrigP
	zRespH
	zRespP
	zProto
	zDuration
	zOrigIPBytes
	zRespIPBytes
	zConnState
	zLocalOrig
	zLocalResp
	zHistory
	zOrigPkts
	zRespPkts
	zService
	zIPProto
	zOrigBytes
	zRespBytes
	zCols
)

// zeekColumns names the columns read. The byte counts are the IP-level ones
// (orig_ip_bytes, headers included, like NetFlow's octets): orig_bytes and
// resp_bytes count payload from sequence numbers, which is wrong whenever
// Zeek missed the handshake. They are read all the same, as the fallback for
// a record without the IP-level counts (zeek-cut output that kept only
// orig_bytes and resp_bytes, JSON that leaves them out): payload bytes are
// nearer the truth than none.
var zeekColumns = [zCols]string{
	zTS: "ts", zUID: "uid", zOrigH: "id.orig_h", zOrigP: "id.orig_p", zRespH: "id.resp_h",
	zRespP: "id.resp_p", zProto: "proto", zDuration: "duration", zOrigIPBytes: "orig_ip_bytes",
	zRespIPBytes: "resp_ip_bytes", zConnState: "conn_state", zLocalOrig: "local_orig",
	zLocalResp: "local_resp", zHistory: "history", zOrigPkts: "orig_pkts", zRespPkts: "resp_pkts",
	zService: "service", zIPProto: "ip_proto", zOrigBytes: "orig_bytes", zRespBytes: "resp_bytes",
}

// zeekConnParser parses Zeek conn.log. For the TSV form it follows the
// stream's headers: #separator, #unset_field, #empty_field, #path and
// #fields, whose column order it uses; zeek-cut's bare column-name line
// stands for #fields. JSON lines need no header.
//
// A JSON record whose _path is http (a mixed stream of Zeek's logs), and
// the lines of a TSV block under "#path http" (concatenated logs), are
// parsed as the zeek-http parser does and handed on in Extra, with
// ErrExtraOnly, so one stream fills network_events and http_events.
// Records of other Zeek logs are skipped, with the reason: a JSON record
// whose _path is not conn and that has no conn_state (a mixed stream), TSV
// lines under a #path other than conn whose #fields lack conn_state. So are records whose ts Zeek's
// test suite blanked out (XXXXXXXXXX.XXXXXX): they have no time to store.
type zeekConnParser struct {
	zeekTSV
	path      string
	notConn   error           // why the data lines under the last #fields are not conn records
	cols      [zCols]int      // column index of each field read, -1 if absent
	ncols     int             // number of #fields columns; 0 before #fields
	headerErr error           // why the last #fields header is unusable
	vals      [][]byte        // the current line's columns, reused
	strs      interner        // conn_state, history
	protos    interner        // proto -> IANA keyword
	rec       connFields      // the current line's values, reused
	extra     event.Extra     // the http records of a mixed stream
	http      *zeekHTTPParser // reads the http.log blocks of a concatenated TSV stream
	inHTTP    bool            // the lines since the last #path are http.log's
}

func newZeekConnParser() *zeekConnParser {
	return &zeekConnParser{
		zeekTSV: newZeekTSV(),
		strs:    newInterner(asIs),
		protos:  newInterner(protocol),
	}
}

// Extra implements ExtraParser: the http.log records of a mixed JSON
// stream.
func (p *zeekConnParser) Extra() *event.Extra { return &p.extra }

// Parse implements Parser.
func (p *zeekConnParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	line = bytes.TrimRight(line, "\r\n")
	if p.inHTTP && !bytes.HasPrefix(line, []byte("#path")) && !bytes.HasPrefix(line, []byte("#separator")) {
		return p.httpLine(line, ev)
	}
	switch {
	case isBlank(line):
		return ErrSkip
	case line[0] == '#':
		return p.header(line)
	case trimSpaces(line)[0] == '{':
		return p.parseJSON(trimSpaces(line), line, ev)
	}
	if i := badByte(line); i >= 0 {
		return fmt.Errorf("not a zeek line: binary data at byte %d", i)
	}
	if p.ncols == 0 && bareFieldsLine(line, p.sep) {
		return p.fieldsHeader(line)
	}
	if p.headerErr != nil {
		return p.headerErr
	}
	if p.ncols == 0 {
		return errZeekNoFields
	}
	if p.notConn != nil {
		return p.notConn
	}
	p.vals = splitSep(p.vals[:0], line, p.sep)
	if len(p.vals) != p.ncols {
		return fmt.Errorf("zeek line has %d fields, #fields has %d", len(p.vals), p.ncols)
	}
	f := &p.rec
	for i, c := range p.cols {
		var v []byte
		if c >= 0 {
			v = p.vals[c]
			if bytes.Equal(v, p.unset) || bytes.Equal(v, p.empty) {
				v = nil
			}
		}
		f[i] = v
	}
	return f.fill(ev, line, &p.strs, &p.protos)
}

// httpLine hands a line of an http.log block of a concatenated TSV stream
// to the http parser; its request comes out through Extra.
func (p *zeekConnParser) httpLine(line []byte, ev *event.Network) error {
	err := p.http.Parse(line, ev)
	p.extra.HTTP = append(p.extra.HTTP, p.http.extra.HTTP...)
	return err
}

// header reads a Zeek header line. Headers carry nothing to store, so a good
// one returns ErrSkip; a #fields header without the columns a connection
// needs is rejected, and so are the data lines after it.
func (p *zeekConnParser) header(line []byte) error {
	name, rest, done, err := p.zeekTSV.header(line)
	switch {
	case err != nil:
		return err
	case done:
	case name == "#path":
		p.path = string(rest)
		p.ncols, p.notConn, p.headerErr = 0, nil, nil // a new log: its #fields follow
		if p.inHTTP = p.path == "http"; p.inHTTP {
			if p.http == nil {
				p.http = newZeekHTTPParser()
			}
			p.http.zeekTSV = p.zeekTSV
			return p.http.header(line)
		}
	case name == "#fields":
		return p.fieldsHeader(rest)
	}
	return ErrSkip
}

func (p *zeekConnParser) fieldsHeader(rest []byte) error {
	p.ncols, p.headerErr = 0, nil
	for i := range p.cols {
		p.cols[i] = -1
	}
	names := splitSep(nil, rest, p.sep)
	for i, name := range names {
		for c, want := range zeekColumns {
			if string(name) == want && p.cols[c] < 0 {
				p.cols[c] = i
			}
		}
	}
	// Another log of a concatenated stream (x509, software, stats) need not
	// have a connection's columns: it is skipped, not rejected.
	if notConnLog(p.path, p.cols[zConnState] >= 0) {
		p.ncols = len(names)
		p.notConn = fmt.Errorf("zeek #path is %q, not conn: %w", quote([]byte(p.path)), ErrSkip)
		return p.notConn
	}
	for _, c := range [...]int{zTS, zOrigH, zRespH} {
		if p.cols[c] < 0 {
			p.headerErr = fmt.Errorf("zeek #fields header lacks %s", zeekColumns[c])
			return p.headerErr
		}
	}
	p.ncols = len(names)
	return ErrSkip
}

// notConnLog reports whether records of the log named path are not
// connections: the path is set and is not conn, and the records have no
// conn_state. A renamed conn log (conn_long, Corelight's conn_red) keeps
// conn_state. The TSV and JSON forms both decide by it.
func notConnLog(path string, connState bool) bool {
	return path != "" && path != "conn" && !connState
}

// bareFieldsLine reports whether line is zeek-cut's column-name line, the
// #fields header without its tag: its columns name both endpoints.
func bareFieldsLine(line, sep []byte) bool {
	var orig, resp bool
	for _, c := range splitSep(nil, line, sep) {
		orig = orig || string(c) == "id.orig_h"
		resp = resp || string(c) == "id.resp_h"
	}
	return orig && resp
}

// splitSep appends the sep-separated fields of b to dst.
func splitSep(dst [][]byte, b, sep []byte) [][]byte {
	for {
		i := bytes.Index(b, sep)
		if i < 0 {
			return append(dst, b)
		}
		dst = append(dst, b[:i])
		b = b[i+len(sep):]
	}
}

// unescapeZeek decodes the \xHH escapes of a #separator value.
func unescapeZeek(b []byte) ([]byte, bool) {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			out = append(out, b[i])
			continue
		}
		if i+3 >= len(b) || b[i+1] != 'x' {
			return nil, false
		}
		hi, ok1 := unhex(b[i+2])
		lo, ok2 := unhex(b[i+3])
		if !ok1 || !ok2 {
			return nil, false
		}
		out = append(out, hi<<4|lo)
		i += 3
	}
	return out, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
