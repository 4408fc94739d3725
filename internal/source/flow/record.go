package flow

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/parse"
	"github.com/homesoc/homesoc/internal/source"
)

// IPFIX information elements (and NetFlow v9 field types, which share the
// numbers below 128) that a record maps.
const (
	ieOctetDelta       = 1
	iePacketDelta      = 2
	ieProtocol         = 4
	ieTCPFlags         = 6
	ieSrcPort          = 7
	ieSrcIPv4          = 8
	ieIngressIf        = 10
	ieDstPort          = 11
	ieDstIPv4          = 12
	ieEgressIf         = 14
	ieEndSysUpTime     = 21
	ieStartSysUpTime   = 22
	iePostOctetDelta   = 23
	iePostPacketDelta  = 24
	ieSrcIPv6          = 27
	ieDstIPv6          = 28
	ieICMPTypeCodeV4   = 32
	ieMinTTL           = 52
	ieFragmentID       = 54
	ieSrcMAC           = 56
	iePostDstMAC       = 57
	ieDstMAC           = 80
	iePostSrcMAC       = 81
	ieOctetTotal       = 85
	iePacketTotal      = 86
	ieFlowEndReason    = 136
	ieICMPTypeCodeV6   = 139
	ieFlowID           = 148
	ieStartSeconds     = 150
	ieEndSeconds       = 151
	ieStartMillis      = 152
	ieEndMillis        = 153
	ieStartMicros      = 154
	ieEndMicros        = 155
	ieStartNanos       = 156
	ieEndNanos         = 157
	ieStartDeltaMicros = 158
	ieEndDeltaMicros   = 159
	ieSystemInitMillis = 160
	ieICMPTypeV4       = 176
	ieICMPCodeV4       = 177
	ieICMPTypeV6       = 178
	ieICMPCodeV6       = 179
	ieIPTTL            = 192
	iePostNATSrcIPv4   = 225
	iePostNATDstIPv4   = 226
	iePostNAPTSrcPort  = 227
	iePostNAPTDstPort  = 228
	ieInitiatorOctets  = 231
	ieResponderOctets  = 232
	ieFirewallEvent    = 233
	iePostNATSrcIPv6   = 281
	iePostNATDstIPv6   = 282
	ieInitiatorPackets = 298
	ieResponderPackets = 299
	ieObservationMs    = 323
	nselFwExtEvent     = 33002 // Cisco ASA NF_F_FW_EXT_EVENT (NetFlow v9)
	nselUsername       = 40000 // Cisco ASA NF_F_USERNAME (NetFlow v9)
	nselXlateSrcIPv4   = 40001 // older ASA: NF_F_XLATE_SRC_ADDR_IPV4
	nselXlateDstIPv4   = 40002
	nselFwEvent        = 40005 // older ASA: NF_F_FW_EVENT
)

// nselNames are Cisco ASA's (NSEL) NetFlow v9 field types above IPFIX's.
var nselNames = map[uint16]string{
	33000: "NF_F_INGRESS_ACL_ID", 33001: "NF_F_EGRESS_ACL_ID", nselFwExtEvent: "NF_F_FW_EXT_EVENT",
	nselUsername: "NF_F_USERNAME", nselXlateSrcIPv4: "NF_F_XLATE_SRC_ADDR_IPV4", nselXlateDstIPv4: "NF_F_XLATE_DST_ADDR_IPV4",
	40003: "NF_F_XLATE_SRC_PORT", 40004: "NF_F_XLATE_DST_PORT", nselFwEvent: "NF_F_FW_EVENT",
}

// ntpEpoch is the NTP era's offset from the Unix epoch, in seconds.
const ntpEpoch = 2208988800

// ieNames are the IPFIX names of the elements below 512, the keys of a
// record's text; the rest are ie<N> or e<PEN>.<N>.
var ieNames = func() (names [512]string) {
	for i := range names {
		n := netflow.IPFIXTypeToString(uint16(i))
		if n == "" || strings.ContainsAny(n, " =") {
			n = "ie" + strconv.Itoa(i)
		}
		names[i] = n
	}
	return names
}()

