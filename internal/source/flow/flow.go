// Package flow is homesoc serve's flow listener: NetFlow v5, v9 and IPFIX
// on one UDP port (the version comes from each datagram's header), or
// sFlow v5, decoded with goflow2's decoders into event.Network records.
//
// Templates are kept per exporter: per sender address, then per version,
// observation domain (v9 source id) and template id, so two routers that
// use the same ids do not mix. A data set that comes before its template
// is held (at most 64 per exporter, 16 MiB in all, for 10 minutes) and
// decoded when the template comes; past those bounds it is counted as a
// no-template drop. A datagram that cannot be decoded becomes a record
// with Reject set and the datagram's first 2 KiB as hex.
package flow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// Stats are a listener's counters since it started.
type Stats struct {
	Datagrams      uint64 // datagrams read
	Records        uint64 // flow records decoded (handed on or dropped)
	Skipped        uint64 // well-formed records with nothing to store: options data, sFlow counters, non-IP samples
	DecodeErrors   uint64 // datagrams that could not be decoded (handed on as rejects)
	TemplateMisses uint64 // data sets that came before their template
	// NoTemplateDrops are data sets whose template did not come in time
	// (or that did not fit in what is held): their records are lost.
	NoTemplateDrops uint64
	Dropped         uint64 // records (and rejects) the sink had no room for
	Pending         int    // data sets held for their template now
	// Exporters counts datagrams per exporter address (at most 1024
	// exporters are named).
	Exporters map[string]uint64
}

// Config configures a Listener.
type Config struct {
	// Listen is the UDP address, HOST:PORT.
	Listen string
	// Protocol is ProtocolNetFlow (NetFlow v5/v9 and IPFIX, the default)
	// or ProtocolSFlow.
	Protocol string
	// Logger, when not nil, logs the listener's start and read errors.
	Logger *slog.Logger
}

// Listener receives flow exports on one UDP socket.
type Listener struct {
	conn *net.UDPConn
	log  *slog.Logger
	mu   sync.Mutex // guards dec; held while a datagram is decoded and offered
	dec  *decoder
}

// maxDatagram is the largest UDP payload.
const maxDatagram = 65535

// Listen binds the listener's socket.
func Listen(cfg Config) (*Listener, error) {
	switch cfg.Protocol {
	case "":
		cfg.Protocol = ProtocolNetFlow
	case ProtocolNetFlow, ProtocolSFlow:
	default:
		return nil, fmt.Errorf("flow listener %s: unknown protocol %q (want netflow or sflow)", cfg.Listen, cfg.Protocol)
	}
	addr, err := net.ResolveUDPAddr("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("%s udp %s: %w", cfg.Protocol, cfg.Listen, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s udp %s: %w", cfg.Protocol, cfg.Listen, err)
	}
	_ = conn.SetReadBuffer(4 << 20) // bursts of exports; the kernel may cap it
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Listener{conn: conn, log: log, dec: newDecoder(cfg.Protocol)}, nil
}

// Addr is the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.conn.LocalAddr() }

// Stats returns a copy of the listener's counters.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dec.stats()
}

// Run reads datagrams and offers their records to sink until ctx ends,
// then closes the socket and returns nil. Records the sink has no room
// for are counted as dropped: a UDP sender cannot be slowed down.
func (l *Listener) Run(ctx context.Context, sink source.Sink) error {
	stop := context.AfterFunc(ctx, func() { l.conn.Close() })
	defer stop()
	defer l.conn.Close()
	l.log.Info("flow listener started", "addr", l.conn.LocalAddr().String(), "protocol", l.dec.protocol)
	buf := make([]byte, maxDatagram)
	var recs []source.Record
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			l.log.Warn("flow listener read", "addr", l.conn.LocalAddr().String(), "err", err)
			select { // an error that persists must not spin
			case <-ctx.Done():
				return nil
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		l.handle(sink, from.Addr(), buf[:n], time.Now(), &recs)
	}
}

// handle decodes one datagram and offers its records to sink. The sink's
// Offer does not block, so it runs under the lock: once Stats counts a
// datagram, its records have been offered (or counted as dropped).
func (l *Listener) handle(sink source.Sink, from netip.Addr, b []byte, now time.Time, recs *[]source.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	*recs = l.dec.datagram(from, b, now, (*recs)[:0])
	if len(*recs) == 0 {
		return
	}
	// The sink owns what it takes: hand it a slice of its own.
	batch := make([]source.Record, len(*recs))
	copy(batch, *recs)
	clear(*recs)
	if !sink.Offer(batch) {
		l.dec.st.Dropped += uint64(len(batch))
	}
}
