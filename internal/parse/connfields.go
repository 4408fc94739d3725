package parse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// connFields holds one Zeek connection's values as text, indexed by the z*
// column constants; nil means unset. The TSV and JSON forms both fill it, so
// they map to events the same way.
type connFields [zCols][]byte

// maxEpoch is the last second of year 9999, the latest time stores keep.
const maxEpoch = 253402300799

// maxDuration bounds a flow's duration (about 68 years): anything longer is
// corrupt, and would overflow time.Duration.
const maxDuration = 1 << 31

// fill maps the values to ev. line is the whole input line, hashed for the
// ID when the record has no uid; strs and protos intern the text columns.
func (f *connFields) fill(ev *event.Network, line []byte, strs, protos *interner) error {
	if f[zTS] == nil {
		return errors.New("missing ts")
	}
	t, ok := epochOrISO(f[zTS])
	if !ok {
		if redacted(f[zTS]) {
			return fmt.Errorf("zeek ts %q is blanked out (a test baseline): no time to store: %w", quote(f[zTS]), ErrSkip)
		}
		return fmt.Errorf("bad ts %q", quote(f[zTS]))
	}
	var err error
	if ev.SrcIP, err = connAddr(f[zOrigH], "id.orig_h"); err != nil {
		return err
	}
	if ev.DstIP, err = connAddr(f[zRespH], "id.resp_h"); err != nil {
		return err
	}
	var n [4]uint64
	for i, c := range [...]int{zOrigP, zRespP} {
		if n[i], err = connUint(f[c], c, 65535); err != nil {
			return err
		}
	}
	ev.SrcPort, ev.DstPort = uint16(n[0]), uint16(n[1])
	// orig_bytes and resp_bytes (payload) stand in for unset IP-level counts:
	// see zeekColumns.
	for i, c := range [...]int{zOrigIPBytes, zRespIPBytes, zOrigPkts, zRespPkts} {
		switch {
		case f[c] != nil:
		case c == zOrigIPBytes:
			c = zOrigBytes
		case c == zRespIPBytes:
			c = zRespBytes
		}
		if n[i], err = connUint(f[c], c, math.MaxUint64); err != nil {
			return err
		}
	}
	ev.BytesOut, ev.BytesIn, ev.PacketsOut, ev.PacketsIn = n[0], n[1], n[2], n[3]
	if d := f[zDuration]; d != nil {
		secs, ok := seconds(d)
		if !ok {
			return fmt.Errorf("bad duration %q", quote(d))
		}
		ev.DurationS = secs
		ev.EndTime = event.SecondsUTC(t.Add(time.Duration(secs * float64(time.Second))))
	}
	ev.Time = event.SecondsUTC(t)
	ev.ID = connID(f[zUID], t, line)
	ev.Kind = event.KindFlow
	ev.Format = zeekConnName
	ev.Protocol = protos.get(f[zProto])
	if ev.Protocol == "" && f[zIPProto] != nil { // unknown_transport: named by its number
		if _, err := connUint(f[zIPProto], zIPProto, 255); err != nil {
			return err
		}
		ev.Protocol = protos.get(f[zIPProto])
	}
	if ev.Protocol == "icmp" {
		// Zeek logs ICMP's type as orig_p and its code as resp_p, and
		// calls ICMPv6 icmp too.
		ev.ICMPType, ev.ICMPCode = uint8(ev.SrcPort), uint8(ev.DstPort)
		ev.SrcPort, ev.DstPort = 0, 0
		if ev.SrcIP.Is6() && !ev.SrcIP.Is4In6() {
			ev.Protocol = "ipv6-icmp"
		}
	}
	ev.FlowUID = strs.get(f[zUID])
	ev.Service = strs.get(f[zService])
	ev.Status = strs.get(f[zConnState])
	ev.Action = connAction(ev.Status)
	ev.TCPFlags = strs.get(f[zHistory])
	ev.Direction = connDirection(f[zLocalOrig], f[zLocalResp])
	return nil
}

// redacted reports whether a ts is Zeek's test-suite placeholder,
// XXXXXXXXXX.XXXXXX.
func redacted(ts []byte) bool {
	return len(bytes.Trim(ts, "X.")) == 0 && bytes.IndexByte(ts, 'X') >= 0
}