// firewallEvents names firewallEvent's (NF_F_FW_EVENT's) values; the
// action is allow but for a denied flow.
var firewallEvents = [...]string{0: "ignore", 1: "flow-created", 2: "flow-deleted", 3: "flow-denied", 4: "flow-alert", 5: "flow-updated"}

// flowEndReasons names flowEndReason's values.
var flowEndReasons = [...]string{1: "idle-timeout", 2: "active-timeout", 3: "end-of-flow", 4: "forced-end", 5: "lack-of-resources"}

// v5Record maps record i of a NetFlow v5 datagram.
func (e *exporter) v5Record(h *header, p *netflowlegacy.PacketNetFlowV5, i int, now time.Time) source.Record {
	r := &p.Records[i]
	ev := &event.Network{Kind: event.KindFlow, Format: FormatNetFlow, Sensor: e.sensor,
		Direction: event.DirUnknown, Action: "allow",
		SrcIP: v4(uint32(r.SrcAddr)), DstIP: v4(uint32(r.DstAddr)), SrcPort: r.SrcPort, DstPort: r.DstPort,
		BytesOut: uint64(r.DOctets), PacketsOut: uint64(r.DPkts),
		Protocol: parse.ProtocolName(r.Proto), TCPFlags: tcpFlags(r.Proto, r.TCPFlags),
		InIface: strconv.Itoa(int(r.Input)), OutIface: strconv.Itoa(int(r.Output))}
	exportMs := int64(p.UnixSecs)*1000 + int64(p.UnixNSecs/1e6)
	setTimes(ev, uptimeTime(exportMs, p.SysUptime, r.First), uptimeTime(exportMs, p.SysUptime, r.Last), h, now)
	icmpFromPort(ev)

	b := make([]byte, 0, 320)
	b = append(b, "v5 exporter="...)
	b = e.addr.AppendTo(b)
	b = appendKV(b, "engine", uint64(h.domain))
	b = appendKV(b, "seq", uint64(h.seq))
	b = appendKV(b, "uptime", uint64(p.SysUptime))
	b = appendKV(b, "unixSecs", uint64(p.UnixSecs))
	b = appendKV(b, "record", uint64(i))
	b = append(b, " sourceIPv4Address="...)
	b = ev.SrcIP.AppendTo(b)
	b = append(b, " destinationIPv4Address="...)
	b = ev.DstIP.AppendTo(b)
	b = append(b, " ipNextHopIPv4Address="...)
	b = v4(uint32(r.NextHop)).AppendTo(b)
	for _, kv := range [...]struct {
		k string
		v uint64
	}{
		{"ingressInterface", uint64(r.Input)}, {"egressInterface", uint64(r.Output)},
		{"packetDeltaCount", uint64(r.DPkts)}, {"octetDeltaCount", uint64(r.DOctets)},
		{"flowStartSysUpTime", uint64(r.First)}, {"flowEndSysUpTime", uint64(r.Last)},
		{"sourceTransportPort", uint64(r.SrcPort)}, {"destinationTransportPort", uint64(r.DstPort)},
		{"tcpControlBits", uint64(r.TCPFlags)}, {"protocolIdentifier", uint64(r.Proto)},
		{"ipClassOfService", uint64(r.Tos)}, {"bgpSourceAsNumber", uint64(r.SrcAS)},
		{"bgpDestinationAsNumber", uint64(r.DstAS)}, {"sourceIPv4PrefixLength", uint64(r.SrcMask)},
		{"destinationIPv4PrefixLength", uint64(r.DstMask)},
	} {
		b = appendKV(b, kv.k, kv.v)
	}
	return e.record(ev, b, h, i, now)
}

