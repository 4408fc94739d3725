package flow

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/sflow"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/parse"
	"github.com/homesoc/homesoc/internal/source"
)

// maxSFlowRecords is goflow2's own bound on a sample's flow records, which
// it does not apply to expanded flow samples.
const maxSFlowRecords = 1000

// sflow decodes an sFlow v5 datagram. Each flow sample (a sampled packet)
// becomes one record: sFlow carries no flow times, so it is placed when it
// was received; bytes and packets are the one sampled frame's, not scaled
// by the sampling rate (the text says the rate). Counter samples and
// samples of frames that carry no IP packet are skipped.
func (d *decoder) sflow(exp *exporter, b []byte, now time.Time, out *[]source.Record) error {
	if err := sflowCheck(b); err != nil {
		return err
	}
	var p sflow.Packet
	if err := sflow.DecodeMessageVersion(bytes.NewBuffer(b), &p); err != nil {
		return fmt.Errorf("sflow: %w", err)
	}
	agent, _ := netip.AddrFromSlice(p.AgentIP)
	h := header{version: 5, domain: p.SubAgentId, seq: p.SequenceNumber, uptimeMs: p.Uptime}
	for i, s := range p.Samples {
		var fs sample
		switch s := s.(type) {
		case sflow.FlowSample:
			fs = sample{seq: s.Header.SampleSequenceNumber, rate: s.SamplingRate, pool: s.SamplePool, drops: s.Drops,
				in: s.Input & 0x3fffffff, out: s.Output & 0x3fffffff, records: s.Records}
		case sflow.ExpandedFlowSample:
			fs = sample{seq: s.Header.SampleSequenceNumber, rate: s.SamplingRate, pool: s.SamplePool, drops: s.Drops,
				in: s.InputIfValue, out: s.OutputIfValue, records: s.Records}
		case sflow.DropSample:
			fs = sample{seq: s.Header.SampleSequenceNumber, drops: s.Drops, in: s.Input, out: s.Output,
				records: s.Records, dropped: true, reason: s.Reason}
		default:
			d.st.Skipped++
			continue
		}
		h.setIndex = i
		if r, ok := exp.sflowRecord(&h, agent, &fs, i, now); ok {
			*out = append(*out, r)
		} else {
			d.st.Skipped++
		}
	}
	return nil
}

// sample is what the three kinds of flow sample share.
type sample struct {
	seq, rate, pool, drops, in, out uint32
	records                         []sflow.FlowRecord
	dropped                         bool
	reason                          uint32
}

// sflowRecord maps one flow sample; false when it holds no IP packet.
func (e *exporter) sflowRecord(h *header, agent netip.Addr, s *sample, i int, now time.Time) (source.Record, bool) {
	ev := &event.Network{Kind: event.KindFlow, Format: FormatSFlow, Sensor: e.sensor,
		Direction: event.DirUnknown, Action: "allow", PacketsOut: 1,
		InIface: strconv.FormatUint(uint64(s.in), 10), OutIface: strconv.FormatUint(uint64(s.out), 10)}
	if s.dropped {
		ev.Action = "drop"
		ev.Status = "drop-reason-" + strconv.FormatUint(uint64(s.reason), 10)
	}
	ev.Time = event.SecondsUTC(now)
	b := make([]byte, 0, 512)
	b = append(b, "sflow exporter="...)
	b = e.addr.AppendTo(b)
	b = append(b, " agent="...)
	b = agent.AppendTo(b)
	b = appendKV(b, "subagent", uint64(h.domain))
	b = appendKV(b, "seq", uint64(h.seq))
	b = appendKV(b, "uptime", uint64(h.uptimeMs))
	b = appendKV(b, "sample", uint64(s.seq))
	b = appendKV(b, "rate", uint64(s.rate))
	b = appendKV(b, "pool", uint64(s.pool))
	b = appendKV(b, "drops", uint64(s.drops))
	b = appendKV(b, "in", uint64(s.in))
	b = appendKV(b, "out", uint64(s.out))
	if s.dropped {
		b = appendKV(b, "reason", uint64(s.reason))
	}
	var proto uint8
	var flags uint8
	ok := false
	for _, r := range s.records {
		switch r := r.Data.(type) {
		case sflow.SampledHeader:
			ev.BytesOut = uint64(r.FrameLength)
			b = appendKV(b, "frameLength", uint64(r.FrameLength))
			b = appendKV(b, "headerProtocol", uint64(r.Protocol))
			hd := r.HeaderData
			if len(hd) > 256 {
				hd = hd[:256]
			}
			b = append(b, " header=0x"...)
			b = hexAppend(b, hd)
			var ph packetHeader
			if ph.parse(r.Protocol, r.HeaderData) {
				ok = true
				ev.SrcIP, ev.DstIP, ev.SrcPort, ev.DstPort = ph.src, ph.dst, ph.sport, ph.dport
				ev.TTL, ev.IPID, ev.TCPWindow, ev.PacketLen = ph.ttl, ph.ipid, ph.window, ph.ipLen
				ev.ICMPType, ev.ICMPCode = ph.icmpType, ph.icmpCode
				proto, flags = ph.proto, ph.flags
				if ph.srcMAC != nil {
					ev.SrcMAC, ev.DstMAC = ph.srcMAC.String(), ph.dstMAC.String()
				}
			}
		case sflow.SampledIPv4:
			ok = sampledIP(ev, &r.SampledIPBase, &proto, &flags) || ok
		case sflow.SampledIPv6:
			ok = sampledIP(ev, &r.SampledIPBase, &proto, &flags) || ok
		case sflow.SampledEthernet:
			if len(r.SrcMac) == 6 && len(r.DstMac) == 6 {
				ev.SrcMAC, ev.DstMAC = net.HardwareAddr(r.SrcMac).String(), net.HardwareAddr(r.DstMac).String()
			}
		}
	}
	if !ok {
		return source.Record{}, false
	}
	ev.Protocol = parse.ProtocolName(proto)
	ev.TCPFlags = tcpFlags(proto, flags)
	b = append(b, " sourceIPAddress="...)
	b = ev.SrcIP.AppendTo(b)
	b = append(b, " destinationIPAddress="...)
	b = ev.DstIP.AppendTo(b)
	b = appendKV(b, "protocolIdentifier", uint64(proto))
	b = appendKV(b, "sourceTransportPort", uint64(ev.SrcPort))
	b = appendKV(b, "destinationTransportPort", uint64(ev.DstPort))
	b = appendKV(b, "tcpControlBits", uint64(flags))
	return e.record(ev, b, h, i, now), true
}

