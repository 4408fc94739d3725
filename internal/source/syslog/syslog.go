// Package syslog receives syslog messages over UDP, TCP and TLS for homesoc
// serve and hands each on to a source.Sink as a source.Record whose Line is
// the message as a syslog daemon writes it to a file (normalize.go).
//
// A TCP or TLS connection is framed by octet counting or by line ends,
// whichever its first byte says (frame.go). TCP and TLS readers block in
// Sink.Submit while the pipeline is full, so a fast sender is slowed by
// TCP's flow control and nothing is lost; UDP cannot be slowed, so its
// reader offers each batch and counts what the sink had no room for.
package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// Defaults of Config's limits.
const (
	DefaultMaxMessage  = 64 << 10
	DefaultMaxConns    = 1024
	DefaultIdleTimeout = 5 * time.Minute
	DefaultStopTimeout = 5 * time.Second
)

// batchSize is the most records one Submit or Offer carries.
const batchSize = 256

// Config configures one listener.
type Config struct {
	// Listen is udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT.
	Listen string
	// Format is the parser of every message: a registered format's name,
	// or "" or "auto" to detect it per sender.
	Format string
	// CertFile and KeyFile are a tls:// listener's PEM certificate (chain)
	// and key.
	CertFile, KeyFile string
	// MaxMessage is the longest message kept whole (DefaultMaxMessage when
	// 0); a longer one becomes a rejected record of its first MaxMessage
	// bytes.
	MaxMessage int
	// MaxConns bounds a TCP or TLS listener's open connections
	// (DefaultMaxConns when 0); one more is closed at once and counted.
	MaxConns int
	// IdleTimeout closes a TCP or TLS connection that sent nothing for that
	// long (DefaultIdleTimeout when 0).
	IdleTimeout time.Duration
	// StopTimeout is how long Serve, once its context ends, keeps handing
	// what it read to a sink that blocks (DefaultStopTimeout when 0).
	StopTimeout time.Duration
	// Logger receives the listener's warnings; nil discards them.
	Logger *slog.Logger
}

// Stats are a listener's counters since it started.
type Stats struct {
	// Messages counts the records handed to the sink, rejected ones included.
	Messages uint64
	// Bytes counts the bytes received, framing included.
	Bytes uint64
	// FramingErrors counts frames handed on as rejects: bad octet counts,
	// frames cut short, messages over MaxMessage.
	FramingErrors uint64
	// Dropped counts the records lost: UDP messages the sink had no room
	// for, and records the sink did not take before StopTimeout at a stop.
	Dropped uint64
	// Connections is the number of TCP or TLS connections open now.
	Connections int64
	// Accepted counts the connections accepted; Refused those closed at
	// once for MaxConns; TLSErrors failed TLS handshakes.
	Accepted, Refused, TLSErrors uint64
}

// counters are Stats kept atomically.
type counters struct {
	messages, bytes, framing, dropped atomic.Uint64
	conns                             atomic.Int64
	accepted, refused, tlsErrors      atomic.Uint64
}

// Listener is one bound syslog listener. Serve runs it; Stats may be read
// at any time from any goroutine.
type Listener struct {
	cfg    Config
	scheme string // udp, tcp or tls
	prefix string // "syslog+udp://" and so on
	udp    *net.UDPConn
	ln     net.Listener
	log    *slog.Logger
	c      counters
}

// Listen checks cfg and binds its address; Serve then receives on it.
// Binding first lets a caller report a busy port before it serves, and a
// test listen on port 0.
func Listen(cfg Config) (*Listener, error) {
	scheme, addr, err := ParseListen(cfg.Listen)
	if err != nil {
		return nil, err
	}
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = DefaultMaxMessage
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	if cfg.Format == "auto" {
		cfg.Format = ""
	}
	l := &Listener{cfg: cfg, scheme: scheme, prefix: "syslog+" + scheme + "://", log: cfg.Logger}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	switch scheme {
	case "udp":
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return nil, fmt.Errorf("syslog %s: %w", cfg.Listen, err)
		}
		if l.udp, err = net.ListenUDP("udp", ua); err != nil {
			return nil, fmt.Errorf("syslog %s: %w", cfg.Listen, err)
		}
		// Room for bursts while the reader hands a batch on; the kernel
		// caps it at net.core.rmem_max.
		_ = l.udp.SetReadBuffer(8 << 20)
	case "tcp", "tls":
		var tcfg *tls.Config
		if scheme == "tls" {
			cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("syslog %s: load certificate: %w", cfg.Listen, err)
			}
			tcfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		if l.ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("syslog %s: %w", cfg.Listen, err)
		}
		if tcfg != nil {
			l.ln = tls.NewListener(l.ln, tcfg)
		}
	}
	return l, nil
}

