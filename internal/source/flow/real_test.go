package flow

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

const realDir = "../../../../shared/real-logs/netflow"

// TestRealDatagrams sends every real export datagram (each template file
// before its data file) over loopback UDP, each file from its own loopback
// address, and checks that each decodes into plausible records.
func TestRealDatagrams(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(realDir, "*.dat"))
	if len(files) == 0 {
		t.Skip("no real netflow samples in", realDir)
	}
	// A template file sorts before its data file.
	key := func(f string) string { return strings.Replace(filepath.Base(f), "_tpl", "_0tpl", 1) }
	sort.Slice(files, func(i, j int) bool { return key(files[i]) < key(files[j]) })

	sink := &collectSink{}
	l := startListener(t, ProtocolNetFlow, sink)
	var table strings.Builder
	fmt.Fprintf(&table, "%-70s %9s %7s %7s %8s %11s\n", "file", "datagrams", "records", "skipped", "rejected", "no-template")
	from := map[string]string{} // a template's data comes from the same exporter
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		group := name[:strings.LastIndexAny(name, "_.")]
		if strings.Contains(name, "_tpl") || strings.Contains(name, "_data") {
			group = name[:strings.LastIndex(name, "_")]
		}
		sender, ok := from[group]
		if !ok {
			sender = fmt.Sprintf("127.0.1.%d", i+1)
			from[group] = sender
		}
		before, n0 := l.Stats(), len(sink.records())
		sendFrom(t, l, sender, b)
		after := l.Stats()
		recs := sink.records()[n0:]
		skipped := after.Skipped - before.Skipped
		fmt.Fprintf(&table, "%-70s %9d %7d %7d %8d %11d\n", name, after.Datagrams-before.Datagrams,
			after.Records-before.Records, skipped, after.DecodeErrors-before.DecodeErrors, after.TemplateMisses-before.TemplateMisses)
		for _, r := range recs {
			if r.Reject != "" {
				t.Errorf("%s: rejected: %s", name, r.Reject)
				continue
			}
			ev := r.Event
			if !ev.SrcIP.IsValid() || !ev.DstIP.IsValid() {
				t.Errorf("%s: no addresses: %s", name, r.Line)
			}
			if ev.Time.Year() < 2000 || ev.Time.After(time.Now().Add(time.Hour)) {
				t.Errorf("%s: implausible time %v: %s", name, ev.Time, r.Line)
			}
			if r.Source != "netflow://"+sender || ev.Sensor != sender {
				t.Errorf("%s: source %q sensor %q", name, r.Source, ev.Sensor)
			}
		}
		if w, ok := realSpots[name]; ok {
			if w.i >= len(recs) {
				t.Errorf("%s: no record %d", name, w.i)
			} else if ev := recs[w.i].Event; ev.SrcIP != addr(w.src) || ev.SrcPort != w.sport || ev.DstIP != addr(w.dst) ||
				ev.DstPort != w.dport || ev.Protocol != w.proto || ev.BytesOut != w.bytes || ev.PacketsOut != w.packets ||
				ev.Time.Format(time.RFC3339) != w.time || ev.TCPFlags != w.flags || ev.Status != w.status ||
				ev.NATIP.String() != w.nat || ev.InIface != w.in || ev.OutIface != w.out {
				t.Errorf("%s: record %d:\n got %+v\nwant %+v", name, w.i, *ev, w)
			}
		}
		// FortiOS's data256 is options data (its sampler and interfaces).
		if !strings.Contains(name, "_tpl") && len(recs) == 0 && skipped == 0 {
			t.Errorf("%s: no records", name)
		}
	}
	if s := l.Stats(); s.Pending != 0 || s.NoTemplateDrops != 0 {
		t.Errorf("pending %d, no-template drops %d", s.Pending, s.NoTemplateDrops)
	}
	t.Logf("\n%s", table.String())
	if testing.Verbose() {
		for _, r := range sink.records() {
			t.Logf("%+v", *r.Event)
		}
	}
}

// realSpots are records of the real samples checked field by field
// (values as decoded here, checked against the fields of the records' text).
var realSpots = map[string]struct {
	i                                 int
	src, dst                          string
	sport, dport                      uint16
	proto                             string
	bytes, packets                    uint64
	time, flags, status, nat, in, out string
}{
	"logstash-codec-netflow-ipfix.dat": {0, "192.168.253.1", "192.168.253.128", 60560, 22, "tcp", 260, 5,
		"2015-05-13T11:20:13Z", "ACK", "", "invalid IP", "0", "0"},
	"logstash-codec-netflow-ipfix_test_mikrotik_data258.dat": {0, "10.10.8.197", "192.168.128.17", 123, 123, "udp", 152, 2,
		"2017-07-19T16:18:08Z", "", "", "192.168.230.216", "13", "7"},
	"logstash-codec-netflow-netflow9_test_cisco_asa_1_data.dat": {0, "192.168.14.1", "2.2.2.11", 0, 0, "icmp", 56, 0,
		"2015-10-09T09:47:47Z", "", "flow-deleted", "invalid IP", "3", "2"},
	"logstash-codec-netflow-netflow5_test_microtik.dat": {29, "10.0.8.1", "192.168.0.1", 80, 51826, "tcp", 11442, 13,
		"2016-07-21T13:51:42Z", "SYN ACK ECE", "", "invalid IP", "13", "46"},
}
