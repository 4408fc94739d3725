package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
)

// Send renders n and delivers it to every recipient in one SMTP
// transaction. A refused connection and 4xx replies are retried; 5xx
// replies, a failed login, an untrusted certificate and a server without
// STARTTLS when require_tls is set are permanent.
func (r *Receiver) Send(ctx context.Context, n *notify.Notification) error {
	msg, err := Render(n, r.from, r.to)
	if err != nil {
		return notify.Permanent(fmt.Errorf("email %s: render notification %s: %w", r.integration, n.ID, err))
	}
	if err := r.deliver(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("email %s: send to %s: %w", r.integration, r.smarthost, ctx.Err())
		}
		return r.scrub(err)
	}
	return nil
}

// deliver runs one SMTP session that sends msg.
func (r *Receiver) deliver(ctx context.Context, msg []byte) error {
	d := net.Dialer{Timeout: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", r.smarthost)
	if err != nil {
		return r.errorf(err, "connect to %s", r.smarthost)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	// ctx ending closes the connection (above); the deadline is the
	// backstop, a second later so that Send reports ctx's error.
	deadline, ok := ctx.Deadline()
	if ok {
		deadline = deadline.Add(time.Second)
	} else {
		deadline = time.Now().Add(DefaultTimeout) // the wall clock: sockets know no other
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return r.errorf(err, "connect to %s", r.smarthost)
	}
	onTLS := false
	if r.implicitTLS {
		tc := tls.Client(conn, r.tls.Clone())
		if err := tc.HandshakeContext(ctx); err != nil {
			return r.errorf(err, "TLS with %s (implicit TLS)", r.smarthost)
		}
		conn, onTLS = tc, true
	}
	c, err := smtp.NewClient(conn, r.host)
	if err != nil {
		return r.errorf(err, "greeting of %s", r.smarthost)
	}
	defer c.Close()
	if err := c.Hello(r.hello); err != nil {
		return r.errorf(err, "EHLO %s to %s", r.hello, r.smarthost)
	}
	if !onTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(r.tls.Clone()); err != nil {
				return r.errorf(err, "STARTTLS with %s", r.smarthost)
			}
			onTLS = true
		} else if r.requireTLS {
			return notify.Permanent(fmt.Errorf("email %s: smtp server %s does not offer STARTTLS and require_tls is true: use its TLS port (465) or set require_tls: false to send in clear", r.integration, r.smarthost))
		}
	}
	if r.username != "" {
		if err := r.auth(c, onTLS); err != nil {
			return err
		}
	}
	if err := c.Mail(r.from.Address); err != nil {
		return r.errorf(err, "MAIL FROM:<%s>", r.from.Address)
	}
	for _, a := range r.to {
		if err := c.Rcpt(a.Address); err != nil {
			return r.errorf(err, "RCPT TO:<%s>", a.Address)
		}
	}
	w, err := c.Data()
	if err != nil {
		return r.errorf(err, "DATA")
	}
	if _, err := w.Write(msg); err != nil {
		return r.errorf(err, "write message")
	}
	if err := w.Close(); err != nil {
		return r.errorf(err, "end of DATA")
	}
	// The server has taken the mail: a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// auth logs in with PLAIN over TLS, or LOGIN.
func (r *Receiver) auth(c *smtp.Client, onTLS bool) error {
	ok, offered := c.Extension("AUTH")
	if !ok {
		return notify.Permanent(fmt.Errorf("email %s: smtp server %s offers no AUTH, but auth_username is set", r.integration, r.smarthost))
	}
	mechs := map[string]bool{}
	for _, m := range strings.Fields(strings.ToUpper(offered)) {
		mechs[m] = true
	}
	var a smtp.Auth
	switch {
	case mechs["PLAIN"] && onTLS:
		a = &plainAuth{identity: r.identity, username: r.username, password: r.password.Reveal()}
	case mechs["LOGIN"]:
		a = &loginAuth{username: r.username, password: r.password.Reveal()}
	case mechs["PLAIN"]:
		return notify.Permanent(fmt.Errorf("email %s: smtp server %s offers only AUTH PLAIN without TLS: homesoc does not send a password in clear", r.integration, r.smarthost))
	default:
		return notify.Permanent(fmt.Errorf("email %s: smtp server %s offers AUTH %s, none of PLAIN, LOGIN", r.integration, r.smarthost, offered))
	}
	if err := c.Auth(a); err != nil {
		return r.errorf(err, "AUTH as %q", r.username)
	}
	return nil
}

// scrub removes the password from err's text, should a server have
// echoed it; the classification is kept.
func (r *Receiver) scrub(err error) error {
	pw := r.password.Reveal()
	if pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	clean := errors.New(strings.ReplaceAll(err.Error(), pw, "<secret>"))
	if perm, _ := notify.Classify(err); perm {
		return notify.Permanent(clean)
	}
	return clean
}