// sampledIP maps an sFlow sampled IPv4/IPv6 record (a switch's digest of
// the packet, without its header).
func sampledIP(ev *event.Network, r *sflow.SampledIPBase, proto, flags *uint8) bool {
	src, ok1 := netip.AddrFromSlice(r.SrcIP)
	dst, ok2 := netip.AddrFromSlice(r.DstIP)
	if !ok1 || !ok2 {
		return false
	}
	if ev.SrcIP.IsValid() { // the header, when there is one, says more
		return true
	}
	ev.SrcIP, ev.DstIP = src, dst
	ev.SrcPort, ev.DstPort = uint16(r.SrcPort), uint16(r.DstPort)
	ev.BytesOut = uint64(r.Length)
	*proto, *flags = uint8(r.Protocol), uint8(r.TcpFlags)
	return true
}

// sflowCheck walks an sFlow v5 datagram's samples before goflow2 decodes
// it: goflow2 allocates an expanded flow sample's count of records before
// reading them, without the bound it applies to the other samples.
func sflowCheck(b []byte) error {
	if len(b) < 8 {
		return fmt.Errorf("sflow datagram of %d bytes: too short for a header", len(b))
	}
	off := 8
	switch binary.BigEndian.Uint32(b[4:]) {
	case 1:
		off += 4
	case 2:
		off += 16
	}
	off += 16 // sub-agent, sequence, uptime, samples
	for off+8 <= len(b) {
		format, n := binary.BigEndian.Uint32(b[off:]), int(binary.BigEndian.Uint32(b[off+4:]))
		off += 8
		if n < 0 || n > len(b)-off {
			return nil // goflow2 stops there
		}
		if format == sflow.SAMPLE_FORMAT_EXPANDED_FLOW && n >= 44 {
			if c := binary.BigEndian.Uint32(b[off+40:]); c > maxSFlowRecords {
				return fmt.Errorf("sflow: expanded flow sample with %d records (at most %d)", c, maxSFlowRecords)
			}
		}
		off += n
	}
	return nil
}

// packetHeader is what a sampled packet's header says.
type packetHeader struct {
	srcMAC, dstMAC     net.HardwareAddr
	src, dst           netip.Addr
	proto, ttl, flags  uint8
	icmpType, icmpCode uint8
	sport, dport       uint16
	ipid, window       uint16
	ipLen              uint32
}

// sFlow header protocols.
const (
	headerEthernet = 1
	headerIPv4     = 11
	headerIPv6     = 12
)

// parse reads an Ethernet (with VLAN tags), IPv4 or IPv6 header and the
// TCP, UDP or ICMP header after it; false when there is no IP header.
func (p *packetHeader) parse(protocol uint32, b []byte) bool {
	var etype uint16
	switch protocol {
	case headerEthernet:
		if len(b) < 14 {
			return false
		}
		p.dstMAC, p.srcMAC = net.HardwareAddr(b[0:6]), net.HardwareAddr(b[6:12])
		etype, b = binary.BigEndian.Uint16(b[12:]), b[14:]
		for (etype == 0x8100 || etype == 0x88a8) && len(b) >= 4 {
			etype, b = binary.BigEndian.Uint16(b[2:]), b[4:]
		}
	case headerIPv4:
		etype = 0x0800
	case headerIPv6:
		etype = 0x86dd
	default:
		return false
	}
	var l4 []byte
	switch etype {
	case 0x0800:
		if len(b) < 20 || b[0]>>4 != 4 {
			return false
		}
		ihl := int(b[0]&15) * 4
		p.ipLen = uint32(binary.BigEndian.Uint16(b[2:]))
		p.ipid = binary.BigEndian.Uint16(b[4:])
		p.ttl, p.proto = b[8], b[9]
		p.src, p.dst = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
		if ihl >= 20 && ihl <= len(b) && binary.BigEndian.Uint16(b[6:])&0x1fff == 0 {
			l4 = b[ihl:]
		}
	case 0x86dd:
		if len(b) < 40 || b[0]>>4 != 6 {
			return false
		}
		p.ipLen = uint32(binary.BigEndian.Uint16(b[4:])) + 40
		p.proto, p.ttl = b[6], b[7]
		p.src, p.dst = netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
		l4 = b[40:]
	default:
		return false
	}
	switch p.proto {
	case 6:
		if len(l4) >= 16 {
			p.sport, p.dport = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
			p.flags, p.window = l4[13], binary.BigEndian.Uint16(l4[14:])
		}
	case 17, 132, 136:
		if len(l4) >= 4 {
			p.sport, p.dport = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
		}
	case 1, 58:
		if len(l4) >= 2 {
			p.icmpType, p.icmpCode = l4[0], l4[1]
		}
	}
	return true
}
