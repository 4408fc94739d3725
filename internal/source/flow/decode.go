package flow

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"

	"github.com/homesoc/homesoc/internal/source"
)

// Formats of the records a listener hands on: one per protocol family.
const (
	FormatNetFlow = "netflow" // NetFlow v5 and v9
	FormatIPFIX   = "ipfix"   // IPFIX (NetFlow v10)
	FormatSFlow   = "sflow"   // sFlow v5
)

// Protocols a listener speaks.
const (
	ProtocolNetFlow = "netflow" // NetFlow v5, v9 and IPFIX on one port
	ProtocolSFlow   = "sflow"
)

// Limits of what a decoder keeps per exporter, so that a flood of spoofed
// senders or templates costs bounded memory.
const (
	maxExporters       = 1024
	maxTemplatesPerExp = 4096
	maxPendingPerExp   = 64               // data sets held for a template
	maxPendingBytes    = 16 << 20         // over every exporter
	pendingTTL         = 10 * time.Minute // a held data set waits this long for its template
	maxRejectHex       = 2048             // bytes of a rejected datagram kept, as hex
	expireEvery        = time.Second
	netflowV5HeaderLen = 24
	netflowV5RecordLen = 48
)

// decoder turns datagrams into records. It keeps templates and held data
// sets per exporter (sender address); it is not safe for concurrent use.
type decoder struct {
	protocol     string
	exporters    map[netip.Addr]*exporter
	pendingBytes int
	lastExpire   time.Time
	st           Stats
}

// exporter is what a decoder keeps of one sender.
type exporter struct {
	addr      netip.Addr
	source    string // netflow://ADDR or sflow://ADDR
	sensor    string // ADDR
	templates *templates
	// initTime is systemInitTimeMilliseconds per (version, observation
	// domain), from options data, to place flowStart/EndSysUpTime.
	initTime map[uint64]uint64
	pending  []pendingSet
	lastSeen time.Time
}

// pendingSet is a data set that came before its template.
type pendingSet struct {
	h        header
	set      netflow.RawFlowSet
	received time.Time
}

// header is what a record's mapping needs of its datagram's header.
type header struct {
	version  uint16
	domain   uint32 // v9 source id, IPFIX observation domain
	seq      uint32
	unixSecs uint32 // v5/v9 export time, IPFIX export time
	unixNano uint32 // v5 only
	uptimeMs uint32 // v5/v9 sysUptime
	setIndex int    // the data set's position in the datagram
}

func newDecoder(protocol string) *decoder {
	return &decoder{protocol: protocol, exporters: make(map[netip.Addr]*exporter),
		st: Stats{Exporters: make(map[string]uint64)}}
}

// datagram decodes one datagram from addr, appending its records to out.
// A datagram it cannot decode (or whose decoding panics) becomes one
// record with Reject set, after any record decoded before the fault.
func (d *decoder) datagram(from netip.Addr, b []byte, now time.Time, out []source.Record) []source.Record {
	from = from.Unmap()
	d.st.Datagrams++
	if now.Sub(d.lastExpire) >= expireEvery {
		d.expire(now)
		d.lastExpire = now
	}
	exp := d.exporter(from, now)
	if len(d.st.Exporters) < maxExporters || d.st.Exporters[exp.addr.String()] > 0 {
		d.st.Exporters[exp.addr.String()]++
	}
	start := len(out)
	format, err := d.decode(exp, b, now, &out)
	d.st.Records += uint64(len(out) - start)
	if err != nil {
		d.st.DecodeErrors++
		out = append(out, source.Record{Source: exp.source, Format: format,
			Line: rejectLine(b), Reject: err.Error(), Received: now})
	}
	return out
}

// decode decodes b, recovering from a decoder panic as an error.
func (d *decoder) decode(exp *exporter, b []byte, now time.Time, out *[]source.Record) (format string, err error) {
	format = FormatNetFlow
	if d.protocol == ProtocolSFlow {
		format = FormatSFlow
	} else if len(b) >= 2 && binary.BigEndian.Uint16(b) == 10 {
		format = FormatIPFIX
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s datagram of %d bytes: decoder panic: %v", format, len(b), p)
		}
	}()
	if d.protocol == ProtocolSFlow {
		return format, d.sflow(exp, b, now, out)
	}
	if len(b) < 2 {
		return format, fmt.Errorf("netflow datagram of %d bytes: too short for a version", len(b))
	}
	switch v := binary.BigEndian.Uint16(b); v {
	case 5:
		return format, d.netflowV5(exp, b, now, out)
	case 9, 10:
		return format, d.templated(exp, b, now, out)
	default:
		return format, fmt.Errorf("netflow datagram of %d bytes: unsupported version %d (want 5, 9 or 10)", len(b), v)
	}
}