// record finishes ev with its text and id and wraps it.
func (e *exporter) record(ev *event.Network, line []byte, h *header, i int, now time.Time) source.Record {
	ev.Raw = string(line)
	var key [4 + 4 + 4 + 4 + 4]byte
	binary.BigEndian.PutUint32(key[0:], uint32(h.version))
	binary.BigEndian.PutUint32(key[4:], h.domain)
	binary.BigEndian.PutUint32(key[8:], h.unixSecs)
	binary.BigEndian.PutUint32(key[12:], h.seq)
	binary.BigEndian.PutUint32(key[16:], uint32(h.setIndex)<<16|uint32(i&0xffff))
	k := append(key[:], line...)
	ev.ID = event.NewID(ev.Format, k)
	return source.Record{Source: e.source, Format: ev.Format, Line: line, Event: ev, Received: now}
}

// dataSet maps the records of a v9 or IPFIX data set.
func (e *exporter) dataSet(h *header, tplID uint16, recs []netflow.DataRecord, now time.Time, out *[]source.Record) {
	for i := range recs {
		*out = append(*out, e.templatedRecord(h, tplID, recs[i].Values, i, now))
	}
}

// options keeps systemInitTimeMilliseconds from an options data record.
func (e *exporter) options(h *header, r netflow.OptionsDataRecord) {
	for _, f := range r.OptionsValues {
		if b, ok := f.Value.([]byte); ok && !f.PenProvided && f.Type == ieSystemInitMillis {
			if n, ok := uintOf(b); ok {
				e.initTime[uint64(h.version)<<32|uint64(h.domain)] = n
			}
		}
	}
}

