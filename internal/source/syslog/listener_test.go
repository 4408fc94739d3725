package syslog

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"github.com/homesoc/homesoc/internal/source"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// received matches the stamp the listener gives a message without one.
var received = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

func lines(recs []source.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = received.ReplaceAllString(string(r.Line), "STAMP")
		if r.Reject != "" {
			out[i] = "REJECT " + r.Reject + ": " + out[i]
		}
	}
	return out
}

func TestStreamFraming(t *testing.T) {
	const stamp = "Nov 28 10:00:00 host app: "
	cases := []struct {
		name    string
		max     int
		send    string
		want    []string
		framing uint64
	}{
		{"newline, CRLF, NUL, no final LF", 0,
			stamp + "a\n" + stamp + "b\r\n" + stamp + "c\x00\n\n" + stamp + "d",
			[]string{stamp + "a", stamp + "b", stamp + "c", stamp + "d"}, 0},
		{"octet counting, LF between frames", 0,
			fmt.Sprintf("%d %sa%d %sb\n\n", len(stamp)+1, stamp, len(stamp)+1, stamp),
			[]string{stamp + "a", stamp + "b"}, 0},
		{"octet counting keeps LF inside a frame", 0,
			fmt.Sprintf("%d %sx\ny", len(stamp)+3, stamp),
			[]string{stamp + "x\ny"}, 0},
		{"bad octet count resyncs at the LF", 0,
			fmt.Sprintf("5x junk\n%d %sa", len(stamp)+1, stamp),
			[]string{`REJECT bad syslog octet count (RFC 6587 wants "LEN SP MSG", LEN a number from 1): 5x junk`, stamp + "a"}, 1},
		{"octet frame over the limit", 16,
			"20 <13>0123456789abcdef4 <1>x",
			[]string{"REJECT syslog message of 20 bytes is longer than the limit of 16 bytes: its first 16 bytes are kept, the rest dropped: <13>0123456789ab", "STAMP 127.0.0.1 x"}, 1},
		{"line over the limit", 8,
			"<13>0123456789\n<1>x\n",
			[]string{"REJECT syslog message of 14 bytes is longer than the limit of 8 bytes: its first 8 bytes are kept, the rest dropped: <13>0123", "STAMP 127.0.0.1 x"}, 1},
		{"frame cut short by the sender", 0,
			"100 <13>Nov 28 10:00:00 host app: cut",
			[]string{"REJECT syslog frame cut short: the connection ended 33 bytes into a frame of 100: <13>Nov 28 10:00:00 host app: cut"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink := &collectSink{}
			l, _ := serve(t, Config{Listen: "tcp://127.0.0.1:0", MaxMessage: tc.max}, sink)
			c := dial(t, "tcp", l)
			if _, err := c.Write([]byte(tc.send)); err != nil {
				t.Fatal(err)
			}
			c.(*net.TCPConn).CloseWrite()
			got := lines(sink.wait(t, len(tc.want)))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
			// The stream ended: the connection closes and is counted.
			deadline := time.Now().Add(5 * time.Second)
			for l.Stats().Connections != 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			st := l.Stats()
			if st.FramingErrors != tc.framing || st.Messages != uint64(len(tc.want)) || st.Bytes != uint64(len(tc.send)) ||
				st.Accepted != 1 || st.Connections != 0 {
				t.Errorf("stats %+v, want %d framing errors, %d messages, %d bytes, 1 accepted, 0 open", st, tc.framing, len(tc.want), len(tc.send))
			}
		})
	}
}

