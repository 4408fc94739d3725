package exposure

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/scan"
)

// listenOn serves a banner on addr:port until the returned func closes it.
func listenOn(t *testing.T, addr string, port uint16, banner string) func() {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(int(port))))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(banner))
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return func() { l.Close() }
}

// TestRescanTicket: a ticket from an exposure run; the port closes and the
// rescan resolves the ticket by rescan with the port closed in its
// history; the port opens again and the next rescan reopens it; a later
// exposure run keeps the detection scan and the history.
func TestRescanTicket(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	const banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
	port, closeSSH := listen(t, "127.0.0.5", banner)
	other, closeOther := listen(t, "127.0.0.5", "SSH-2.0-dropbear_2022.83\r\n")
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := st.UpsertAlerts(ctx, []alert.Alert{suspect("dev-c", "LAPTOP-C", "127.0.0.5", "192.168.2.7", now)}); err != nil {
		t.Fatal(err)
	}
	var jsonl bytes.Buffer
	runRes, err := Run(ctx, st, Options{Since: now.Add(-time.Hour), Allow: loopback,
		Scan: func(ctx context.Context, targets []netip.Addr) (scan.Scan, error) {
			return scan.Run(ctx, targets, scan.Options{Ports: []uint16{port, other}, Allow: loopback})
		}})
	if err != nil || runRes.Opened != 1 {
		t.Fatalf("exposure run: %+v, %v", runRes, err)
	}
	detected := runRes.ScanID
	if tk := runRes.Tickets[0]; tk.DetectedScanID != detected || tk.ScanID != detected || len(tk.OpenPorts) != 2 {
		t.Fatalf("opened ticket %+v: want detected_scan_id %s and two open ports", tk, detected)
	}
	id := runRes.Tickets[0].ID
	var scanned [][]uint16
	opts := RescanOptions{Allow: loopback, Tickets: &jsonl,
		Scan: func(ctx context.Context, target netip.Addr, tcp, udp []uint16) (scan.Scan, error) {
			scanned = append(scanned, tcp, udp)
			return scan.Run(ctx, []netip.Addr{target}, scan.Options{Ports: tcp, Allow: loopback, Args: "rescan"})
		}}
	stored := func() alert.Alert {
		t.Helper()
		as, err := st.Alerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.ID == id {
				return a
			}
		}
		t.Fatalf("ticket %s not stored", id)
		return alert.Alert{}
	}
	rescan := func() RescanResult {
		t.Helper()
		res, err := RescanTicket(ctx, st, stored(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// Both ports still open: the ticket is updated, nothing changed.
	res := rescan()
	if res.Outcome != RescanUpdated || res.PreviousStatus != alert.StatusOpen || res.Diff.Changes() != 0 ||
		len(res.Diff.Unchanged) != 2 || res.Ticket.Status != alert.StatusOpen {
		t.Fatalf("rescan with both ports open: %+v", res)
	}
	lo, hi := min(port, other), max(port, other)
	if want := [][]uint16{{lo, hi}, {}}; !reflect.DeepEqual(scanned, want) {
		t.Fatalf("rescan tried %v, want the ticket's scan's ports %v and no UDP", scanned, want)
	}

	// The SSH server closes: still exposed (the other port), one closed.
	closeSSH()
	res = rescan()
	ssh := PortChange{Port: port, Proto: scan.TCP, Before: scan.Open, After: "", Service: "ssh OpenSSH 9.2p1"}
	if res.Outcome != RescanUpdated || len(res.Ticket.OpenPorts) != 1 || res.Ticket.OpenPorts[0].Port != other ||
		!reflect.DeepEqual(res.Rescan.Closed, []PortChange{ssh}) || len(res.Rescan.Opened) != 0 {
		t.Fatalf("rescan after SSH closed: %+v", res)
	}

	// Everything closed: resolved by rescan, the history shows both closed.
	closeOther()
	res = rescan()
	a := stored()
	tk, err := TicketOf(a)
	if err != nil {
		t.Fatal(err)
	}
	last := a.History[len(a.History)-1]
	if res.Outcome != RescanResolved || a.Status != alert.StatusResolved || last.State != alert.StatusResolved ||
		last.By != alert.ByRescan || last.Comment != "rescan found every port closed" || len(tk.OpenPorts) != 0 {
		t.Fatalf("rescan with every port closed: outcome %s, alert %+v, ticket %+v", res.Outcome, a, tk)
	}
	if len(tk.Rescans) != 3 || tk.DetectedScanID != detected {
		t.Fatalf("ticket rescans %+v, detected %s: want 3 rescans against %s", tk.Rescans, tk.DetectedScanID, detected)
	}
	r := tk.Rescans[2]
	if r.DetectedScanID != detected || r.ScanID != res.Scan.ID || r.Status != alert.StatusResolved || len(r.Closed) != 2 ||
		r.Closed[0].Port != lo || r.Closed[1].Port != hi || len(r.Opened)+len(r.Changed)+len(r.Unconfirmed) != 0 ||
		!r.At.Equal(tk.ScanTime) {
		t.Fatalf("last rescan %+v", r)
	}

	// SSH listens again: reopened by rescan.
	listenOn(t, "127.0.0.5", port, banner)
	res = rescan()
	a = stored()
	last = a.History[len(a.History)-1]
	if res.Outcome != RescanReopened || res.PreviousStatus != alert.StatusResolved || a.Status != alert.StatusOpen ||
		last.State != alert.StatusOpen || last.By != alert.ByRescan || last.Comment != "rescan found ports open again" {
		t.Fatalf("rescan with SSH open again: outcome %s, alert %+v", res.Outcome, a)
	}
	if len(res.Rescan.Closed) != 1 || res.Rescan.Closed[0].Port != other || len(res.Diff.Unchanged) != 1 ||
		res.Diff.Unchanged[0].Port != port || a.Title != "Router of LAPTOP-C exposes 1 port(s) to the internet" {
		t.Fatalf("reopening rescan %+v, title %q", res.Rescan, a.Title)
	}
	if n := strings.Count(jsonl.String(), "\n"); n != 4 {
		t.Fatalf("tickets.jsonl got %d tickets, want one per rescan (4)", n)
	}

	// An exposure run keeps the detection scan and the rescans.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	runRes, err = Run(ctx, st, Options{Since: now.Add(-time.Hour), Allow: loopback,
		Scan: func(ctx context.Context, targets []netip.Addr) (scan.Scan, error) {
			return scan.Run(ctx, targets, scan.Options{Ports: []uint16{port, other}, Allow: loopback})
		}})
	if err != nil || runRes.Updated != 1 {
		t.Fatalf("exposure run after the rescans: %+v, %v", runRes, err)
	}
	if tk, _ := TicketOf(stored()); tk.DetectedScanID != detected || len(tk.Rescans) != 4 || tk.ScanID != runRes.ScanID {
		t.Fatalf("after exposure run: detected %s, %d rescans, scan %s", tk.DetectedScanID, len(tk.Rescans), tk.ScanID)
	}
}

