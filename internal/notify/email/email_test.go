package email

import (
	"bytes"
	"context"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden*")

const (
	integration = "anna-mail/email/0"
	password    = "hunter2-Sekr3t"
)

func ptr[T any](v T) *T { return &v }

// mailConfig is a config for a test server at addr, trusting ca.
func mailConfig(addr, ca string) config.EmailConfig {
	return config.EmailConfig{
		To: "anna@example.org, Bob Ito <bob@example.org>", From: "homesoc <homesoc@example.org>", Smarthost: addr,
		Hello: "homesoc.test", AuthUsername: "homesoc", AuthPassword: config.Secret(password),
		TLSConfig: config.EmailTLSConfig{CAFile: ca},
	}
}

func newReceiver(t *testing.T, c config.EmailConfig) *Receiver {
	t.Helper()
	r, err := New(c, integration, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// golden compares got with testdata/name, as every receiver's goldens are.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	notifytest.Golden(t, filepath.Join("testdata", name), got, *update)
}

// parts reads a mail: its headers, and its decoded parts by content type.
func parts(t *testing.T, data []byte) (mail.Header, map[string]string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p) // NextPart undoes the quoted-printable
		if err != nil {
			t.Fatal(err)
		}
		out[p.Header.Get("Content-Type")] = string(b)
	}
	return m.Header, out
}

// TestSendDelivers runs the ways of reaching a server that work: every one
// delivers the same bytes, Render's.
func TestSendDelivers(t *testing.T) {
	tc, ca := testCA(t)
	tests := []struct {
		name     string
		opts     serverOpts
		edit     func(*config.EmailConfig)
		wantTLS  bool
		wantMech string
	}{
		{"STARTTLS with PLAIN", serverOpts{startTLS: true}, nil, true, sasl.Plain},
		{"implicit TLS with LOGIN only", serverOpts{implicitTLS: true, mechs: []string{sasl.Login}},
			func(c *config.EmailConfig) { c.ForceImplicitTLS = ptr(true) }, true, sasl.Login},
		{"server_name names the certificate", serverOpts{startTLS: true},
			func(c *config.EmailConfig) { c.TLSConfig.ServerName = "smtp.test" }, true, sasl.Plain},
		{"in clear without auth when require_tls is false", serverOpts{},
			func(c *config.EmailConfig) { c.RequireTLS, c.AuthUsername, c.AuthPassword = ptr(false), "", "" }, false, ""},
		{"LOGIN in clear when require_tls is false", serverOpts{insecureAuth: true},
			func(c *config.EmailConfig) { c.RequireTLS = ptr(false) }, false, sasl.Login},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, b := startServer(t, tc, serverOpts{password: password, startTLS: tt.opts.startTLS,
				implicitTLS: tt.opts.implicitTLS, insecureAuth: tt.opts.insecureAuth, mechs: tt.opts.mechs})
			c := mailConfig(addr, ca)
			if tt.edit != nil {
				tt.edit(&c)
			}
			r := newReceiver(t, c)
			n := notifytest.Notification(integration)
			if err := r.Send(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			mails, _ := b.received()
			if len(mails) != 1 {
				t.Fatalf("server got %d mails, want 1", len(mails))
			}
			m := mails[0]
			wantUser := "homesoc"
			if tt.wantMech == "" {
				wantUser = ""
			}
			if m.Helo != "homesoc.test" || m.TLS != tt.wantTLS || m.AuthMech != tt.wantMech || m.AuthUser != wantUser ||
				m.From != "homesoc@example.org" || strings.Join(m.To, ",") != "anna@example.org,bob@example.org" {
				t.Errorf("server saw helo=%q tls=%v auth=%q user=%q from=%q to=%q", m.Helo, m.TLS, m.AuthMech, m.AuthUser, m.From, m.To)
			}
			want, err := Render(n, r.from, r.to)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(m.Data, want) {
				t.Errorf("server got other bytes than Render's:\n%s", m.Data)
			}
		})
	}
}