// A bad octet count with no line end within the limit cannot resync: the
// bytes go on as a reject and the connection is closed.
func TestStreamFramingLost(t *testing.T) {
	sink := &collectSink{}
	l, _ := serve(t, Config{Listen: "tcp://127.0.0.1:0", MaxMessage: 16}, sink)
	c := dial(t, "tcp", l)
	if _, err := c.Write([]byte("12 <1>abcdefghi9xx no line end here at all")); err != nil {
		t.Fatal(err)
	}
	recs := sink.wait(t, 2)
	if !strings.HasSuffix(string(recs[0].Line), " 127.0.0.1 abcdefghi") || recs[1].Reject == "" || !strings.Contains(recs[1].Reject, "connection closed") {
		t.Errorf("got %q", lines(recs))
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Errorf("connection not closed by the listener: %v", err)
	}
}

// A sink that blocks holds the sender back through TCP's flow control; once
// it takes again, every message arrives.
func TestTCPBackPressure(t *testing.T) {
	sink := &collectSink{hold: make(chan struct{})}
	l, _ := serve(t, Config{Listen: "tcp://127.0.0.1:0"}, sink)
	c := dial(t, "tcp", l)
	msg := []byte("<13>Nov 28 10:00:00 host app: " + strings.Repeat("x", 200) + "\n")
	sent := 0
	c.SetWriteDeadline(time.Now().Add(time.Second))
	for {
		if _, err := c.Write(msg); err != nil {
			if !strings.Contains(err.Error(), "timeout") {
				t.Fatal(err)
			}
			break
		}
		sent++
		if sent > 1_000_000 {
			t.Fatal("the sender was never blocked")
		}
	}
	// The write that timed out may have sent part of its message: finish
	// it.
	c.SetWriteDeadline(time.Time{})
	close(sink.hold)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	recs := sink.wait(t, sent)
	for _, r := range recs {
		if r.Reject != "" || !strings.HasSuffix(string(r.Line), "x") {
			t.Fatalf("a message arrived broken: %q (%s)", r.Line, r.Reject)
		}
	}
	if len(recs) < sent || len(recs) > sent+2 {
		t.Errorf("%d records of %d (+1 or 2) messages sent", len(recs), sent)
	}
	t.Logf("sender blocked after %d messages (%d KiB)", sent, sent*len(msg)>>10)
}

