package parse

import "bytes"

// fortiField names a FortiGate field the parser reads; the scanner keeps
// each one's value and ignores every other key.
type fortiField uint8

const (
	ffDate fortiField = iota
	ffTime
	ffEventTime
	ffTZ
	ffDevName
	ffLogID
	ffFortiWebLogID // log_id=: FortiWeb, whose traffic logs share type=traffic
	ffType
	ffSubtype
	ffAction
	ffSrcIP
	ffSrcPort
	ffDstIP
	ffDstPort
	ffProto
	ffDuration
	ffSentByte
	ffRcvdByte
	ffSentPkt
	ffRcvdPkt
	ffTransIP // SNAT: the source's translated address
	ffTranIP  // DNAT: the destination's translated address
	ffPolicyID
	ffPolicyName
	ffSrcIntf
	ffDstIntf
	ffSrcIntfRole
	ffDstIntfRole
	ffUser
	ffGroup
	ffXAuthUser
	ffXAuthGroup
	ffVPNTunnel
	ffRemIP
	ffRemPort
	ffTunnelIP
	ffAssignIP
	ffTunnelID
	ffTunnelType
	ffReason
	ffSrcName
	ffSrcMAC
	ffDstMAC
	nFortiFields
)

// fortiKey maps a key to its field; ok is false for keys the parser does not
// read. A switch on string(key) compiles to a comparison tree and does not
// allocate.
func fortiKey(key []byte) (fortiField, bool) {
	switch string(key) {
	case "date":
		return ffDate, true
	case "time":
		return ffTime, true
	case "eventtime":
		return ffEventTime, true
	case "tz":
		return ffTZ, true
	case "devname":
		return ffDevName, true
	case "logid":
		return ffLogID, true
	case "log_id":
		return ffFortiWebLogID, true
	case "type":
		return ffType, true
	case "subtype":
		return ffSubtype, true
	case "action":
		return ffAction, true
	case "srcip":
		return ffSrcIP, true
	case "srcport":
		return ffSrcPort, true
	case "dstip":
		return ffDstIP, true
	case "dstport":
		return ffDstPort, true
	case "proto":
		return ffProto, true
	case "duration":
		return ffDuration, true
	case "sentbyte":
		return ffSentByte, true
	case "rcvdbyte":
		return ffRcvdByte, true
	case "sentpkt":
		return ffSentPkt, true
	case "rcvdpkt":
		return ffRcvdPkt, true
	case "transip":
		return ffTransIP, true
	case "tranip":
		return ffTranIP, true
	case "policyid":
		return ffPolicyID, true
	case "policyname":
		return ffPolicyName, true
	case "srcintf":
		return ffSrcIntf, true
	case "dstintf":
		return ffDstIntf, true
	case "srcintfrole":
		return ffSrcIntfRole, true
	case "dstintfrole":
		return ffDstIntfRole, true
	case "user":
		return ffUser, true
	case "group":
		return ffGroup, true
	case "xauthuser":
		return ffXAuthUser, true
	case "xauthgroup":
		return ffXAuthGroup, true
	case "vpntunnel":
		return ffVPNTunnel, true
	case "remip":
		return ffRemIP, true
	case "remport":
		return ffRemPort, true
	case "tunnelip":
		return ffTunnelIP, true
	case "assignip":
		return ffAssignIP, true
	case "tunnelid":
		return ffTunnelID, true
	case "tunneltype":
		return ffTunnelType, true
	case "reason":
		return ffReason, true
	case "srcname":
		return ffSrcName, true
	case "srcmac":
		return ffSrcMAC, true
	case "dstmac":
		return ffDstMAC, true
	}
	return 0, false
}

// fortiFields holds the values of one line's fields, as sub-slices of the
// line (quotes removed, escapes left as written). A nil value is a field the
// line does not have; the first occurrence of a key wins.
type fortiFields struct {
	vals [nFortiFields][]byte
}

// get returns a field's value; an empty value and "N/A" (FortiGate's
// "none") read as absent (nil).
func (f *fortiFields) get(k fortiField) []byte {
	v := f.vals[k]
	if len(v) == 0 {
		return nil
	}
	if len(v) == 3 && v[0] == 'N' && v[1] == '/' && v[2] == 'A' {
		return nil
	}
	return v
}

// scan reads the key=value pairs of body, separated by spaces or (in the
// comma-delimited output of some FortiOS versions) commas. A value in
// double quotes runs to the closing quote, a backslash escaping the byte
// after it; a bare value runs to the next separator. It returns false when
// a quoted value is not closed: the line was cut.
func (f *fortiFields) scan(body []byte) bool {
	*f = fortiFields{}
	i, n := 0, len(body)
	for i < n {
		// A key is a few bytes after the last value's separator: a byte
		// loop finds its '=' sooner than a call to bytes.IndexByte and a
		// scan back over it would. Bare words before a key are not
		// fields: a separator restarts the key.
		ks := i
		for i < n && body[i] != '=' {
			if c := body[i]; c == ' ' || c == ',' || c == '\t' {
				ks = i + 1
			}
			i++
		}
		if i == n {
			break
		}
		key := body[ks:i]
		i++
		var val []byte
		if i < n && body[i] == '"' {
			i++
			vs := i
			for { // quoted text is most of a line: bytes.IndexByte skips it fast
				q := bytes.IndexByte(body[i:], '"')
				if q < 0 {
					return false
				}
				i += q
				bs := 0
				for k := i - 1; k >= vs && body[k] == '\\'; k-- {
					bs++
				}
				if bs%2 == 0 { // not escaped
					break
				}
				i++
			}
			val = body[vs:i:i]
			i++
		} else {
			vs := i
			for i < n && body[i] != ' ' && body[i] != ',' {
				i++
			}
			val = body[vs:i:i]
		}
		if k, ok := fortiKey(key); ok && f.vals[k] == nil {
			f.vals[k] = val
		}
	}
	return true
}

// fortiBodyStart returns the offset of the first key=value pair of line,
// past any syslog header (which has no '=' in its words), or -1. A key is
// lower-case letters, digits and '_' (FortiGate's keys), so CEF's
// "FTNTFGTlogid=" or a header word with '=' is not taken for one.
func fortiBodyStart(line []byte) int {
	ws := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == ',':
			ws = i + 1
		case c == '=':
			if i > ws {
				return ws
			}
			ws = i + 1
		case 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_':
		default:
			// not a key byte: skip to the end of this word
			for i+1 < len(line) && line[i+1] != ' ' {
				i++
			}
			ws = i + 2
		}
	}
	return -1
}