// templatedRecord maps one v9 or IPFIX data record.
func (e *exporter) templatedRecord(h *header, tplID uint16, vals []netflow.DataField, i int, now time.Time) source.Record {
	format, tag := FormatNetFlow, "v9"
	if h.version == 10 {
		format, tag = FormatIPFIX, "ipfix"
	}
	ev := &event.Network{Kind: event.KindFlow, Format: format, Sensor: e.sensor,
		Direction: event.DirUnknown, Action: "allow"}
	b := make([]byte, 0, 64+len(vals)*24)
	b = append(b, tag...)
	b = append(b, " exporter="...)
	b = e.addr.AppendTo(b)
	b = appendKV(b, "domain", uint64(h.domain))
	b = appendKV(b, "seq", uint64(h.seq))
	if h.version == 9 {
		b = appendKV(b, "uptime", uint64(h.uptimeMs))
	}
	b = appendKV(b, "unixSecs", uint64(h.unixSecs))
	b = appendKV(b, "template", uint64(tplID))

	var t struct {
		start, end, startUp, endUp, init, observed, startDelta, endDelta int64
		hasStartUp, hasEndUp, hasInit, hasStartDelta, hasEndDelta        bool
	}
	var octets, packets, postOctets, postPackets, initOctets, initPackets uint64
	var hasOctets, hasPackets, hasInitOctets, hasInitPackets bool
	var proto, flags uint8
	var icmpTC, icmpType, icmpCode int = -1, -1, -1
	var natSrc, natDst netip.Addr
	fwEvent := -1
	var endReason uint64
	for _, f := range vals {
		v, _ := f.Value.([]byte)
		b = appendField(b, f, v)
		if f.PenProvided {
			continue
		}
		n, isUint := uintOf(v)
		switch f.Type {
		case ieOctetDelta, ieOctetTotal:
			octets, hasOctets = octets+n, true
		case iePacketDelta, iePacketTotal:
			packets, hasPackets = packets+n, true
		case iePostOctetDelta:
			postOctets = n
		case iePostPacketDelta:
			postPackets = n
		case ieInitiatorOctets:
			initOctets, hasInitOctets = n, true
		case ieInitiatorPackets:
			initPackets, hasInitPackets = n, true
		case ieResponderOctets:
			ev.BytesIn = n
		case ieResponderPackets:
			ev.PacketsIn = n
		case ieProtocol:
			proto = uint8(n)
		case ieTCPFlags:
			flags = uint8(n) // tcpControlBits may be 2 bytes: the low 8 are the flags
		case ieSrcPort:
			ev.SrcPort = uint16(n)
		case ieDstPort:
			ev.DstPort = uint16(n)
		case ieSrcIPv4, ieSrcIPv6:
			if a, ok := netip.AddrFromSlice(v); ok {
				ev.SrcIP = a
			}
		case ieDstIPv4, ieDstIPv6:
			if a, ok := netip.AddrFromSlice(v); ok {
				ev.DstIP = a
			}
		case iePostNATSrcIPv4, iePostNATSrcIPv6, nselXlateSrcIPv4:
			natSrc, _ = netip.AddrFromSlice(v)
		case iePostNATDstIPv4, iePostNATDstIPv6, nselXlateDstIPv4:
			natDst, _ = netip.AddrFromSlice(v)
		case ieIngressIf:
			if isUint {
				ev.InIface = strconv.FormatUint(n, 10)
			}
		case ieEgressIf:
			if isUint {
				ev.OutIface = strconv.FormatUint(n, 10)
			}
		case ieICMPTypeCodeV4, ieICMPTypeCodeV6:
			icmpTC = int(n & 0xffff)
		case ieICMPTypeV4, ieICMPTypeV6:
			icmpType = int(n & 0xff)
		case ieICMPCodeV4, ieICMPCodeV6:
			icmpCode = int(n & 0xff)
		case ieIPTTL, ieMinTTL:
			ev.TTL = uint8(n)
		case ieFragmentID:
			ev.IPID = uint16(n)
		case ieSrcMAC, iePostSrcMAC:
			if len(v) == 6 && ev.SrcMAC == "" {
				ev.SrcMAC = net.HardwareAddr(v).String()
			}
		case ieDstMAC, iePostDstMAC:
			if len(v) == 6 && ev.DstMAC == "" {
				ev.DstMAC = net.HardwareAddr(v).String()
			}
		case ieFlowID:
			if isUint {
				ev.FlowUID = strconv.FormatUint(n, 10)
			}
		case ieFirewallEvent, nselFwEvent:
			fwEvent = int(n & 0xff)
		case ieFlowEndReason:
			endReason = n
		case nselUsername:
			if h.version == 9 {
				ev.UserName = strings.TrimRight(string(v), "\x00")
			}
		case ieEndSysUpTime:
			t.endUp, t.hasEndUp = int64(n), true
		case ieStartSysUpTime:
			t.startUp, t.hasStartUp = int64(n), true
		case ieSystemInitMillis:
			t.init, t.hasInit = int64(n), true
		case ieStartSeconds:
			t.start = int64(n) * 1000
		case ieEndSeconds:
			t.end = int64(n) * 1000
		case ieStartMillis:
			t.start = int64(n)
		case ieEndMillis:
			t.end = int64(n)
		case ieStartMicros, ieStartNanos:
			t.start = ntpMillis(n)
		case ieEndMicros, ieEndNanos:
			t.end = ntpMillis(n)
		case ieStartDeltaMicros:
			t.startDelta, t.hasStartDelta = int64(n), true
		case ieEndDeltaMicros:
			t.endDelta, t.hasEndDelta = int64(n), true
		case ieObservationMs:
			t.observed = int64(n)
		}
	}

	ev.Protocol = parse.ProtocolName(proto)
	ev.TCPFlags = tcpFlags(proto, flags)
	switch {
	case hasInitOctets:
		ev.BytesOut = initOctets
	case hasOctets:
		ev.BytesOut = octets
	default:
		ev.BytesOut = postOctets
	}
	switch {
	case hasInitPackets:
		ev.PacketsOut = initPackets
	case hasPackets:
		ev.PacketsOut = packets
	default:
		ev.PacketsOut = postPackets
	}
	// The translated address is the side that changed: the source's for
	// outbound NAT, else the destination's.
	if natSrc.IsValid() && !natSrc.IsUnspecified() && natSrc != ev.SrcIP {
		ev.NATIP = natSrc
	} else if natDst.IsValid() && !natDst.IsUnspecified() && natDst != ev.DstIP {
		ev.NATIP = natDst
	}
	if fwEvent >= 0 {
		if fwEvent < len(firewallEvents) {
			ev.Status = firewallEvents[fwEvent]
		} else {
			ev.Status = "fw-event-" + strconv.Itoa(fwEvent)
		}
		if fwEvent == 3 {
			ev.Action = "deny"
		}
	} else if endReason > 0 && endReason < uint64(len(flowEndReasons)) {
		ev.Status = flowEndReasons[endReason]
	}
	if ev.Protocol == "icmp" || ev.Protocol == "ipv6-icmp" {
		switch {
		case icmpTC >= 0:
			ev.ICMPType, ev.ICMPCode = uint8(icmpTC>>8), uint8(icmpTC)
			ev.SrcPort, ev.DstPort = 0, 0
		case icmpType >= 0:
			ev.ICMPType, ev.ICMPCode = uint8(icmpType), uint8(max(icmpCode, 0))
			ev.SrcPort, ev.DstPort = 0, 0
		default:
			icmpFromPort(ev)
		}
	}

	// Times, in milliseconds since the epoch.
	exportMs := int64(h.unixSecs) * 1000
	if h.version == 9 {
		if t.start == 0 && t.hasStartUp {
			t.start = uptimeTime(exportMs, h.uptimeMs, uint32(t.startUp))
		}
		if t.end == 0 && t.hasEndUp {
			t.end = uptimeTime(exportMs, h.uptimeMs, uint32(t.endUp))
		}
	} else {
		init, ok := t.init, t.hasInit
		if !ok {
			init, ok = int64(e.initTime[uint64(h.version)<<32|uint64(h.domain)]), e.initTime[uint64(h.version)<<32|uint64(h.domain)] > 0
		}
		if ok {
			if t.start == 0 && t.hasStartUp {
				t.start = init + t.startUp
			}
			if t.end == 0 && t.hasEndUp {
				t.end = init + t.endUp
			}
		}
		if t.start == 0 && t.hasStartDelta {
			t.start = exportMs - t.startDelta/1000
		}
		if t.end == 0 && t.hasEndDelta {
			t.end = exportMs - t.endDelta/1000
		}
	}
	if t.start == 0 {
		t.start = t.observed
	}
	setTimes(ev, t.start, t.end, h, now)
	return e.record(ev, b, h, i, now)
}

