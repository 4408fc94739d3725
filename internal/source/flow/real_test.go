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
		addr, ok := from[group]
		if !ok {
			addr = fmt.Sprintf("127.0.1.%d", i+1)
			from[group] = addr
		}
		before, n0 := l.Stats(), len(sink.records())
		sendFrom(t, l, addr, b)
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
			if r.Source != "netflow://"+addr || ev.Sensor != addr {
				t.Errorf("%s: source %q sensor %q", name, r.Source, ev.Sensor)
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
