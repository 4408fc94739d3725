package parse

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// zeekHTTPName is the registered name of the Zeek http.log format.
const zeekHTTPName = "zeek-http"

func init() {
	Register(Format{
		Name:        zeekHTTPName,
		Description: "Zeek http.log, tab-separated with #fields headers or JSON lines",
		New:         func(Options) Parser { return newZeekHTTPParser() },
		Sniff:       sniffZeekHTTP,
	})
}

// sniffZeekHTTP matches the lines of a Zeek http.log that no other log
// has: #path http, #fields with status_code, a #types line without conn's
// interval, TSV data lines of http.log's shape (test baselines' blanked ts
// too), and JSON records of a request that name no _path. A JSON stream
// with _path is a mixed stream of several logs: the zeek-conn parser takes
// it and hands its http records on. The headers every Zeek log has count
// for zeek-conn (they must, to detect a conn.log), so an http.log needs four
// requests among its first lines to be detected; with fewer it ties.
func sniffZeekHTTP(line []byte) bool {
	line = trimSpaces(line)
	switch {
	case len(line) == 0:
		return false
	case line[0] == '{':
		return bytes.Contains(line, []byte(`"id.orig_h"`)) && zeekHTTPJSONLike(line) &&
			!bytes.Contains(line, []byte(`"_path"`))
	case line[0] == '#':
		return bytes.HasPrefix(line, []byte("#path")) && bytes.HasSuffix(line, []byte("http")) ||
			bytes.HasPrefix(line, []byte("#fields")) && bytes.Contains(line, []byte("status_code")) ||
			bytes.HasPrefix(line, []byte("#types")) && !bytes.Contains(line, []byte("interval")) &&
				bytes.Contains(line, []byte("time")) && bytes.Contains(line, []byte("addr"))
	}
	ts, rest, _ := bytes.Cut(line, []byte("\t"))
	uid, _, _ := bytes.Cut(rest, []byte("\t"))
	if _, _, ok := decimal(ts); !ok && !redacted(ts) {
		return false
	}
	return len(uid) > 1 && uid[0] == 'C' && zeekHTTPDataLine(line)
}

// zeekHTTPJSONLike reports whether a JSON line holds an HTTP request's
// fields rather than a connection's.
func zeekHTTPJSONLike(line []byte) bool {
	return bytes.Contains(line, []byte(`"trans_depth"`)) || bytes.Contains(line, []byte(`"status_code"`)) ||
		bytes.Contains(line, []byte(`"method"`)) && bytes.Contains(line, []byte(`"uri"`))
}

// The http.log columns the parser reads.
const (
	hTS = iota
	hUID
	hOrigH
	hOrigP
	hRespH
	hRespP
	hMethod
	hHost
	hURI
	hReferrer
	hUserAgent
	hReqLen
	hRespLen
	hStatus
	hMime
	hUser
	hDepth
	hCols
)

var zeekHTTPColumns = [hCols]string{
	hTS: "ts", hUID: "uid", hOrigH: "id.orig_h", hOrigP: "id.orig_p", hRespH: "id.resp_h",
	hRespP: "id.resp_p", hMethod: "method", hHost: "host", hURI: "uri", hReferrer: "referrer",
	hUserAgent: "user_agent", hReqLen: "request_body_len", hRespLen: "response_body_len",
	hStatus: "status_code", hMime: "resp_mime_types", hUser: "username", hDepth: "trans_depth",
}

// httpFields holds one http.log record's values as text, indexed by the h*
// constants; nil means unset. TSV and JSON both fill it.
type httpFields [hCols][]byte

// zeekHTTPParser parses Zeek's http.log (TSV, by its #fields header, or
// JSON lines) into event.HTTP records in Extra; Parse returns ErrExtraOnly.
// Records of other logs (a #path or _path other than http) are skipped, so
// are records whose ts Zeek's test suite blanked out.
type zeekHTTPParser struct {
	zeekTSV
	path      string
	cols      [hCols]int
	ncols     int
	headerErr error
	notHTTP   error
	vals      [][]byte
	rec       httpFields
	strs      interner
	extra     event.Extra
}

func newZeekHTTPParser() *zeekHTTPParser {
	return &zeekHTTPParser{
		zeekTSV: newZeekTSV(),
		strs:    newInterner(asIs),
	}
}