// plausibleMs bounds the times a record may carry: from 1990 to a day
// after it was received. Outside, the field is taken as absent.
func plausibleMs(ms int64, now time.Time) bool {
	return ms >= 631152000000 && ms <= now.Add(24*time.Hour).UnixMilli()
}

// setTimes sets ev's start, end and duration from milliseconds since the
// epoch (0: absent). A record without a plausible start takes the
// datagram's export time, else when it was received.
func setTimes(ev *event.Network, startMs, endMs int64, h *header, now time.Time) {
	if !plausibleMs(startMs, now) {
		startMs = int64(h.unixSecs) * 1000
		if !plausibleMs(startMs, now) {
			startMs = now.UnixMilli()
		}
	}
	ev.Time = event.SecondsUTC(time.UnixMilli(startMs))
	if plausibleMs(endMs, now) && endMs >= startMs {
		ev.EndTime = event.SecondsUTC(time.UnixMilli(endMs))
		ev.DurationS = float64(endMs-startMs) / 1000
	}
}

// uptimeTime converts a router's uptime stamp (ms since boot) to ms since
// the epoch, given the export's time and uptime. The difference is taken
// as a signed 32-bit number, so that an uptime which wrapped still works.
func uptimeTime(exportMs int64, uptime, stamp uint32) int64 {
	return exportMs - int64(int32(uptime-stamp))
}

