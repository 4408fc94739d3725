package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// serveStream accepts TCP or TLS connections until ctx ends, then waits for
// their readers to hand on what they read.
func (l *Listener) serveStream(ctx context.Context, sctx context.Context, sink source.Sink) error {
	stop := context.AfterFunc(ctx, func() { l.ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, l.cfg.MaxConns)
	backoff := time.Duration(0)
	for {
		c, err := l.ln.Accept()
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return nil
			case errors.Is(err, net.ErrClosed):
				return fmt.Errorf("syslog %s: accept: %w", l.cfg.Listen, err)
			}
			// Out of file descriptors and the like: wait and retry, as
			// net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			l.log.Warn("syslog: accept", "listen", l.cfg.Listen, "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		}
		backoff = 0
		select {
		case sem <- struct{}{}:
		default:
			l.c.refused.Add(1)
			l.log.Warn("syslog: connection refused: too many open", "listen", l.cfg.Listen, "remote", c.RemoteAddr().String(), "max_conns", l.cfg.MaxConns)
			c.Close()
			continue
		}
		l.c.accepted.Add(1)
		l.c.conns.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer l.c.conns.Add(-1)
			l.serveConn(ctx, sctx, sink, c)
		}()
	}
}

// serveConn reads one connection until it ends, idles out, breaks its
// framing beyond repair, or ctx ends.
func (l *Listener) serveConn(ctx context.Context, sctx context.Context, sink source.Sink, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Now()) })
	defer stop()
	remote := c.RemoteAddr().String()
	ap, _ := netip.ParseAddrPort(remote)
	addr := ap.Addr().Unmap().WithZone("")
	src, host := l.sourceName(addr), addr.String()
	if tc, ok := c.(*tls.Conn); ok {
		_ = c.SetDeadline(time.Now().Add(l.cfg.IdleTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			l.c.tlsErrors.Add(1)
			l.log.Warn("syslog: TLS handshake", "listen", l.cfg.Listen, "remote", remote, "err", err)
			return
		}
		_ = c.SetWriteDeadline(time.Time{})
	}
	f := framer{max: l.cfg.MaxMessage}
	buf := make([]byte, l.cfg.MaxMessage+64<<10)
	var b batch
	r, w, eof := 0, 0, false
	for {
		now := time.Now()
		for {
			fr, used := f.next(buf[r:w], eof)
			if used == 0 {
				break
			}
			r += used
			if fr.bad {
				l.c.framing.Add(1)
			}
			if fr.msg != nil {
				b.add(fr.msg, fr.reject, src, l.cfg.Format, host, now)
			}
			if len(b.recs) >= batchSize {
				l.submit(sctx, sink, &b)
			}
			if fr.fatal {
				l.submit(sctx, sink, &b)
				l.log.Warn("syslog: connection closed: framing lost", "listen", l.cfg.Listen, "remote", remote)
				return
			}
		}
		l.submit(sctx, sink, &b)
		if eof {
			return
		}
		w = copy(buf, buf[r:w])
		r = 0
		_ = c.SetReadDeadline(now.Add(l.cfg.IdleTimeout))
		if ctx.Err() != nil { // ended before the deadline was set
			eof = true
			continue
		}
		n, err := c.Read(buf[w:])
		w += n
		l.c.bytes.Add(uint64(n))
		if err != nil {
			eof = true
			switch {
			case errors.Is(err, io.EOF), ctx.Err() != nil:
			case isTimeout(err):
				l.log.Info("syslog: connection idle: closed", "listen", l.cfg.Listen, "remote", remote, "idle", l.cfg.IdleTimeout)
			default:
				l.log.Warn("syslog: read", "listen", l.cfg.Listen, "remote", remote, "err", err)
			}
		}
	}
}
