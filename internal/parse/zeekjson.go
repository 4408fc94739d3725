package parse

import (
	"encoding/json"
	"fmt"

	"github.com/homesoc/homesoc/internal/event"
)

// zeekJSON is a conn.log record as Zeek's JSON writer emits it: unset fields
// are left out. Numbers stay json.Number, so counts beyond 2^53 and the
// microseconds of ts survive, and are parsed like the TSV columns.
type zeekJSON struct {
	TS          json.RawMessage `json:"ts"` // epoch seconds, or an ISO string
	UID         string          `json:"uid"`
	OrigH       *string         `json:"id.orig_h"`
	OrigP       json.Number     `json:"id.orig_p"`
	RespH       *string         `json:"id.resp_h"`
	RespP       json.Number     `json:"id.resp_p"`
	Proto       string          `json:"proto"`
	Duration    json.Number     `json:"duration"`
	Path        *string         `json:"_path"` // in a stream of several logs
	Service     string          `json:"service"`
	OrigIPBytes json.Number     `json:"orig_ip_bytes"`
	RespIPBytes json.Number     `json:"resp_ip_bytes"`
	OrigBytes   json.Number     `json:"orig_bytes"` // the fallback for orig_ip_bytes
	RespBytes   json.Number     `json:"resp_bytes"` // the fallback for resp_ip_bytes
	IPProto     json.Number     `json:"ip_proto"`
	ConnState   string          `json:"conn_state"`
	LocalOrig   *bool           `json:"local_orig"`
	LocalResp   *bool           `json:"local_resp"`
	History     string          `json:"history"`
	OrigPkts    json.Number     `json:"orig_pkts"`
	RespPkts    json.Number     `json:"resp_pkts"`
}

// parseJSON parses a JSON conn record; obj is the trimmed line.
func (p *zeekConnParser) parseJSON(obj, line []byte, ev *event.Network) error {
	var r zeekJSON
	if err := json.Unmarshal(obj, &r); err != nil {
		return fmt.Errorf("bad zeek JSON: %w", err)
	}
	if r.Path != nil && *r.Path == "http" {
		return zeekHTTPJSON(obj, line, &p.strs, &p.extra)
	}
	if r.Path != nil && notConnLog(*r.Path, r.ConnState != "") {
		return fmt.Errorf("zeek record of the %q log, not conn: %w", quote([]byte(*r.Path)), ErrSkip)
	}
	f := &p.rec
	*f = connFields{}
	switch {
	case len(r.TS) == 0 || string(r.TS) == "null":
	case r.TS[0] == '"':
		var s string
		if err := json.Unmarshal(r.TS, &s); err != nil {
			return fmt.Errorf("bad ts %s", quote(r.TS))
		}
		f[zTS] = []byte(s)
	default:
		f[zTS] = r.TS
	}
	f[zUID] = text(r.UID)
	if r.OrigH != nil {
		f[zOrigH] = []byte(*r.OrigH)
	}
	if r.RespH != nil {
		f[zRespH] = []byte(*r.RespH)
	}
	f[zOrigP] = text(string(r.OrigP))
	f[zRespP] = text(string(r.RespP))
	f[zProto] = text(r.Proto)
	f[zDuration] = text(string(r.Duration))
	f[zOrigIPBytes] = text(string(r.OrigIPBytes))
	f[zRespIPBytes] = text(string(r.RespIPBytes))
	f[zOrigBytes] = text(string(r.OrigBytes))
	f[zRespBytes] = text(string(r.RespBytes))
	f[zService] = text(r.Service)
	f[zIPProto] = text(string(r.IPProto))
	f[zConnState] = text(r.ConnState)
	f[zLocalOrig] = boolText(r.LocalOrig)
	f[zLocalResp] = boolText(r.LocalResp)
	f[zHistory] = text(r.History)
	f[zOrigPkts] = text(string(r.OrigPkts))
	f[zRespPkts] = text(string(r.RespPkts))
	return f.fill(ev, line, &p.strs, &p.protos)
}

// text returns s as bytes, nil when empty (unset).
func text(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// boolText renders a JSON boolean as Zeek's TSV does.
func boolText(b *bool) []byte {
	switch {
	case b == nil:
		return nil
	case *b:
		return []byte("T")
	}
	return []byte("F")
}