// TestRenderGolden holds the whole mail and its decoded parts.
func TestRenderGolden(t *testing.T) {
	r := newReceiver(t, mailConfig("127.0.0.1:587", ""))
	n := notifytest.Notification(integration)
	data, err := Render(n, r.from, r.to)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "message.golden.eml", data)
	h, ps := parts(t, data)
	golden(t, "text.golden.txt", []byte(ps["text/plain; charset=utf-8"]))
	golden(t, "html.golden.html", []byte(ps["text/html; charset=utf-8"]))
	for k, want := range map[string]string{
		"From": `"homesoc" <homesoc@example.org>`, "To": `<anna@example.org>, "Bob Ito" <bob@example.org>`,
		"Subject": "[FIRING:2] user=anna: Router of NAS-ANNA exposes 2 port(s) to the internet (+1 more)", "Date": "Sat, 28 Nov 2026 02:10:00 +0000",
		"Message-Id": "<" + n.ID + "@example.org>", "X-Homesoc-Delivery": n.ID,
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !bytes.Contains(data, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("every line must end in CRLF")
	}
	// Retrying renders the very same bytes.
	again, _ := Render(n, r.from, r.to)
	if !bytes.Equal(again, data) {
		t.Error("Render is not deterministic")
	}
}

// TestRenderEscapesAndRefusesInjection gives an alert a hostile title: the
// HTML part escapes it and the Subject cannot grow a header.
func TestRenderEscapesAndRefusesInjection(t *testing.T) {
	a := notifytest.Contact()
	a.Title = "Über <script>alert(1)</script>\r\nBcc: mallory@example.net"
	a.Detail["indicator"] = `"><img src=x onerror=alert(2)>`
	n := notifytest.Notification(integration, a)
	n.Message.ConsoleURL = "javascript:alert(3)//"
	r := newReceiver(t, mailConfig("127.0.0.1:587", ""))
	data, err := Render(n, r.from, r.to)
	if err != nil {
		t.Fatal(err)
	}
	h, ps := parts(t, data)
	if h.Get("Bcc") != "" {
		t.Fatalf("the title added a Bcc header: %q", h.Get("Bcc"))
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subj != "[FIRING] "+a.Title {
		t.Errorf("subject = %q (%v), want the title back", subj, err)
	}
	html := ps["text/html; charset=utf-8"]
	for _, bad := range []string{"<script>", "<img", "javascript:"} {
		if strings.Contains(html, bad) {
			t.Errorf("html part holds %q unescaped", bad)
		}
	}
	for _, want := range []string{"Über &lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;", `href="#ZgotmplZ"`} {
		if !strings.Contains(html, want) {
			t.Errorf("html part lacks %q", want)
		}
	}
}

// TestSendFails covers what goes wrong, how the outbox is told to treat
// it, and that no error quotes the password.
func TestSendFails(t *testing.T) {
	tc, ca := testCA(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	tests := []struct {
		name      string
		opts      serverOpts
		addr      string // "" for the test server's
		edit      func(*config.EmailConfig)
		permanent bool
		want      []string // in the error
		authTried bool
	}{
		{name: "wrong password", opts: serverOpts{startTLS: true, password: "other"}, permanent: true, authTried: true,
			want: []string{`email anna-mail/email/0: AUTH as "homesoc": smtp server 127.0.0.1:`, "replied 535 5.7.8 Authentication credentials invalid: authentication failed: check auth_username and auth_password"}},
		{name: "a reply that quotes the password", opts: serverOpts{startTLS: true, password: "other", echo: true}, permanent: true,
			authTried: true, want: []string{"replied 535 5.7.8 bad password <secret>: authentication failed"}},
		{name: "require_tls without STARTTLS", opts: serverOpts{password: password}, permanent: true,
			want: []string{"does not offer STARTTLS and require_tls is true"}},
		{name: "only PLAIN in clear", opts: serverOpts{password: password, insecureAuth: true, mechs: []string{sasl.Plain}},
			edit: func(c *config.EmailConfig) { c.RequireTLS = ptr(false) }, permanent: true,
			want: []string{"offers only AUTH PLAIN without TLS: homesoc does not send a password in clear"}},
		{name: "451 at DATA is retried", opts: serverOpts{startTLS: true, password: password,
			dataErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}},
			want: []string{"end of DATA: smtp server", "replied 451 4.3.0 Try again later"}, authTried: true},
		{name: "452 at RCPT is retried", opts: serverOpts{startTLS: true, password: password,
			rcptErr: &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}},
			want: []string{"RCPT TO:<anna@example.org>: smtp server", "replied 452 4.2.2 Mailbox full"}, authTried: true},
		{name: "550 at RCPT is permanent", opts: serverOpts{startTLS: true, password: password,
			rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}},
			permanent: true, want: []string{"replied 550 5.1.1 No such user"}, authTried: true},
		{name: "untrusted certificate", opts: serverOpts{startTLS: true, password: password},
			edit: func(c *config.EmailConfig) { c.TLSConfig.CAFile = "" }, permanent: true,
			want: []string{"STARTTLS with 127.0.0.1:", "trust the server's CA with tls_config.ca_file"}},
		{name: "certificate of another name", opts: serverOpts{implicitTLS: true, password: password},
			edit: func(c *config.EmailConfig) {
				c.ForceImplicitTLS, c.TLSConfig.ServerName = ptr(true), "mail.example.org"
			},
			permanent: true, want: []string{"TLS with 127.0.0.1:", "(implicit TLS)", "mail.example.org"}},
		{name: "connection refused", addr: refused,
			want: []string{"email anna-mail/email/0: connect to " + refused + ":", "refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, b := tt.addr, (*backend)(nil)
			if addr == "" {
				addr, b = startServer(t, tc, tt.opts)
			}
			c := mailConfig(addr, ca)
			if tt.edit != nil {
				tt.edit(&c)
			}
			err := newReceiver(t, c).Send(context.Background(), notifytest.Notification(integration))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error quotes the password: %q", err)
			}
			if perm, _ := notify.Classify(err); perm != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", perm, tt.permanent, err)
			}
			if b != nil {
				mails, auths := b.received()
				if len(mails) != 0 {
					t.Errorf("server got %d mails", len(mails))
				}
				if (len(auths) > 0) != tt.authTried {
					t.Errorf("server saw %d AUTH attempts, want tried=%v", len(auths), tt.authTried)
				}
			}
		})
	}
}