// connAction maps a Zeek conn_state to an action:
//
//	REJ            -> reject  (the SYN was answered by a RST)
//	S0, SH, RSTOS0 -> attempt (the originator tried; no reply was seen)
//	anything else  -> allow   (a reply was seen, so the traffic got through)
func connAction(state string) string {
	switch state {
	case "REJ":
		return "reject"
	case "S0", "SH", "RSTOS0":
		return "attempt"
	}
	return "allow"
}

// connDirection maps Zeek's local_orig and local_resp (T or F) to a
// direction; without both it is unknown.
func connDirection(orig, resp []byte) string {
	o, ok1 := zeekBool(orig)
	r, ok2 := zeekBool(resp)
	switch {
	case !ok1 || !ok2:
		return event.DirUnknown
	case o && r:
		return event.DirInternal
	case o:
		return event.DirOutbound
	case r:
		return event.DirInbound
	}
	return event.DirExternal
}

// zeekBool parses Zeek's T and F.
func zeekBool(b []byte) (v, ok bool) {
	switch string(b) {
	case "T":
		return true, true
	case "F":
		return false, true
	}
	return false, false
}

// connID hashes the uid with the start time: a uid is unique per connection
// only within a Zeek run, the start time makes it unique across runs. The
// time is hashed as a number, so the TSV and JSON forms of one record agree.
func connID(uid []byte, t time.Time, line []byte) event.ID {
	if len(uid) == 0 {
		return event.NewID(zeekConnName, line)
	}
	var buf [64]byte
	key := append(buf[:0], uid...)
	key = binary.BigEndian.AppendUint64(append(key, 0), uint64(t.Unix()))
	key = binary.BigEndian.AppendUint32(key, uint32(t.Nanosecond()))
	return event.NewID(zeekConnName, key)
}

// connAddr parses a required address column.
func connAddr(b []byte, name string) (a netip.Addr, err error) {
	if b == nil {
		return a, fmt.Errorf("missing %s", name)
	}
	a, ok := parseAddr(b)
	if !ok {
		return a, fmt.Errorf("bad %s address %q", name, quote(b))
	}
	return a, nil
}

// connUint parses an optional count column.
func connUint(b []byte, col int, max uint64) (uint64, error) {
	if b == nil {
		return 0, nil
	}
	n, ok := parseUint(b, max)
	if !ok {
		return 0, fmt.Errorf("bad %s %q", zeekColumns[col], quote(b))
	}
	return n, nil
}

// epochOrISO parses a time given as epoch seconds ("1700000000.123456") or
// as RFC 3339 text, as Zeek writes it with JSON::TS_ISO8601.
func epochOrISO(b []byte) (time.Time, bool) {
	if sec, nsec, ok := decimal(b); ok {
		if sec > maxEpoch {
			return time.Time{}, false
		}
		return time.Unix(sec, nsec).UTC(), true
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil || t.Year() < 1970 {
		return time.Time{}, false
	}
	return t, true
}

// seconds parses a non-negative duration in seconds, exactly for the plain
// decimals Zeek writes and through strconv for exponent forms.
func seconds(b []byte) (float64, bool) {
	if sec, nsec, ok := decimal(b); ok {
		if sec > maxDuration {
			return 0, false
		}
		return float64(sec) + float64(nsec)/1e9, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || !(f >= 0 && f <= maxDuration) { // also rejects NaN
		return 0, false
	}
	return f, true
}

// decimal parses "123" or "123.456789" into whole seconds and nanoseconds;
// digits past the ninth decimal are dropped.
func decimal(b []byte) (sec, nsec int64, ok bool) {
	i := 0
	for ; i < len(b) && isDigit(b[i]); i++ {
		if i == 12 { // past year 9999 anyway
			return 0, 0, false
		}
		sec = sec*10 + int64(b[i]-'0')
	}
	if i == 0 {
		return 0, 0, false
	}
	if i == len(b) {
		return sec, 0, true
	}
	if b[i] != '.' || i+1 == len(b) {
		return 0, 0, false
	}
	scale := int64(100_000_000)
	for _, c := range b[i+1:] {
		if !isDigit(c) {
			return 0, 0, false
		}
		nsec += int64(c-'0') * scale
		scale /= 10
	}
	return sec, nsec, true
}
