package notifytest

import (
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message an SMTPSink accepted.
type Mail struct {
	From string
	To   []string
	User string // who logged in, "" for no AUTH
	Data []byte
}

// SMTPSink is an SMTP server on 127.0.0.1 without TLS that takes any
// login (PLAIN or LOGIN, offered in clear) and records every mail: for
// tests of whole configs (require_tls: false); notify/email's own tests
// cover TLS and failures.
type SMTPSink struct {
	Addr  string // host:port
	mu    sync.Mutex
	mails []Mail
}

// NewSMTPSink starts an SMTPSink; it stops when t ends.
func NewSMTPSink(t testing.TB) *SMTPSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := &SMTPSink{Addr: ln.Addr().String()}
	s := smtp.NewServer(k)
	s.Domain, s.AllowInsecureAuth = "sink.test", true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return k
}

// Mails are the mails accepted so far.
func (k *SMTPSink) Mails() []Mail {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Mail(nil), k.mails...)
}

// NewSession is smtp.Backend's.
func (k *SMTPSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{k: k}, nil }

type sinkSession struct {
	k   *SMTPSink
	cur Mail
}

func (s *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (s *sinkSession) Auth(mech string) (sasl.Server, error) {
	ok := func(user string) error { s.cur.User = user; return nil }
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, _ string) error { return ok(user) }), nil
	case sasl.Login:
		return &loginSink{ok: ok}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error { s.cur.From = from; return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.cur
	m.Data = data
	s.k.mu.Lock()
	s.k.mails = append(s.k.mails, m)
	s.k.mu.Unlock()
	return nil
}

func (s *sinkSession) Reset()        { s.cur = Mail{User: s.cur.User} }
func (s *sinkSession) Logout() error { return nil }

// loginSink is the server side of AUTH LOGIN (go-sasl has none): any
// user and password.
type loginSink struct {
	step int
	user string
	ok   func(user string) error
}

func (l *loginSink) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	case 3:
		return nil, true, l.ok(l.user)
	}
	return nil, true, errors.New("unexpected AUTH LOGIN step")
}