// TestRescanRefusesBeforeScanning: a ticket's address outside the allowed
// ranges stops the rescan before any packet, and the ticket is unchanged.
func TestRescanRefusesBeforeScanning(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	sc := scan.Scan{Source: scan.SourceHomesoc, Started: time.Now().UTC(), Finished: time.Now().UTC(), TCPPorts: "22", Hosts: []scan.Host{
		{Addr: netip.MustParseAddr("127.0.0.6"), Status: "up", Ports: []scan.Port{{Port: 22, Proto: scan.TCP, State: scan.Open}}}}}
	id, err := st.WriteScan(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	tk := Ticket{ID: "t1", Status: alert.StatusOpen, GlobalIP: netip.MustParseAddr("127.0.0.6"), ScanID: id, ScanTime: sc.Finished,
		OpenPorts: []Finding{{Port: 22, Proto: scan.TCP, State: scan.Open}}}
	a := tk.Alert(sc.Finished)
	scanned := false
	_, err = RescanTicket(ctx, st, a, RescanOptions{Scan: func(context.Context, netip.Addr, []uint16, []uint16) (scan.Scan, error) {
		scanned = true
		return scan.Scan{}, nil
	}})
	if err == nil || scanned || !strings.Contains(err.Error(), "pass --allow 127.0.0.0/8 to scan it") {
		t.Fatalf("err %v, scanned %t: want a refusal naming --allow, and no scan", err, scanned)
	}
	if _, err := RescanTicket(ctx, st, alert.Alert{ID: "x", RuleID: "ioc-contact"}, RescanOptions{}); err == nil ||
		err.Error() != `alert x is of rule "ioc-contact", not an exposure ticket` {
		t.Fatalf("rescan of another rule's alert: %v", err)
	}
}

// TestRescanUnreachable: an address where nothing answered says nothing
// about its ports: the scan is stored, the ticket is unchanged.
func TestRescanUnreachable(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	addr := netip.MustParseAddr("127.0.0.7")
	at := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	sc := scan.Scan{Source: scan.SourceHomesoc, Started: at, Finished: at, TCPPorts: "22,80", Hosts: []scan.Host{
		{Addr: addr, Status: "up", Ports: []scan.Port{{Port: 22, Proto: scan.TCP, State: scan.Open}}}}}
	id, err := st.WriteScan(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	tk := Ticket{ID: "t1", Status: alert.StatusOpen, GlobalIP: addr, ScanID: id, ScanTime: at,
		OpenPorts: []Finding{{Port: 22, Proto: scan.TCP, State: scan.Open}}}
	if _, err := st.UpsertAlerts(ctx, []alert.Alert{tk.Alert(at)}); err != nil {
		t.Fatal(err)
	}
	as, err := st.Alerts(ctx)
	if err != nil || len(as) != 1 {
		t.Fatalf("alerts %+v, %v", as, err)
	}
	var tried []uint16
	res, err := RescanTicket(ctx, st, as[0], RescanOptions{Allow: loopback,
		Scan: func(_ context.Context, target netip.Addr, tcp, _ []uint16) (scan.Scan, error) {
			tried = tcp
			now := time.Now().UTC()
			return scan.Scan{Source: scan.SourceHomesoc, Started: now, Finished: now, TCPPorts: scan.FormatPorts(tcp),
				Hosts: []scan.Host{{Addr: target, Status: "down", Ports: []scan.Port{}}}}, nil
		}})
	if err != nil || res.Outcome != RescanUnreachable || res.Scan.ID == "" || !reflect.DeepEqual(tried, []uint16{22, 80}) {
		t.Fatalf("res %+v, err %v, tried %v: want unreachable after a stored scan of 22 and 80", res, err, tried)
	}
	after, err := st.Alerts(ctx)
	if err != nil || !reflect.DeepEqual(after, as) {
		t.Fatalf("alerts after an unreachable rescan:\n%+v\nwant unchanged:\n%+v", after, as)
	}
	if _, err := st.Scan(ctx, res.Scan.ID); err != nil {
		t.Fatalf("the unreachable rescan's scan is not stored: %v", err)
	}
}