func TestUDPDropsCounted(t *testing.T) {
	sink := &collectSink{full: true}
	l, _ := serve(t, Config{Listen: "udp://127.0.0.1:0"}, sink)
	c := dial(t, "udp", l)
	for i := 0; i < 10; i++ {
		if _, err := fmt.Fprintf(c, "<13>Nov 28 10:00:00 host app: %d", i); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().Dropped < 10 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := l.Stats(); st.Dropped != 10 || st.Messages != 0 {
		t.Errorf("stats %+v, want 10 dropped, 0 messages", st)
	}
}

func TestUDPDatagrams(t *testing.T) {
	sink := &collectSink{}
	l, _ := serve(t, Config{Listen: "udp://127.0.0.1:0", MaxMessage: 40}, sink)
	c := dial(t, "udp", l)
	for _, d := range []string{
		"<13>Nov 28 10:00:00 host app: one\n<13>Nov 28 10:00:01 host app: two\n",
		"\n\x00",
		"<13>Nov 28 10:00:00 host app: " + strings.Repeat("z", 100),
	} {
		if _, err := c.Write([]byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	got := lines(sink.wait(t, 3))
	want := []string{"Nov 28 10:00:00 host app: one", "Nov 28 10:00:01 host app: two",
		"REJECT syslog message of 130 bytes is longer than the limit of 40 bytes: its first 40 bytes are kept, the rest dropped: <13>Nov 28 10:00:00 host app: zzzzzzzzzz"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if st := l.Stats(); st.Messages != 3 || st.FramingErrors != 1 {
		t.Errorf("stats %+v", st)
	}
}

// IPv6 senders are named in brackets.
func TestUDPSourceIPv6(t *testing.T) {
	sink := &collectSink{}
	l, err := Listen(Config{Listen: "udp://[::1]:0"})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	l.udp.Close()
	l, _ = serve(t, Config{Listen: "udp://[::1]:0", Format: "netfilter"}, sink)
	c := dial(t, "udp", l)
	c.Write([]byte("<4>kernel: DROP IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2"))
	r := sink.wait(t, 1)[0]
	if r.Source != "syslog+udp://[::1]" || r.Format != "netfilter" || !strings.HasSuffix(string(r.Line), " ::1 kernel: DROP IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2") {
		t.Errorf("record %+v", r)
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "homesoc test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	if _, err := Listen(Config{Listen: "tls://127.0.0.1:0", CertFile: certFile}); err == nil || !strings.Contains(err.Error(), "load certificate") {
		t.Errorf("tls without a key: %v", err)
	}
	sink := &collectSink{}
	l, _ := serve(t, Config{Listen: "tls://127.0.0.1:0", CertFile: certFile, KeyFile: keyFile}, sink)
	c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := "<134>1 2024-11-28T10:00:00Z fw filterlog 1 - - 5,,,1000000103,igb0,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,198.51.100.7,192.0.2.1,40000,443,0,S,123,,64240,,mss"
	fmt.Fprintf(c, "%d %s%d %s", len(msg), msg, len(msg), msg)
	recs := sink.wait(t, 2)
	if recs[0].Source != "syslog+tls://127.0.0.1" || string(recs[0].Line) != msg || string(recs[1].Line) != msg {
		t.Errorf("records %q from %q", lines(recs), recs[0].Source)
	}
	// A client that does not speak TLS is counted and does not stop the
	// listener.
	raw := dial(t, "tcp", l)
	raw.Write([]byte("13 <13>plain text\n"))
	raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw.Read(make([]byte, 100))
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().TLSErrors == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := l.Stats(); st.TLSErrors != 1 {
		t.Errorf("stats %+v, want 1 TLS error", st)
	}
}

func TestMaxConnsAndIdle(t *testing.T) {
	sink := &collectSink{}
	l, _ := serve(t, Config{Listen: "tcp://127.0.0.1:0", MaxConns: 1, IdleTimeout: 200 * time.Millisecond}, sink)
	c1 := dial(t, "tcp", l)
	c1.Write([]byte("<13>one\n"))
	sink.wait(t, 1)
	c2 := dial(t, "tcp", l)
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Errorf("second connection over max_conns 1 not closed: %v", err)
	}
	// The first idles out; then a new one is taken.
	c1.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := c1.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Errorf("idle connection not closed: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("idle connection closed after %v", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().Connections != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	c3 := dial(t, "tcp", l)
	c3.Write([]byte("<13>three\n"))
	sink.wait(t, 2)
	if st := l.Stats(); st.Refused != 1 || st.Accepted != 2 {
		t.Errorf("stats %+v, want 1 refused, 2 accepted", st)
	}
}

// At a stop, what was read is handed on, even to a sink that blocks for a
// while, and a connection's last message without its line end counts.
func TestStopHandsOnWhatWasRead(t *testing.T) {
	sink := &collectSink{hold: make(chan struct{})}
	l, stop := serve(t, Config{Listen: "tcp://127.0.0.1:0"}, sink)
	c := dial(t, "tcp", l)
	c.Write([]byte("<13>Nov 28 10:00:00 host app: a\n<13>Nov 28 10:00:00 host app: b"))
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().Bytes == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { done <- stop() }()
	time.Sleep(50 * time.Millisecond)
	close(sink.hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := lines(sink.records())
	if strings.Join(got, "|") != "Nov 28 10:00:00 host app: a|Nov 28 10:00:00 host app: b" {
		t.Errorf("got %q", got)
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Error("listener still accepting after Serve returned")
	}
}

func TestListenErrors(t *testing.T) {
	for _, s := range []string{"127.0.0.1:514", "http://127.0.0.1:514", "udp://127.0.0.1", "tcp://"} {
		if _, err := Listen(Config{Listen: s}); err == nil || !strings.Contains(err.Error(), "syslog listen") {
			t.Errorf("Listen(%q): %v", s, err)
		}
	}
}
