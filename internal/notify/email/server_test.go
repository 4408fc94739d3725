package email

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is what the test server recorded of one mail.
type received struct {
	Helo     string
	TLS      bool
	AuthMech string
	AuthUser string
	AuthPass string
	From     string
	To       []string
	Data     []byte
}

// serverOpts shape a test SMTP server on 127.0.0.1.
type serverOpts struct {
	startTLS     bool     // offer STARTTLS
	implicitTLS  bool     // TLS from the first byte
	insecureAuth bool     // offer AUTH without TLS
	mechs        []string // AUTH mechanisms offered; default PLAIN, LOGIN
	password     string   // the password of user "homesoc"
	rcptErr      error    // RCPT TO's answer
	dataErr      error    // the answer after DATA
	echo         bool     // a failed login's reply quotes the password, as a careless relay might
}

// backend records every mail and login attempt.
type backend struct {
	opts  serverOpts
	mu    sync.Mutex
	mails []received
	auths []received // every AUTH attempt, failed ones included
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{b: b, c: c}, nil
}

func (b *backend) received() ([]received, []received) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.mails...), append([]received(nil), b.auths...)
}

type session struct {
	b   *backend
	c   *smtp.Conn
	cur received
}

func (s *session) AuthMechanisms() []string {
	if s.b.opts.mechs != nil {
		return s.b.opts.mechs
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		s.b.mu.Lock()
		s.b.auths = append(s.b.auths, received{AuthMech: mech, AuthUser: user, AuthPass: pass})
		s.b.mu.Unlock()
		if user != "homesoc" || pass != s.b.opts.password {
			if s.b.opts.echo {
				return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad password " + pass}
			}
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.cur.AuthMech, s.cur.AuthUser, s.cur.AuthPass = mech, user, pass
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.opts.rcptErr != nil {
		return s.b.opts.rcptErr
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.opts.dataErr != nil {
		return s.b.opts.dataErr
	}
	m := s.cur
	m.Data = data
	m.Helo = s.c.Hostname()
	_, m.TLS = s.c.TLSConnectionState()
	s.b.mu.Lock()
	s.b.mails = append(s.b.mails, m)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur.From, s.cur.To = "", nil }
func (s *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(resp))
}

// startServer runs a test SMTP server on 127.0.0.1 until the test ends.
func startServer(t *testing.T, tc *tls.Config, o serverOpts) (string, *backend) {
	t.Helper()
	b := &backend{opts: o}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicitTLS {
		ln = tls.NewListener(ln, tc)
	}
	s := smtp.NewServer(b)
	s.Domain = "smtp.test"
	s.AllowInsecureAuth = o.insecureAuth
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	if o.startTLS {
		s.TLSConfig = tc
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String(), b
}

// testCA makes a self-signed certificate for 127.0.0.1 and smtp.test: the
// server's TLS config, and the PEM file a receiver's ca_file names.
func testCA(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "homesoc test relay"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"smtp.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, ca
}
