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
	for name, c := range map[string][2][]string{
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
}
