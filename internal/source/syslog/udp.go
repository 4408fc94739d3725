package syslog

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// flushDelay is the longest a UDP message waits for its batch to fill.
const flushDelay = 10 * time.Millisecond

// maxNames bounds the cache of senders' source names.
const maxNames = 4096

// serveUDP reads datagrams until ctx ends. A datagram is one message, or
// several when a sender packs them one a line ("<PRI>..." after each LF).
func (l *Listener) serveUDP(ctx context.Context, sctx context.Context, sink source.Sink) error {
	defer l.udp.Close()
	stop := context.AfterFunc(ctx, func() { _ = l.udp.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 64<<10) // the largest UDP payload
	var b batch
	names := map[netip.Addr]sender{}
	deadline := false
	for {
		if len(b.recs) > 0 && !deadline {
			_ = l.udp.SetReadDeadline(time.Now().Add(flushDelay))
			deadline = true
		}
		n, from, err := l.udp.ReadFromUDPAddrPort(buf)
		if n > 0 {
			l.c.bytes.Add(uint64(n))
			a := from.Addr().Unmap().WithZone("")
			nm, ok := names[a]
			if !ok {
				if len(names) >= maxNames {
					clear(names)
				}
				nm = sender{l.sourceName(a), a.String()}
				names[a] = nm
			}
			l.datagram(&b, buf[:n], nm.src, nm.host, time.Now())
			if len(b.recs) >= batchSize {
				l.offer(sink, &b)
			}
		}
		if err == nil {
			continue
		}
		l.offer(sink, &b)
		switch {
		case ctx.Err() != nil:
			return nil
		case !isTimeout(err):
			return fmt.Errorf("syslog %s: read: %w", l.cfg.Listen, err)
		}
		_ = l.udp.SetReadDeadline(time.Time{})
		deadline = false
		if ctx.Err() != nil { // ended while the deadline was cleared
			return nil
		}
	}
}

// sender is a sender's Record.Source and its address as a line's host.
type sender struct{ src, host string }

// datagram adds the messages of one datagram to b.
func (l *Listener) datagram(b *batch, d []byte, src, host string, now time.Time) {
	for len(d) > 0 {
		msg := d
		if i := bytes.Index(d, []byte("\n<")); i >= 0 {
			msg, d = d[:i], d[i+1:]
		} else {
			d = nil
		}
		if len(msg) > l.cfg.MaxMessage {
			f := framer{max: l.cfg.MaxMessage}
			fr := f.tooLong(msg[:l.cfg.MaxMessage], len(msg))
			l.c.framing.Add(1)
			b.add(fr.msg, fr.reject, src, l.cfg.Format, host, now)
			continue
		}
		b.add(msg, "", src, l.cfg.Format, host, now)
	}
}

// offer hands the batch to the sink if it has room, and counts it dropped
// if not.
func (l *Listener) offer(sink source.Sink, b *batch) {
	recs := b.take()
	if len(recs) == 0 {
		return
	}
	if sink.Offer(recs) {
		l.c.messages.Add(uint64(len(recs)))
		return
	}
	l.c.dropped.Add(uint64(len(recs)))
}