func TestNewChecks(t *testing.T) {
	good := mailConfig("smtp.example.org:587", "")
	tests := []struct {
		name string
		edit func(*config.EmailConfig)
		want string
	}{
		{"no port", func(c *config.EmailConfig) { c.Smarthost = "smtp.example.org" }, `email anna-mail/email/0: smarthost "smtp.example.org" must be host:port`},
		{"bad from", func(c *config.EmailConfig) { c.From = "homesoc" }, `email anna-mail/email/0: from "homesoc": mail: missing '@' or angle-addr`},
		{"no to", func(c *config.EmailConfig) { c.To = "" }, `email anna-mail/email/0: to "": mail: no address`},
		{"password alone", func(c *config.EmailConfig) { c.AuthUsername = "" }, "email anna-mail/email/0: auth_password without auth_username"},
		{"missing ca_file", func(c *config.EmailConfig) { c.TLSConfig.CAFile = "/nonexistent/ca.pem" },
			"email anna-mail/email/0: tls_config.ca_file: open /nonexistent/ca.pem: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.edit(&c)
			_, err := New(c, integration, notify.Options{})
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		host  string
		force *bool
		want  bool
	}{{"smtp.example.org:465", nil, true}, {"smtp.example.org:587", nil, false}, {"smtp.example.org:2465", ptr(true), true}, {"smtp.example.org:465", ptr(false), false}} {
		c := good
		c.Smarthost, c.ForceImplicitTLS = tt.host, tt.force
		if got := newReceiver(t, c).ImplicitTLS(); got != tt.want {
			t.Errorf("%s force=%v: implicit TLS = %v, want %v", tt.host, tt.force, got, tt.want)
		}
	}
}