// ParseListen splits a listener's address, udp://HOST:PORT, tcp://HOST:PORT
// or tls://HOST:PORT, into its scheme and HOST:PORT.
func ParseListen(s string) (scheme, addr string, err error) {
	scheme, addr, ok := strings.Cut(s, "://")
	switch {
	case !ok:
		return "", "", fmt.Errorf("syslog listen %q: want udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT", s)
	case scheme != "udp" && scheme != "tcp" && scheme != "tls":
		return "", "", fmt.Errorf("syslog listen %q: scheme %q is not udp, tcp or tls", s, scheme)
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return "", "", fmt.Errorf("syslog listen %q: %q is not HOST:PORT", s, addr)
	}
	return scheme, addr, nil
}

// Addr returns the address the listener is bound to.
func (l *Listener) Addr() net.Addr {
	if l.udp != nil {
		return l.udp.LocalAddr()
	}
	return l.ln.Addr()
}

// URL is the listener's bound address with its scheme, e.g.
// udp://127.0.0.1:5514.
func (l *Listener) URL() string { return l.scheme + "://" + l.Addr().String() }

// Stats returns the listener's counters.
func (l *Listener) Stats() Stats {
	return Stats{
		Messages:      l.c.messages.Load(),
		Bytes:         l.c.bytes.Load(),
		FramingErrors: l.c.framing.Load(),
		Dropped:       l.c.dropped.Load(),
		Connections:   l.c.conns.Load(),
		Accepted:      l.c.accepted.Load(),
		Refused:       l.c.refused.Load(),
		TLSErrors:     l.c.tlsErrors.Load(),
	}
}

// Serve receives until ctx ends, then stops taking connections and
// datagrams, hands on what it read (for at most StopTimeout if the sink
// blocks), closes the socket and returns nil. It returns an error only when
// the socket fails. It may be called once.
func (l *Listener) Serve(ctx context.Context, sink source.Sink) error {
	// Records read before a stop are handed on after it: the sink's
	// context outlives ctx by StopTimeout.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(l.cfg.StopTimeout, cancel) })
	defer stop()
	if l.udp != nil {
		return l.serveUDP(ctx, sctx, sink)
	}
	return l.serveStream(ctx, sctx, sink)
}

// sourceName returns the Record.Source of a sender.
func (l *Listener) sourceName(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		return l.prefix + "[" + a.String() + "]"
	}
	return l.prefix + a.String()
}

// batch gathers records and the lines they point to.
type batch struct {
	recs []source.Record
	slab []byte // lines are carved out of it; never rewritten once handed on
	norm normalizer
}

// slabSize is the size of the buffers lines are carved from.
const slabSize = 256 << 10

// add appends a record of msg (a frame, without framing) unless it is
// empty. reject, when not "", keeps msg as it came, as a rejected record.
func (b *batch) add(msg []byte, reject, src, format, host string, now time.Time) {
	// Room for the message and a stamp and a host added to it.
	need := len(msg) + len(stampLayout) + len(host) + 8
	if cap(b.slab)-len(b.slab) < need {
		b.slab = make([]byte, 0, max(slabSize, need))
	}
	start := len(b.slab)
	if reject != "" {
		b.slab = append(b.slab, msg...)
	} else {
		b.slab = b.norm.appendLine(b.slab, msg, now, host)
	}
	if len(b.slab) == start {
		return
	}
	line := b.slab[start:len(b.slab):len(b.slab)]
	if b.recs == nil {
		b.recs = make([]source.Record, 0, batchSize)
	}
	b.recs = append(b.recs, source.Record{Source: src, Format: format, Line: line, Reject: reject, Received: now})
}

// take returns the gathered records and starts a new batch: the sink owns
// them.
func (b *batch) take() []source.Record {
	recs := b.recs
	b.recs = nil
	return recs
}

// submit hands the batch to the sink, blocking while it is full.
func (l *Listener) submit(sctx context.Context, sink source.Sink, b *batch) {
	recs := b.take()
	if len(recs) == 0 {
		return
	}
	if err := sink.Submit(sctx, recs, nil); err != nil {
		l.c.dropped.Add(uint64(len(recs)))
		l.log.Warn("syslog: records dropped at stop", "listen", l.cfg.Listen, "records", len(recs), "err", err)
		return
	}
	l.c.messages.Add(uint64(len(recs)))
}

// isTimeout reports whether err is a deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