// Extra implements ExtraParser.
func (p *zeekHTTPParser) Extra() *event.Extra { return &p.extra }

// Parse implements Parser.
func (p *zeekHTTPParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	line = bytes.TrimRight(line, "\r\n")
	switch {
	case isBlank(line):
		return ErrSkip
	case line[0] == '#':
		return p.header(line)
	case trimSpaces(line)[0] == '{':
		return zeekHTTPJSON(trimSpaces(line), line, &p.strs, &p.extra)
	}
	if i := badByte(line); i >= 0 {
		return fmt.Errorf("not a zeek line: binary data at byte %d", i)
	}
	if p.headerErr != nil {
		return p.headerErr
	}
	if p.ncols == 0 {
		return errZeekNoFields
	}
	if p.notHTTP != nil {
		return p.notHTTP
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
	if m := f[hMime]; m != nil {
		if i := bytes.Index(m, p.setSep); i >= 0 {
			f[hMime] = m[:i]
		}
	}
	return f.add(line, &p.strs, &p.extra)
}

// header reads a Zeek header line; headers carry nothing to store.
func (p *zeekHTTPParser) header(line []byte) error {
	name, rest, done, err := p.zeekTSV.header(line)
	switch {
	case err != nil:
		return err
	case done:
	case name == "#path":
		p.path = string(rest)
		p.ncols, p.notHTTP, p.headerErr = 0, nil, nil
	case name == "#fields":
		return p.fieldsHeader(rest)
	}
	return ErrSkip
}

func (p *zeekHTTPParser) fieldsHeader(rest []byte) error {
	p.ncols, p.headerErr, p.notHTTP = 0, nil, nil
	for i := range p.cols {
		p.cols[i] = -1
	}
	names := splitSep(nil, rest, p.sep)
	for i, name := range names {
		for c, want := range zeekHTTPColumns {
			if string(name) == want && p.cols[c] < 0 {
				p.cols[c] = i
			}
		}
	}
	p.ncols = len(names)
	if p.path != "" && p.path != "http" && p.cols[hMethod] < 0 {
		p.notHTTP = fmt.Errorf("zeek #path is %q, not http: %w", quote([]byte(p.path)), ErrSkip)
		return p.notHTTP
	}
	for _, c := range [...]int{hTS, hOrigH, hRespH} {
		if p.cols[c] < 0 {
			p.headerErr = fmt.Errorf("zeek #fields header lacks %s", zeekHTTPColumns[c])
			return p.headerErr
		}
	}
	return ErrSkip
}

// zeekHTTPRecord is an http.log record as Zeek's JSON writer emits it.
type zeekHTTPRecord struct {
	TS        json.RawMessage `json:"ts"`
	UID       string          `json:"uid"`
	OrigH     *string         `json:"id.orig_h"`
	OrigP     json.Number     `json:"id.orig_p"`
	RespH     *string         `json:"id.resp_h"`
	RespP     json.Number     `json:"id.resp_p"`
	Path      *string         `json:"_path"`
	Method    string          `json:"method"`
	Host      string          `json:"host"`
	URI       string          `json:"uri"`
	Referrer  string          `json:"referrer"`
	UserAgent string          `json:"user_agent"`
	ReqLen    json.Number     `json:"request_body_len"`
	RespLen   json.Number     `json:"response_body_len"`
	Status    json.Number     `json:"status_code"`
	Mime      []string        `json:"resp_mime_types"`
	Username  string          `json:"username"`
	Depth     json.Number     `json:"trans_depth"`
}

// zeekHTTPJSON parses one JSON http record (obj is the trimmed line) and
// appends it to extra. The zeek-conn parser calls it for the _path http
// records of a mixed stream.
func zeekHTTPJSON(obj, line []byte, strs *interner, extra *event.Extra) error {
	var r zeekHTTPRecord
	if err := json.Unmarshal(obj, &r); err != nil {
		return fmt.Errorf("bad zeek JSON: %w", err)
	}
	if r.Path != nil && *r.Path != "http" {
		return fmt.Errorf("zeek record of the %q log, not http: %w", quote([]byte(*r.Path)), ErrSkip)
	}
	var f httpFields
	switch {
	case len(r.TS) == 0 || string(r.TS) == "null":
	case r.TS[0] == '"':
		var s string
		if err := json.Unmarshal(r.TS, &s); err != nil {
			return fmt.Errorf("bad ts %s", quote(r.TS))
		}
		f[hTS] = []byte(s)
	default:
		f[hTS] = r.TS
	}
	if r.OrigH != nil {
		f[hOrigH] = []byte(*r.OrigH)
	}
	if r.RespH != nil {
		f[hRespH] = []byte(*r.RespH)
	}
	f[hUID] = text(r.UID)
	f[hOrigP] = text(string(r.OrigP))
	f[hRespP] = text(string(r.RespP))
	f[hMethod] = text(r.Method)
	f[hHost] = text(r.Host)
	f[hURI] = text(r.URI)
	f[hReferrer] = text(r.Referrer)
	f[hUserAgent] = text(r.UserAgent)
	f[hReqLen] = text(string(r.ReqLen))
	f[hRespLen] = text(string(r.RespLen))
	f[hStatus] = text(string(r.Status))
	if len(r.Mime) > 0 {
		f[hMime] = text(r.Mime[0])
	}
	f[hUser] = text(r.Username)
	f[hDepth] = text(string(r.Depth))
	return f.add(line, strs, extra)
}

// add maps the values to an event.HTTP appended to extra, and returns
// ErrExtraOnly.
func (f *httpFields) add(line []byte, strs *interner, extra *event.Extra) error {
	if f[hTS] == nil {
		return fmt.Errorf("missing ts")
	}
	t, ok := epochOrISO(f[hTS])
	if !ok {
		if redacted(f[hTS]) {
			return fmt.Errorf("zeek ts %q is blanked out (a test baseline): no time to store: %w", quote(f[hTS]), ErrSkip)
		}
		return fmt.Errorf("bad ts %q", quote(f[hTS]))
	}
	var h event.HTTP
	var err error
	if h.SrcIP, err = connAddr(f[hOrigH], "id.orig_h"); err != nil {
		return err
	}
	if h.DstIP, err = connAddr(f[hRespH], "id.resp_h"); err != nil {
		return err
	}
	var n [5]uint64
	for i, c := range [...]int{hOrigP, hRespP, hReqLen, hRespLen, hStatus} {
		max := uint64(math.MaxUint64)
		switch c {
		case hOrigP, hRespP:
			max = math.MaxUint16
		case hStatus:
			max = 999
		}
		if f[c] == nil {
			continue
		}
		var ok bool
		if n[i], ok = parseUint(f[c], max); !ok {
			return fmt.Errorf("bad %s %q", zeekHTTPColumns[c], quote(f[c]))
		}
	}
	h.SrcPort, h.DstPort = uint16(n[0]), uint16(n[1])
	h.BytesOut, h.BytesIn, h.Status = n[2], n[3], int(n[4])
	h.Time = event.SecondsUTC(t)
	h.Method = strs.get(f[hMethod])
	h.Host = string(f[hHost])
	switch uri := f[hURI]; {
	case uri == nil:
	case f[hHost] == nil || bytes.Contains(uri, []byte("://")):
		h.URL = string(uri)
	default:
		h.URL = h.Host + string(uri)
	}
	h.Referrer = string(f[hReferrer])
	h.UserAgent = strs.get(f[hUserAgent])
	h.ContentType = strs.get(f[hMime])
	h.User = strs.get(f[hUser])
	h.FlowUID = string(f[hUID])
	h.Format = zeekHTTPName
	h.Raw = string(line)
	h.ID = httpID(f, t, line)
	extra.HTTP = append(extra.HTTP, h)
	return ErrExtraOnly
}

// httpID is a request's identity: its connection's uid, its time and its
// place in the connection (trans_depth: pipelined requests share uid and
// ts), so a request seen in a TSV and a JSON log is stored once; a record
// without a uid is identified by its line.
func httpID(f *httpFields, t time.Time, line []byte) event.ID {
	if f[hUID] == nil {
		return event.NewID(zeekHTTPName, trimSpaces(line))
	}
	b := make([]byte, 0, 64)
	b = append(b, f[hUID]...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
	b = append(b, f[hDepth]...)
	return event.NewID(zeekHTTPName, b)
}
