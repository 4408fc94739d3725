package flow

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// FuzzDatagram decodes any datagram, as either protocol, after the
// fixtures' templates: it must hand on records or one reject, never panic
// (the decoder recovers from goflow2's panics, but a recovered panic fails
// here so that the fuzzer finds them), never loop.
func FuzzDatagram(f *testing.F) {
	for name, dgs := range fixtures() {
		for _, d := range dgs {
			f.Add(protocolOf(name), d)
		}
	}
	f.Fuzz(func(t *testing.T, protocol string, b []byte) {
		if protocol != ProtocolSFlow {
			protocol = ProtocolNetFlow
		}
		if len(b) > 65535 {
			return
		}
		d := newDecoder(protocol)
		now := time.Unix(secs, 0)
		from := netip.MustParseAddr("192.0.2.1")
		d.datagram(from, v9Tpl, now, nil)
		d.datagram(from, ipfixDatagram(secs, 1, 9, ipfixTpl), now, nil)
		for range 2 { // the second time with the templates it may have set
			recs := d.datagram(from, b, now, nil)
			for i, r := range recs {
				if (r.Event == nil) == (r.Reject == "") || len(r.Line) == 0 && len(b) > 0 {
					t.Fatalf("record %d: event %v reject %q line %q", i, r.Event, r.Reject, r.Line)
				}
				if r.Reject != "" && (i != len(recs)-1 || len(r.Line) > 2*maxRejectHex) {
					t.Fatalf("reject %d of %d, line of %d", i, len(recs), len(r.Line))
				}
				if strings.Contains(r.Reject, "panic") {
					t.Fatalf("decoder panic: %s", r.Reject)
				}
				if r.Event != nil && (r.Event.ID.IsZero() || r.Event.Time.IsZero() || r.Event.Raw != string(r.Line)) {
					t.Fatalf("event %+v", r.Event)
				}
			}
		}
	})
}
