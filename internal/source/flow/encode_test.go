package flow

import (
	"encoding/binary"
	"net/netip"
)

// Our own encoder of export datagrams, for fixtures that run without the
// real samples.

// field is one field of a template (and its value in a data record).
type field struct {
	typ uint16
	val []byte
}

func u8(v uint8) []byte   { return []byte{v} }
func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func ip(s string) []byte  { return netip.MustParseAddr(s).AsSlice() }

// templateSet encodes a template set (setID 0 for v9, 2 for IPFIX)
// defining tplID from the fields' types and lengths.
func templateSet(setID, tplID uint16, fields []field) []byte {
	b := binary.BigEndian.AppendUint16(nil, tplID)
	b = binary.BigEndian.AppendUint16(b, uint16(len(fields)))
	for _, f := range fields {
		b = binary.BigEndian.AppendUint16(b, f.typ)
		b = binary.BigEndian.AppendUint16(b, uint16(len(f.val)))
	}
	return set(setID, b)
}

// dataSet encodes records (each the same fields as the template) under tplID.
func dataSet(tplID uint16, records ...[]field) []byte {
	var b []byte
	for _, r := range records {
		for _, f := range r {
			b = append(b, f.val...)
		}
	}
	return set(tplID, b)
}

func set(id uint16, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(body)))
	return append(b, body...)
}

// v9Datagram encodes a NetFlow v9 header and sets.
func v9Datagram(uptime, unixSecs, seq, sourceID uint32, sets ...[]byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, 9)
	b = binary.BigEndian.AppendUint16(b, uint16(len(sets)))
	for _, v := range []uint32{uptime, unixSecs, seq, sourceID} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	for _, s := range sets {
		b = append(b, s...)
	}
	return b
}

// ipfixDatagram encodes an IPFIX header and sets.
func ipfixDatagram(exportTime, seq, domain uint32, sets ...[]byte) []byte {
	n := 16
	for _, s := range sets {
		n += len(s)
	}
	b := binary.BigEndian.AppendUint16(nil, 10)
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	for _, v := range []uint32{exportTime, seq, domain} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	for _, s := range sets {
		b = append(b, s...)
	}
	return b
}

// v5Flow is one NetFlow v5 record.
type v5Flow struct {
	src, dst, next    string
	in, out           uint16
	packets, octets   uint32
	first, last       uint32
	sport, dport      uint16
	flags, proto, tos uint8
	srcAS, dstAS      uint16
	srcMask, dstMask  uint8
}

// v5Datagram encodes a NetFlow v5 datagram.
func v5Datagram(uptime, unixSecs, nsecs, seq uint32, flows ...v5Flow) []byte {
	b := binary.BigEndian.AppendUint16(nil, 5)
	b = binary.BigEndian.AppendUint16(b, uint16(len(flows)))
	for _, v := range []uint32{uptime, unixSecs, nsecs, seq} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	b = append(b, 0, 0, 0, 0) // engine type, id, sampling
	for _, f := range flows {
		b = append(b, ip(f.src)...)
		b = append(b, ip(f.dst)...)
		b = append(b, ip(f.next)...)
		b = binary.BigEndian.AppendUint16(b, f.in)
		b = binary.BigEndian.AppendUint16(b, f.out)
		b = binary.BigEndian.AppendUint32(b, f.packets)
		b = binary.BigEndian.AppendUint32(b, f.octets)
		b = binary.BigEndian.AppendUint32(b, f.first)
		b = binary.BigEndian.AppendUint32(b, f.last)
		b = binary.BigEndian.AppendUint16(b, f.sport)
		b = binary.BigEndian.AppendUint16(b, f.dport)
		b = append(b, 0, f.flags, f.proto, f.tos)
		b = binary.BigEndian.AppendUint16(b, f.srcAS)
		b = binary.BigEndian.AppendUint16(b, f.dstAS)
		b = append(b, f.srcMask, f.dstMask, 0, 0)
	}
	return b
}

// sflowDatagram encodes an sFlow v5 datagram from agent with one flow
// sample holding a raw Ethernet header, and one counter sample.
func sflowDatagram(agent string, seq, rate, in, out, frameLen uint32, frame []byte) []byte {
	b := u32(5)
	b = append(b, u32(1)...)
	b = append(b, ip(agent)...)
	b = append(b, u32(0)...)    // sub-agent
	b = append(b, u32(seq)...)  // sequence
	b = append(b, u32(1000)...) // uptime
	b = append(b, u32(2)...)    // samples

	hdr := append(u32(1), u32(frameLen)...) // ethernet, frame length
	hdr = append(hdr, u32(4)...)            // stripped
	hdr = append(hdr, u32(uint32(len(frame)))...)
	hdr = append(hdr, frame...)
	for len(hdr)%4 != 0 {
		hdr = append(hdr, 0)
	}
	rec := append(u32(1), u32(uint32(len(hdr)))...)
	rec = append(rec, hdr...)
	s := u32(7)                    // sample sequence
	s = append(s, u32(3)...)       // source id: ifIndex 3
	s = append(s, u32(rate)...)    // sampling rate
	s = append(s, u32(rate*10)...) // pool
	s = append(s, u32(0)...)       // drops
	s = append(s, u32(in)...)
	s = append(s, u32(out)...)
	s = append(s, u32(1)...) // records
	s = append(s, rec...)
	b = append(b, u32(1)...)
	b = append(b, u32(uint32(len(s)))...)
	b = append(b, s...)

	c := u32(8)
	c = append(c, u32(3)...)
	c = append(c, u32(0)...) // no counter records
	b = append(b, u32(2)...)
	b = append(b, u32(uint32(len(c)))...)
	return append(b, c...)
}

// tcpFrame is an Ethernet/VLAN/IPv4/TCP header.
func tcpFrame(src, dst string, sport, dport uint16, flags uint8) []byte {
	b := []byte{0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x81, 0x00, 0, 10, 0x08, 0x00}
	ipb := []byte{0x45, 0, 0, 60, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0}
	ipb = append(ipb, ip(src)...)
	ipb = append(ipb, ip(dst)...)
	tcp := append(u16(sport), u16(dport)...)
	tcp = append(tcp, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0)
	return append(append(b, ipb...), tcp...)
}