// ntpMillis converts an NTP timestamp (seconds since 1900 in the high 32
// bits, a binary fraction in the low) to ms since the epoch.
func ntpMillis(n uint64) int64 {
	secs := int64(n>>32) - ntpEpoch
	return secs*1000 + int64((n&0xffffffff)*1000>>32)
}

// icmpFromPort takes ICMP type and code from the destination port, where
// NetFlow v5 and many v9 exporters put them (type<<8 | code).
func icmpFromPort(ev *event.Network) {
	if ev.Protocol != "icmp" && ev.Protocol != "ipv6-icmp" {
		return
	}
	ev.ICMPType, ev.ICMPCode = uint8(ev.DstPort>>8), uint8(ev.DstPort)
	ev.SrcPort, ev.DstPort = 0, 0
}

// tcpFlagNames are the TCP flags from the lowest bit.
var tcpFlagNames = [8]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}

// tcpFlags renders a TCP flags byte, "SYN ACK"; "" for other protocols.
func tcpFlags(proto, flags uint8) string {
	if proto != 6 || flags == 0 {
		return ""
	}
	switch flags { // the common ones without allocating
	case 0x02:
		return "SYN"
	case 0x12:
		return "SYN ACK"
	case 0x10:
		return "ACK"
	case 0x1b:
		return "FIN SYN PSH ACK"
	case 0x1a:
		return "SYN PSH ACK"
	case 0x18:
		return "PSH ACK"
	case 0x11:
		return "FIN ACK"
	case 0x14:
		return "RST ACK"
	}
	var sb strings.Builder
	for i, n := range tcpFlagNames {
		if flags&(1<<i) != 0 {
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(n)
		}
	}
	return sb.String()
}

func v4(a uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], a)
	return netip.AddrFrom4(b)
}

// uintOf reads a big-endian unsigned number of up to 8 bytes.
func uintOf(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 8 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n, true
}

func appendKV(b []byte, k string, v uint64) []byte {
	b = append(b, ' ')
	b = append(b, k...)
	b = append(b, '=')
	return strconv.AppendUint(b, v, 10)
}

// appendField renders one field as " name=value": addresses and MACs as
// such, strings quoted, numbers of up to 8 bytes in decimal, the rest hex.
func appendField(b []byte, f netflow.DataField, v []byte) []byte {
	b = append(b, ' ')
	switch {
	case f.PenProvided:
		b = append(b, 'e')
		b = strconv.AppendUint(b, uint64(f.Pen), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(f.Type), 10)
	case int(f.Type) < len(ieNames):
		b = append(b, ieNames[f.Type]...)
	case nselNames[f.Type] != "":
		b = append(b, nselNames[f.Type]...)
	default:
		b = append(b, "ie"...)
		b = strconv.AppendUint(b, uint64(f.Type), 10)
	}
	b = append(b, '=')
	if !f.PenProvided {
		switch f.Type {
		case ieSrcIPv4, ieDstIPv4, 15, 18, 130, iePostNATSrcIPv4, iePostNATDstIPv4,
			ieSrcIPv6, ieDstIPv6, 62, 63, 131, iePostNATSrcIPv6, iePostNATDstIPv6,
			nselXlateSrcIPv4, nselXlateDstIPv4:
			if a, ok := netip.AddrFromSlice(v); ok {
				return a.AppendTo(b)
			}
		case ieSrcMAC, iePostDstMAC, ieDstMAC, iePostSrcMAC:
			if len(v) == 6 {
				return append(b, net.HardwareAddr(v).String()...)
			}
		case 82, 83, 84, 94, 96, nselUsername:
			return strconv.AppendQuote(b, strings.TrimRight(string(v), "\x00"))
		}
	}
	if n, ok := uintOf(v); ok {
		return strconv.AppendUint(b, n, 10)
	}
	b = append(b, "0x"...)
	return hexAppend(b, v)
}

func hexAppend(b, v []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range v {
		b = append(b, digits[c>>4], digits[c&15])
	}
	return b
}
