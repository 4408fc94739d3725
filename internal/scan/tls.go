package scan

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"time"
)

// probeTLS does a TLS handshake (any certificate accepted: we read it, we
// do not trust it), records the version, ALPN and certificate, then asks
// HTTP over it; a server that speaks first over TLS (IMAPS, POP3S, SMTPS,
// FTPS implicit) is matched from its banner instead.
func probeTLS(ctx context.Context, pr *prober) *match {
	raw, err := pr.dial(ctx)
	if err != nil {
		return nil
	}
	defer raw.Close()
	c := tls.Client(raw, &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // identification only: the certificate is reported, not trusted
		NextProtos:         []string{"http/1.1"},
		MinVersion:         tls.VersionTLS10,
	})
	hctx, cancel := context.WithTimeout(ctx, pr.wait)
	err = c.HandshakeContext(hctx)
	cancel()
	if err != nil {
		return nil
	}
	st := c.ConnectionState()
	info := tlsInfo(st)
	// A server-first protocol speaks right after the handshake: listen
	// for a moment before asking HTTP.
	b, _ := pr.send(ctx, c, nil, pr.gap, lineDone)
	var m *match
	switch {
	case len(b) > 0:
		m = matchBanner(b, pr.ap.Port())
		if m == nil {
			m = &match{Service: "ssl", Evidence: Evidence{Banner: escapeBanner(b)}}
		} else {
			m.Service = tlsName(m.Service)
		}
	default:
		if a := httpGet(ctx, c, pr.hostHeader(), "/", pr.wait); a != nil {
			m = httpMatch(a, followRedirect(ctx, pr, a, "https", pr.dialTLS), "https")
			if m.Service == "ipp" {
				m.Service = "ipps"
			}
		} else {
			m = &match{Service: "ssl"}
		}
	}
	m.Evidence.TLS = info
	return m
}

// dialTLS opens a new TLS connection to the port, certificate unchecked.
func (pr *prober) dialTLS(ctx context.Context) (net.Conn, error) {
	raw, err := pr.dial(ctx)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // identification only
	hctx, cancel := context.WithTimeout(ctx, pr.wait)
	defer cancel()
	if err := c.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, err
	}
	return c, nil
}

// tlsName is a service's name over TLS.
func tlsName(svc string) string {
	switch svc {
	case "imap", "pop3", "smtp", "ftp":
		return svc + "s"
	}
	return "ssl/" + svc
}

// tlsInfo reads what a handshake showed.
func tlsInfo(st tls.ConnectionState) *TLSInfo {
	info := &TLSInfo{Version: tlsVersion(st.Version), ALPN: st.NegotiatedProtocol}
	if len(st.PeerCertificates) == 0 {
		return info
	}
	cert := st.PeerCertificates[0]
	info.Subject = cert.Subject.String()
	info.Issuer = cert.Issuer.String()
	info.DNSNames = cert.DNSNames
	for _, ip := range cert.IPAddresses {
		info.DNSNames = append(info.DNSNames, ip.String())
	}
	info.NotBefore = cert.NotBefore.UTC().Truncate(time.Second)
	info.NotAfter = cert.NotAfter.UTC().Truncate(time.Second)
	info.SelfSign = selfSigned(cert)
	return info
}

// selfSigned reports whether cert names itself as issuer and its own key
// verifies its signature.
func selfSigned(cert *x509.Certificate) bool {
	if !bytes.Equal(cert.RawIssuer, cert.RawSubject) {
		return false
	}
	return cert.CheckSignatureFrom(cert) == nil || cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
}

// tlsVersion names a protocol version: "TLS 1.3".
func tlsVersion(v uint16) string { return tls.VersionName(v) }
