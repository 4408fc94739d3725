package scan

import (
	"testing"

	"github.com/homesoc/homesoc/internal/scan/scantest"
)

// FuzzMatchBanner feeds arbitrary first bytes to the banner matchers and
// telnet negotiation: whatever a service sends, they must not panic, and a
// match always names a service.
func FuzzMatchBanner(f *testing.F) {
	for _, s := range []string{
		scantest.OpenSSHBanner, scantest.DropbearBanner, scantest.VsftpdBanner, scantest.ProFTPDBanner,
		scantest.PureFTPdBanner, scantest.BusyBoxFTPBanner, scantest.PostfixBanner, scantest.DovecotPOP3,
		scantest.DovecotIMAP, scantest.VNCBanner, busyBoxShellGreeting, "SSH-", "RFB ", "220", "\xff\xfa\x18",
		"c\x00\x00\x00\n5.5.5-10.11.6-MariaDB-0+deb12u1\x00\x1f\x00\x00\x00", "\x05\x00\x00\x00\xff\x15\x04",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4096 {
			return
		}
		if m := matchBanner(b, 21); m != nil && m.Service == "" {
			t.Errorf("match without a service for %q", b)
		}
		reply, text := negotiate(b)
		if len(reply)%3 != 0 || len(text) > len(b) {
			t.Errorf("negotiate(%q) = %q, %q", b, reply, text)
		}
		bannerDone(b)
		lineDone(b)
		respBulkDone(b)
		escapeBanner(b)
	})
}

// FuzzParseIPP: any IPP response parses without panicking.
func FuzzParseIPP(f *testing.F) {
	f.Add(ippRequest("ipp://127.0.0.1:631/ipp/print"))
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 1, 4, 0x41, 0, 1, 'a', 0, 1, 'b', 3})
	f.Fuzz(func(t *testing.T, b []byte) { parseIPP(b, ippAttrs) })
}

// FuzzServerProduct: any Server header parses without panicking.
func FuzzServerProduct(f *testing.F) {
	for _, s := range []string{"Apache/2.4.62 (Debian)", "nginx/1.22.1", "OpenWRT/23.05.3 UPnP/1.1 MiniUPnPd/2.3.3", "UPnP/", "(", "CUPS/2.4 IPP/2.1", "LIVE555 Streaming Media v2018.08.28"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		serverProduct(s)
		rtspProduct(s)
	})
}
