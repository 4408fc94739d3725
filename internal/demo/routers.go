package demo

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/upnp/upnptest"
)

// Exposed ports of the story, behind Anna's router.
const (
	TorrentPort = 8080  // forwarded by a UPnP mapping to Anna's laptop
	TelnetPort  = 2323  // forwarded to the camera's telnet (BusyBox)
	UPnPPort    = 49152 // the router's own UPnP control, answering from outside
	SSDPPort    = 1900  // UDP
)

// Services are the stand-ins of the two home routers, listening on two
// loopback addresses: what "exposure run" scans. Close stops them all.
type Services struct {
	Routers Routers
	// IGD is the description URL of the UPnP IGD of Anna's router (what
	// "exposure upnp --igd" takes).
	IGD string

	mu      sync.Mutex
	closers map[string]io.Closer // by "addr:port", so one can be closed alone
}

// StartServices starts the stand-in routers on a free pair of loopback
// addresses in 127.88.0.0/16 and returns once they listen.
func StartServices() (*Services, error) {
	var lastErr error
	for range 20 {
		base := netip.AddrFrom4([4]byte{127, 88, byte(mrand.IntN(256)), byte(2 + 2*mrand.IntN(120))})
		s := &Services{Routers: Routers{Anna: base, Bob: base.Next()}, closers: map[string]io.Closer{}}
		if lastErr = s.start(); lastErr == nil {
			return s, nil
		}
		s.Close()
	}
	return nil, fmt.Errorf("start the demo's stand-in routers on loopback: %w", lastErr)
}

func (s *Services) start() error {
	anna, bob := s.Routers.Anna.String(), s.Routers.Bob.String()
	if err := s.serveHTTP(anna, TorrentPort, nil, torrentUI()); err != nil {
		return err
	}
	if err := s.serveTCP(anna, TelnetPort, busyBoxLogin); err != nil {
		return err
	}
	cert, err := selfSigned("nas-bob.local")
	if err != nil {
		return err
	}
	if err := s.serveHTTP(bob, BobPort, cert, nasPortal()); err != nil {
		return err
	}
	igd, err := upnptest.Start(upnptest.Config{Host: anna, HTTPPort: UPnPPort, SSDPPort: SSDPPort,
		ExternalIP: anna, FriendlyName: "FRITZ!Box 7590", Manufacturer: "AVM", ModelName: "FRITZ!Box 7590",
		Mappings: []scan.PortMapping{
			{ExternalPort: TorrentPort, Proto: scan.TCP, InternalClient: AnnaLocal, InternalPort: TorrentPort,
				Enabled: true, Description: "qBittorrent/4.6.4 WebUI"},
			{ExternalPort: TelnetPort, Proto: scan.TCP, InternalClient: CameraLocal, InternalPort: 23,
				Enabled: true, Description: "IPCam remote access"},
		}})
	if err != nil {
		return err
	}
	s.IGD = igd.URL
	s.closers["igd"] = closerFunc(func() error { igd.Close(); return nil })
	return nil
}

// Stop closes the service on the router's port: the user fixed it.
func (s *Services) Stop(router netip.Addr, port int) {
	key := net.JoinHostPort(router.String(), strconv.Itoa(port))
	s.mu.Lock()
	c := s.closers[key]
	delete(s.closers, key)
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// Close stops every service.
func (s *Services) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.closers {
		c.Close()
		delete(s.closers, k)
	}
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

func (s *Services) listen(host string, port int) (net.Listener, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.closers[l.Addr().String()] = l
	s.mu.Unlock()
	return l, nil
}

func (s *Services) serveHTTP(host string, port int, cert *tls.Certificate, h http.Handler) error {
	l, err := s.listen(host, port)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)} // scanners make handshakes fail on purpose
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
		go srv.ServeTLS(l, "", "")
		return nil
	}
	go srv.Serve(l)
	return nil
}

func (s *Services) serveTCP(host string, port int, handle func(net.Conn)) error {
	l, err := s.listen(host, port)
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := l.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return nil
}

// busyBoxLogin greets as BusyBox telnetd on a camera does: option requests
// (networking/telnetd.c sends DO ECHO, DO NAWS, WILL ECHO, WILL SGA), then,
// once the client answers, the login prompt.
func busyBoxLogin(c net.Conn) {
	if _, err := c.Write([]byte{255, 253, 1, 255, 253, 31, 255, 251, 1, 255, 251, 3}); err != nil {
		return
	}
	buf := make([]byte, 256)
	if _, err := c.Read(buf); err != nil {
		return
	}
	if _, err := c.Write([]byte("\r\nIPCam login: ")); err != nil {
		return
	}
	io.Copy(io.Discard, c)
}

func torrentUI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><head><title>qBittorrent Web UI</title></head><body>Log in</body></html>`)
	})
}

func nasPortal() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx")
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><title>Synology DiskStation - NAS-BOB</title></head><body></body></html>`)
	})
}

// selfSigned makes the certificate a NAS serves out of the box.
func selfSigned(name string) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name, Organization: []string{"Synology Inc."}},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
