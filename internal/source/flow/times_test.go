package flow

import (
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// TestIPFIXSysUpTime: flowStart/EndSysUpTime are placed with the
// systemInitTimeMilliseconds the exporter sends as options data (as
// MikroTik and others do), and a record that carries it itself.
func TestIPFIXSysUpTime(t *testing.T) {
	initMs := uint64(secs-3600) * 1000                                    // booted an hour before the export
	opts := set(3, append(append(append(u16(400), u16(2)...), u16(1)...), // template 400: 2 fields, 1 scope
		append(append(u16(149), u16(4)...), append(u16(160), u16(8)...)...)...))
	optData := set(400, append(u32(9), u64(initMs)...))
	fields := []field{{8, ip("192.0.2.10")}, {12, ip("192.0.2.20")}, {4, u8(17)}, {22, u32(3590000)}, {21, u32(3595000)}}
	withInit := append(append([]field{}, fields...), field{160, u64(initMs + 1000)})

	d := newDecoder(ProtocolNetFlow)
	now := time.Unix(secs, 0)
	var out []source.Record
	out = d.datagram(addr("192.0.2.1"), ipfixDatagram(secs, 1, 9, opts, optData, templateSet(2, 300, fields), templateSet(2, 301, withInit)), now, out)
	out = d.datagram(addr("192.0.2.1"), ipfixDatagram(secs, 2, 9, dataSet(300, fields), dataSet(301, withInit)), now, out)
	if len(out) != 2 {
		t.Fatalf("%d records: %+v", len(out), out)
	}
	for i, want := range []string{"2023-11-14T22:13:10Z", "2023-11-14T22:13:11Z"} {
		ev := out[i].Event
		if got := ev.Time.Format(time.RFC3339); got != want || ev.DurationS != 5 {
			t.Errorf("record %d: time %s duration %v, want %s and 5s", i, got, ev.DurationS, want)
		}
	}
	if s := d.stats(); s.Skipped != 1 {
		t.Errorf("options data not skipped: %+v", s)
	}
}

// TestPartialDatagram: the records before a fault in a datagram are kept,
// and the datagram is rejected with the fault.
func TestPartialDatagram(t *testing.T) {
	d := newDecoder(ProtocolNetFlow)
	now := time.Unix(secs, 0)
	dgs := fixtures()["v9"]
	d.datagram(addr("192.0.2.1"), dgs[0], now, nil)
	bad := v9Datagram(100000, secs, 9, 1, dataSet(256, v9Fields), []byte{0x01, 0x00, 0x00, 0x02})
	out := d.datagram(addr("192.0.2.1"), bad, now, nil)
	if len(out) != 2 || out[0].Event == nil || out[1].Reject == "" || !strings.Contains(out[1].Reject, "negative length") {
		t.Fatalf("got %+v", out)
	}
	if s := d.stats(); s.Records != 1 || s.DecodeErrors != 1 {
		t.Errorf("stats %+v", s)
	}
}
