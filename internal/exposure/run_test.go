package exposure

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/intended"
	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// listen serves a banner on a free port of addr until the test ends or
// the returned func closes it.
func listen(t *testing.T, addr string, banner string) (uint16, func()) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
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
	return uint16(l.Addr().(*net.TCPAddr).Port), func() { l.Close() }
}

// suspect is an alert of rule inbound-from-internet as detect raises it.
func suspect(device, host, target, local string, seen time.Time) alert.Alert {
	d := map[string]string{"target": target, "device_id": device, "hostname": host, "local_ip": local,
		"os": "Windows 11", "log_type": "crowdstrike-fdr", "events": "3"}
	g := map[string]string{"target": target, "device_id": device}
	return alert.Alert{ID: alert.Identity("inbound-from-internet", []string{"target", "device_id"}, g),
		RuleID: "inbound-from-internet", Title: "t", Severity: "high", Group: g, Detail: d,
		FirstSeen: seen.Add(-time.Hour), LastSeen: seen, Events: 3, UpdatedAt: seen}
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)

	sshPort, closeSSH := listen(t, "127.0.0.2", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
	nasPort, _ := listen(t, "127.0.0.3", "SSH-2.0-dropbear_2022.83\r\n")
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := st.UpsertAlerts(ctx, []alert.Alert{
		suspect("dev-anna", "LAPTOP-ANNA", "127.0.0.2", "192.168.178.23", now.Add(-time.Hour)),
		suspect("dev-bob", "NAS-BOB", "127.0.0.3", "192.168.1.20", now.Add(-2*time.Hour)),
		suspect("dev-old", "OLD", "127.0.0.4", "10.0.0.9", now.Add(-72*time.Hour)), // too old for --since 24h
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddAllowance(ctx, intended.Allowance{DeviceID: "dev-bob", Port: nasPort, Proto: scan.TCP,
		Reason: "NAS portal, approved", Author: "it", Created: store.Now()}); err != nil {
		t.Fatal(err)
	}
	// UPnP listings of two routers: only the one whose external address
	// was scanned explains the ticket's port.
	for _, l := range []store.MappingListing{
		{IGD: "http://127.0.0.1:5000/ctl/IPConn", ExternalIP: "127.0.0.2", Seen: now, Mappings: []scan.PortMapping{
			{ExternalPort: sshPort, Proto: scan.TCP, InternalClient: "192.168.178.50", InternalPort: 22, Enabled: true, Description: "cam"}}},
		{IGD: "http://127.0.0.1:5001/ctl/IPConn", ExternalIP: "127.0.0.99", Seen: now, Mappings: []scan.PortMapping{
			{ExternalPort: sshPort, Proto: scan.TCP, InternalClient: "192.168.178.23", InternalPort: 22, Enabled: true, Description: "other home"}}},
	} {
		if err := st.WriteMappings(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	var tickets bytes.Buffer
	run := func() Result {
		t.Helper()
		res, err := Run(ctx, st, Options{Since: now.Add(-24 * time.Hour), Allow: loopback, Tickets: &tickets,
			Scan: func(ctx context.Context, targets []netip.Addr) (scan.Scan, error) {
				return scan.Run(ctx, targets, scan.Options{Ports: []uint16{sshPort, nasPort}, Allow: loopback})
			}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	res := run()
	if len(res.Suspects) != 2 || len(res.Targets) != 2 {
		t.Fatalf("suspects %+v, targets %v: want anna and bob, not the 3-day-old one", res.Suspects, res.Targets)
	}
	if res.Opened != 1 || len(res.Tickets) != 1 {
		t.Fatalf("opened %d tickets %+v, want one (bob's only open port is intended)", res.Opened, res.Tickets)
	}
	tk := res.Tickets[0]
	if tk.GlobalIP.String() != "127.0.0.2" || tk.LocalIP != "192.168.178.23" || tk.Hostname != "LAPTOP-ANNA" ||
		tk.LogType != "crowdstrike-fdr" || tk.OS != "Windows 11" || tk.ScanTime.IsZero() || tk.DeviceID != "dev-anna" ||
		len(tk.OpenPorts) != 1 || tk.OpenPorts[0].Port != sshPort || tk.OpenPorts[0].Service != "ssh" ||
		tk.OpenPorts[0].Product != "OpenSSH" || tk.Status != alert.StatusOpen ||
		len(tk.Mappings) != 1 || tk.Mappings[0].Description != "cam" {
		t.Fatalf("ticket %+v", tk)
	}
	as, err := st.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stored []alert.Alert
	for _, a := range as {
		if a.RuleID == TicketRule {
			stored = append(stored, a)
		}
	}
	if len(stored) != 1 || stored[0].ID != tk.ID || stored[0].Detail["global_ip"] != "127.0.0.2" ||
		!strings.Contains(stored[0].Detail["services"], "ssh OpenSSH") {
		t.Fatalf("stored tickets %+v", stored)
	}
	back, err := TicketOf(stored[0])
	if err != nil || back.Hostname != "LAPTOP-ANNA" || len(back.OpenPorts) != 1 {
		t.Fatalf("TicketOf: %+v, %v", back, err)
	}

	// A second run updates the same ticket.
	time.Sleep(1100 * time.Millisecond) // a later scan time, at the stores' second resolution
	res = run()
	if res.Opened != 0 || res.Updated != 1 || len(res.Tickets) != 1 || res.Tickets[0].ID != tk.ID {
		t.Fatalf("second run: %+v", res)
	}
	// Anna closes the port: the rescan resolves the ticket.
	closeSSH()
	time.Sleep(1100 * time.Millisecond)
	res = run()
	if res.Resolved != 1 || res.Updated != 1 || res.Tickets[0].Status != alert.StatusResolved {
		t.Fatalf("rescan after closing: %+v", res)
	}
	as, _ = st.Alerts(ctx)
	for _, a := range as {
		if a.ID == tk.ID && a.Status != alert.StatusResolved {
			t.Fatalf("stored ticket status %q, want resolved", a.Status)
		}
	}
	// Every change was appended to the JSONL file.
	var lines []Ticket
	dec := json.NewDecoder(&tickets)
	for dec.More() {
		var tk Ticket
		if err := dec.Decode(&tk); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, tk)
	}
	if len(lines) != 3 || lines[2].Status != alert.StatusResolved {
		t.Fatalf("tickets.jsonl holds %d tickets: %+v", len(lines), lines)
	}
}

func TestRunRefusesBeforeScanning(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := st.UpsertAlerts(ctx, []alert.Alert{suspect("d", "h", "127.0.0.2", "10.0.0.2", now)}); err != nil {
		t.Fatal(err)
	}
	scanned := false
	res, err := Run(ctx, st, Options{Since: now.Add(-time.Hour), Scan: func(context.Context, []netip.Addr) (scan.Scan, error) {
		scanned = true
		return scan.Scan{}, nil
	}})
	if err != nil || scanned || len(res.Refused) != 1 || res.Refused[0].Target.String() != "127.0.0.2" ||
		!strings.Contains(res.Refused[0].Reason, "--allow 127.0.0.0/8") || len(res.Targets) != 0 || len(res.Tickets) != 0 {
		t.Fatalf("res %+v, err %v, scanned %t: want the target refused with the --allow to pass, and no scan", res, err, scanned)
	}
}

// TestRunKeepsTicketsItCannotCheck: a router that answers nothing says
// nothing about its ports, and a device that moved to another router
// address resolves its old ticket without a scan of the old address.
func TestRunKeepsTicketsItCannotCheck(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	port, _ := listen(t, "127.0.0.2", "SSH-2.0-dropbear_2022.83\r\n")
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := st.UpsertAlerts(ctx, []alert.Alert{
		suspect("dev-a", "A", "127.0.0.2", "10.0.0.2", now),
		suspect("dev-b", "B", "127.0.0.3", "10.0.0.3", now),
	}); err != nil {
		t.Fatal(err)
	}
	var down netip.Addr
	run := func(since time.Time) Result {
		t.Helper()
		res, err := Run(ctx, st, Options{Since: since, Allow: loopback,
			Scan: func(ctx context.Context, targets []netip.Addr) (scan.Scan, error) {
				sc, err := scan.Run(ctx, targets, scan.Options{Ports: []uint16{port}, Allow: loopback})
				for i := range sc.Hosts { // a router that dropped everything
					if sc.Hosts[i].Addr == down {
						sc.Hosts[i].Status, sc.Hosts[i].Ports = "down", []scan.Port{}
					}
				}
				return sc, err
			}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// 127.0.0.3 has the port closed: B gets no ticket; A gets one.
	if res := run(now.Add(-time.Hour)); res.Opened != 1 || res.Tickets[0].DeviceID != "dev-a" {
		t.Fatalf("first run: %+v", res)
	}
	time.Sleep(1100 * time.Millisecond)
	down = netip.MustParseAddr("127.0.0.2")
	res := run(now.Add(-time.Hour))
	if res.Updated != 0 || res.Resolved != 0 || len(res.Tickets) != 0 || len(res.Unreachable) != 1 {
		t.Fatalf("router down: %+v; want the ticket unchanged and the target unreachable", res)
	}
	// A's laptop now reports another router address.
	down = netip.Addr{}
	later := now.Add(2 * time.Second)
	if _, err := st.UpsertAlerts(ctx, []alert.Alert{suspect("dev-a", "A", "127.0.0.4", "10.0.0.2", later)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	res = run(later.Add(-time.Second))
	if slices.Contains(res.Targets, netip.MustParseAddr("127.0.0.2")) {
		t.Fatalf("scanned the address the device left: %v", res.Targets)
	}
	var moved *Ticket
	for i := range res.Tickets {
		if res.Tickets[i].GlobalIP.String() == "127.0.0.2" {
			moved = &res.Tickets[i]
		}
	}
	if moved == nil || moved.Status != alert.StatusResolved || !strings.Contains(moved.Note, "127.0.0.4") {
		t.Fatalf("tickets %+v: want the old address's ticket resolved with a note naming the new one", res.Tickets)
	}
}

func openStore(t *testing.T) *duckdb.Store {
	t.Helper()
	st, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), "homesoc.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