// netflowV5 decodes a NetFlow v5 datagram.
func (d *decoder) netflowV5(exp *exporter, b []byte, now time.Time, out *[]source.Record) error {
	if len(b) < netflowV5HeaderLen {
		return fmt.Errorf("netflow v5 datagram of %d bytes: header needs %d", len(b), netflowV5HeaderLen)
	}
	// goflow2 allocates the header's count of records before it reads
	// them: check the count against the length first.
	count := int(binary.BigEndian.Uint16(b[2:]))
	if want := netflowV5HeaderLen + count*netflowV5RecordLen; len(b) < want {
		return fmt.Errorf("netflow v5 datagram of %d bytes: %d records need %d", len(b), count, want)
	}
	var p netflowlegacy.PacketNetFlowV5
	if err := netflowlegacy.DecodeMessageVersion(bytes.NewBuffer(b), &p); err != nil {
		return fmt.Errorf("netflow v5: %w", err)
	}
	h := header{version: 5, seq: p.FlowSequence, unixSecs: p.UnixSecs, unixNano: p.UnixNSecs,
		uptimeMs: p.SysUptime, domain: uint32(p.EngineType)<<8 | uint32(p.EngineId)}
	for i := range p.Records {
		*out = append(*out, exp.v5Record(&h, &p, i, now))
	}
	return nil
}

// templated decodes a NetFlow v9 or IPFIX datagram with the exporter's
// templates, holding data sets whose template has not come yet.
func (d *decoder) templated(exp *exporter, b []byte, now time.Time, out *[]source.Record) error {
	var v9 netflow.NFv9Packet
	var ipfix netflow.IPFIXPacket
	err := netflow.DecodeMessageVersion(bytes.NewBuffer(b), exp.templates, &v9, &ipfix)
	var h header
	var sets []any
	if binary.BigEndian.Uint16(b) == 9 {
		h = header{version: 9, domain: v9.SourceId, seq: v9.SequenceNumber, unixSecs: v9.UnixSeconds, uptimeMs: v9.SystemUptime}
		sets = v9.FlowSets
	} else {
		h = header{version: 10, domain: ipfix.ObservationDomainId, seq: ipfix.SequenceNumber, unixSecs: ipfix.ExportTime}
		sets = ipfix.FlowSets
	}
	var added bool
	for i, s := range sets {
		h.setIndex = i
		switch s := s.(type) {
		case netflow.DataFlowSet:
			exp.dataSet(&h, s.Id, s.Records, now, out)
		case netflow.RawFlowSet:
			if s.Id >= 256 {
				d.hold(exp, h, s, now)
			}
		case netflow.OptionsDataFlowSet:
			for _, r := range s.Records {
				exp.options(&h, r)
			}
			d.st.Skipped += uint64(len(s.Records))
		case netflow.TemplateFlowSet, netflow.NFv9OptionsTemplateFlowSet, netflow.IPFIXOptionsTemplateFlowSet:
			added = true
		}
	}
	if added && len(exp.pending) > 0 {
		d.release(exp, now, out)
	}
	if err != nil && !errors.Is(err, netflow.ErrorTemplateNotFound) {
		return fmt.Errorf("netflow v%d: %w", h.version, err)
	}
	return nil
}

// hold keeps a data set that came before its template, within the limits;
// past them the set is counted as a no-template drop.
func (d *decoder) hold(exp *exporter, h header, s netflow.RawFlowSet, now time.Time) {
	d.st.TemplateMisses++
	if len(exp.pending) >= maxPendingPerExp || d.pendingBytes+len(s.Records) > maxPendingBytes {
		d.st.NoTemplateDrops++
		return
	}
	// s.Records points into the datagram's buffer, which the caller reuses.
	s.Records = bytes.Clone(s.Records)
	exp.pending = append(exp.pending, pendingSet{h: h, set: s, received: now})
	d.pendingBytes += len(s.Records)
}

