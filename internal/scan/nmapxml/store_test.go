package nmapxml_test

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/scan/nmapxml"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// TestImportStoreDiff: an imported scan is stored once however often it is
// imported, reads back as imported, and diffs against a later scan of ours.
func TestImportStoreDiff(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := os.ReadFile("testdata/homesoc.xml")
	if err != nil {
		t.Fatal(err)
	}
	imported, _, err := nmapxml.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.WriteScan(ctx, imported)
	if err != nil {
		t.Fatal(err)
	}
	again, _, _ := nmapxml.Decode(bytes.NewReader(b))
	if id2, err := st.WriteScan(ctx, again); err != nil || id2 != id {
		t.Fatalf("second import: %s, %v; want %s", id2, err, id)
	}
	got, err := st.Scan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := store.NormalScan(imported)
	want.ID = id
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v\nwant %+v", got, want)
	}

	ours := scan.Scan{Source: scan.SourceHomesoc, Args: "homesoc scan ::1", Started: imported.Finished.Add(3600e9),
		Hosts: []scan.Host{{Addr: netip.IPv6Loopback(), Status: "up", Ports: []scan.Port{
			{Port: 22, Proto: "tcp", State: "open", Service: "ssh", Product: "OpenSSH", Version: "9.2p1 Debian 2+deb12u3"},
			{Port: 80, Proto: "tcp", State: "open", Service: "http", Product: "lighttpd", Version: "1.4.76"},
			{Port: 8, Proto: "udp", State: "open|filtered"},
			{Port: 10, Proto: "udp", State: "open", Service: "wireguard"},
		}}}}
	if _, err := st.WriteScan(ctx, ours); err != nil {
		t.Fatal(err)
	}
	latest, err := st.LatestScans(ctx, netip.IPv6Loopback(), 2)
	if err != nil || len(latest) != 2 {
		t.Fatalf("latest scans: %d, %v", len(latest), err)
	}
	d, err := scan.Diff(latest[1], latest[0], netip.IPv6Loopback())
	if err != nil {
		t.Fatal(err)
	}
	summary := func(ps []scan.PortDiff) []string {
		out := []string{}
		for _, p := range ps {
			out = append(out, p.Proto+"/"+strconv.Itoa(int(p.Port)))
		}
		return out
	}
	// ours recorded no port sets: what it does not list counts as tried.
	for name, c := range map[string][2][]string{
		"not scanned": {summary(d.NotScanned), {}},
		"opened":      {summary(d.Opened), {"udp/10"}},
		"closed":      {summary(d.Closed), {"tcp/8443"}},
		"changed":     {summary(d.Changed), {"tcp/80"}},
		"unconfirmed": {summary(d.Unconfirmed), {"udp/8"}},
		"unchanged":   {summary(d.Unchanged), {"tcp/22"}},
	} {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s: %v, want %v", name, c[0], c[1])
		}
	}

	// Both ways with port sets. A rescan of ours without UDP and with top100,
	// which holds 8443 and not 8: 8443 is closed, udp/8 not scanned. And the
	// import (tcp 1-100, udp 1-10) after a top1000 scan of ours that found
	// 8080 and udp/1900: neither is closed, the import never tried them.
	noUDP := ours
	noUDP.Started, noUDP.TCPPorts = noUDP.Started.Add(3600e9), scan.FormatPorts(scan.Top100())
	noUDP.Hosts = []scan.Host{{Addr: netip.IPv6Loopback(), Status: "up", Ports: ours.Hosts[0].Ports[:2]}}
	if d, err = scan.Diff(got, noUDP, netip.IPv6Loopback()); err != nil {
		t.Fatal(err)
	}
	if c, n := summary(d.Closed), summary(d.NotScanned); !reflect.DeepEqual(c, []string{"tcp/8443"}) || !reflect.DeepEqual(n, []string{"udp/8"}) {
		t.Errorf("rescan without udp: closed %v, not scanned %v; want tcp/8443 and udp/8", c, n)
	}
	top1000 := scan.Scan{ID: "ours", Source: scan.SourceHomesoc, TCPPorts: scan.FormatPorts(scan.Top1000()), UDPPorts: "53,1900",
		Hosts: []scan.Host{{Addr: netip.IPv6Loopback(), Status: "up", Ports: []scan.Port{
			{Port: 22, Proto: "tcp", State: "open", Service: "ssh"},
			{Port: 8080, Proto: "tcp", State: "open", Service: "http"},
			{Port: 1900, Proto: "udp", State: "open", Service: "upnp"},
		}}}}
	if d, err = scan.Diff(top1000, got, netip.IPv6Loopback()); err != nil {
		t.Fatal(err)
	}
	if c, n := summary(d.Closed), summary(d.NotScanned); len(c) != 0 || !reflect.DeepEqual(n, []string{"tcp/8080", "udp/1900"}) {
		t.Errorf("import after top1000: closed %v, not scanned %v; want none and tcp/8080 udp/1900", c, n)
	}
}
