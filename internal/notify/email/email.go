// Package email sends notifications over SMTP, with Alertmanager's
// email_config semantics: port 465 (or force_implicit_tls: true) is TLS
// from the first byte, any other port upgrades with STARTTLS, which
// require_tls (the default) makes mandatory; AUTH PLAIN (over TLS only) or
// LOGIN with auth_username and auth_password.
//
// A mail is multipart/alternative with a text/plain and a text/html part,
// both rendered from the notify.Message alone (golden files hold them).
// Its Message-ID and X-Homesoc-Delivery header carry the notification id,
// so the copy a retry sends after a crash is recognisable as the same mail.
package email

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/mail"
	"os"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
)

// DefaultHello is the EHLO name when hello is not set, as Alertmanager's.
const DefaultHello = "localhost"

// DefaultTimeout bounds one whole delivery when ctx has no deadline.
const DefaultTimeout = time.Minute

// Receiver sends mail through one smarthost.
type Receiver struct {
	integration string
	smarthost   string // host:port
	host        string
	hello       string
	from        *mail.Address
	to          []*mail.Address
	username    string
	password    config.Secret
	identity    string
	implicitTLS bool
	requireTLS  bool
	tls         *tls.Config // a template: cloned per connection
}

var _ notify.Receiver = (*Receiver)(nil)

// New checks c and returns its receiver; integration names it in every
// error ("anna-mail/email/0"), which never holds the password. o is
// taken for the constructor shape every receiver shares: SMTP needs no HTTP
// client, and deadlines are the wall clock's.
func New(c config.EmailConfig, integration string, o notify.Options) (*Receiver, error) {
	fail := func(format string, args ...any) (*Receiver, error) {
		return nil, fmt.Errorf("email %s: "+format, append([]any{integration}, args...)...)
	}
	host, port, err := net.SplitHostPort(c.Smarthost)
	if err != nil || host == "" || port == "" {
		return fail("smarthost %q must be host:port", c.Smarthost)
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return fail("from %q: %v", c.From, err)
	}
	to, err := mail.ParseAddressList(c.To)
	if err != nil || len(to) == 0 {
		return fail("to %q: %v", c.To, err)
	}
	if c.AuthPassword != "" && c.AuthUsername == "" {
		return fail("auth_password without auth_username")
	}
	r := &Receiver{
		integration: integration, smarthost: c.Smarthost, host: host, hello: c.Hello,
		from: from, to: to, username: c.AuthUsername, password: c.AuthPassword, identity: c.AuthIdentity,
		implicitTLS: port == "465", requireTLS: c.RequireTLS == nil || *c.RequireTLS,
	}
	if r.hello == "" {
		r.hello = DefaultHello
	}
	if c.ForceImplicitTLS != nil {
		r.implicitTLS = *c.ForceImplicitTLS
	}
	r.tls = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLSConfig.InsecureSkipVerify}
	if c.TLSConfig.ServerName != "" {
		r.tls.ServerName = c.TLSConfig.ServerName
	}
	if f := c.TLSConfig.CAFile; f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return fail("tls_config.ca_file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fail("tls_config.ca_file %s holds no PEM certificate", f)
		}
		r.tls.RootCAs = pool
	}
	return r, nil
}

// ImplicitTLS reports whether the receiver speaks TLS from the first byte
// (port 465 or force_implicit_tls) rather than upgrading with STARTTLS.
func (r *Receiver) ImplicitTLS() bool { return r.implicitTLS }
