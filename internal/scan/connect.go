package scan

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// Reasons for a port state, as nmap reports them.
const (
	ReasonSynAck          = "syn-ack"          // the handshake completed
	ReasonConnRefused     = "conn-refused"     // RST (or ICMP port unreachable) to our SYN
	ReasonNoResponse      = "no-response"      // silence until the timeout, every attempt
	ReasonHostUnreach     = "host-unreach"     // ICMP host unreachable
	ReasonNetUnreach      = "net-unreach"      // ICMP network unreachable
	ReasonAdminProhibited = "admin-prohibited" // ICMP prohibited, or a local firewall rule
)

// connectResult is what connecting to one port showed.
type connectResult struct {
	state, reason string
	rtt           time.Duration // the answering attempt's round trip
	attempts      int
}

// connect tries port of h until it answers or the retries are spent, each
// retry waiting twice as long as the attempt before (RFC 6298 5.5), so a
// moment of load on our side does not pass for a filtered port. It
// returns ctx's error when ctx ends first.
func (s *scanner) connect(ctx context.Context, h *hostScan, port uint16) (connectResult, error) {
	ap := netip.AddrPortFrom(h.addr, port)
	localErrs := 0
	var r connectResult
	for attempt := 0; attempt <= s.o.Retries; attempt++ {
		if err := s.wait(ctx); err != nil {
			return r, err
		}
		r.attempts++
		d := net.Dialer{Timeout: h.rtt.backoff(attempt)}
		start := time.Now()
		c, err := d.DialContext(ctx, "tcp", ap.String())
		el := time.Since(start)
		if err == nil {
			c.Close()
			h.rtt.observe(el)
			return connectResult{Open, ReasonSynAck, el, r.attempts}, nil
		}
		if err := ctxDone(ctx); err != nil {
			return r, err
		}
		switch reason := dialErrorReason(err); reason {
		case ReasonConnRefused:
			h.rtt.observe(el)
			return connectResult{Closed, reason, el, r.attempts}, nil
		case ReasonNoResponse:
			continue
		case "":
			// Our own resources ran out (descriptors, ephemeral ports): not
			// an answer of the target. Back off and try the same attempt again.
			if localErrs++; localErrs > 20 {
				return connectResult{Filtered, "error: " + err.Error(), 0, r.attempts}, nil
			}
			attempt--
			select {
			case <-ctx.Done():
				return r, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		default:
			return connectResult{Filtered, reason, el, r.attempts}, nil
		}
	}
	return connectResult{Filtered, ReasonNoResponse, 0, r.attempts}, nil
}

// dialErrorReason maps a failed connect to the reason it tells about the
// port, "" for an error of our own side.
func dialErrorReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return ReasonConnRefused
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, syscall.ETIMEDOUT):
		return ReasonNoResponse
	case errors.Is(err, syscall.EHOSTUNREACH):
		return ReasonHostUnreach
	case errors.Is(err, syscall.ENETUNREACH):
		return ReasonNetUnreach
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return ReasonAdminProhibited
	}
	return ""
}

// ctxDone returns ctx's error, or DeadlineExceeded as soon as its deadline
// has passed: a dial bounded by that deadline can fail a moment before the
// context's own timer marks it done, and must not pass for a silent port.
func ctxDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}