// release decodes the held data sets whose template has come.
func (d *decoder) release(exp *exporter, now time.Time, out *[]source.Record) {
	kept := exp.pending[:0]
	for _, p := range exp.pending {
		tpl, err := exp.templates.GetTemplate(p.h.version, p.h.domain, p.set.Id)
		if err != nil {
			kept = append(kept, p)
			continue
		}
		d.pendingBytes -= len(p.set.Records)
		if t, ok := tpl.(netflow.TemplateRecord); ok {
			recs, _ := netflow.DecodeDataSet(p.h.version, bytes.NewBuffer(p.set.Records), t.Fields)
			exp.dataSet(&p.h, p.set.Id, recs, p.received, out)
		} else {
			d.st.Skipped++ // options data: nothing to store
		}
	}
	clear(exp.pending[len(kept):])
	exp.pending = kept
}

// expire drops the held data sets older than pendingTTL.
func (d *decoder) expire(now time.Time) {
	for _, exp := range d.exporters {
		kept := exp.pending[:0]
		for _, p := range exp.pending {
			if now.Sub(p.received) < pendingTTL {
				kept = append(kept, p)
				continue
			}
			d.pendingBytes -= len(p.set.Records)
			d.st.NoTemplateDrops++
		}
		clear(exp.pending[len(kept):])
		exp.pending = kept
	}
}

// exporter returns the state of sender addr, making it (and evicting the
// longest silent exporter when there are too many).
func (d *decoder) exporter(addr netip.Addr, now time.Time) *exporter {
	if e, ok := d.exporters[addr]; ok {
		e.lastSeen = now
		return e
	}
	if len(d.exporters) >= maxExporters {
		var old *exporter
		for _, e := range d.exporters {
			if old == nil || e.lastSeen.Before(old.lastSeen) {
				old = e
			}
		}
		for _, p := range old.pending {
			d.pendingBytes -= len(p.set.Records)
			d.st.NoTemplateDrops++
		}
		delete(d.exporters, old.addr)
	}
	scheme := "netflow://"
	if d.protocol == ProtocolSFlow {
		scheme = "sflow://"
	}
	e := &exporter{addr: addr, source: scheme + addr.String(), sensor: addr.String(), lastSeen: now,
		templates: newTemplates(), initTime: make(map[uint64]uint64)}
	d.exporters[addr] = e
	return e
}

// stats returns a copy of the counters.
func (d *decoder) stats() Stats {
	s := d.st
	s.Exporters = make(map[string]uint64, len(d.st.Exporters))
	for k, v := range d.st.Exporters {
		s.Exporters[k] = v
	}
	for _, e := range d.exporters {
		s.Pending += len(e.pending)
	}
	return s
}

// rejectLine renders the start of a datagram as hex.
func rejectLine(b []byte) []byte {
	if len(b) > maxRejectHex {
		b = b[:maxRejectHex]
	}
	return hex.AppendEncode(nil, b)
}

// templates is goflow2's template store for one exporter, refusing
// templates that would make its data set decoder loop for ever (no bytes
// per record) and more than maxTemplatesPerExp templates.
type templates struct {
	netflow.NetFlowTemplateSystem
	n int
}

func newTemplates() *templates {
	return &templates{NetFlowTemplateSystem: netflow.CreateTemplateSystem()}
}

var (
	errEmptyTemplate    = errors.New("template whose records hold no bytes")
	errTooManyTemplates = fmt.Errorf("more than %d templates from one exporter", maxTemplatesPerExp)
)

// AddTemplate implements netflow.NetFlowTemplateSystem.
func (t *templates) AddTemplate(version uint16, domain uint32, id uint16, tpl any) error {
	var fields [][]netflow.Field
	switch tpl := tpl.(type) {
	case netflow.TemplateRecord:
		fields = [][]netflow.Field{tpl.Fields}
	case netflow.NFv9OptionsTemplateRecord:
		fields = [][]netflow.Field{tpl.Scopes, tpl.Options}
	case netflow.IPFIXOptionsTemplateRecord:
		fields = [][]netflow.Field{tpl.Scopes, tpl.Options}
	}
	empty := true
	for _, fs := range fields {
		for _, f := range fs {
			if f.Length > 0 {
				empty = false
			}
		}
	}
	if empty {
		return errEmptyTemplate
	}
	if _, err := t.GetTemplate(version, domain, id); err != nil {
		if t.n >= maxTemplatesPerExp {
			return errTooManyTemplates
		}
		t.n++
	}
	return t.NetFlowTemplateSystem.AddTemplate(version, domain, id, tpl)
}
