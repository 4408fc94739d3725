package demo

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The exposure story: two remote workers' laptops report to CrowdStrike
// Falcon. Anna's home router forwards ports nobody intended (a UPnP mapping
// her laptop's torrent client asked for, a camera's telnet, the router's own
// UPnP control); Bob's forwards only his NAS portal, which IT approved.
const (
	AnnaDevice = "a11ce0a11ce0a11ce0a11ce0a11ce0a1" // CrowdStrike aid
	AnnaHost   = "LAPTOP-ANNA"
	AnnaLocal  = "192.168.178.23"
	BobDevice  = "b0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0"
	BobHost    = "NAS-BOB"
	BobLocal   = "192.168.1.20"
	// CameraLocal is the camera behind Anna's router whose telnet is
	// forwarded.
	CameraLocal = "192.168.178.50"
	// BobPort is the port Bob's router forwards on purpose.
	BobPort = 8443
)

// Internet scanners that connected in: research scanners whose sweeps of the
// internet are public knowledge (Censys, Shodan). Sample data only: nothing
// is ever sent to them.
var inboundSources = []string{"162.142.125.221", "167.94.138.44", "66.240.205.34"}

// Routers are the loopback addresses standing in for the two home routers'
// public addresses: the demo starts its own services on them and the EDR
// sample names them as the laptops' agent public IPs.
type Routers struct {
	Anna, Bob netip.Addr
}

// WriteEDR writes a CrowdStrike Falcon Data Replicator export of the two
// laptops for the hours before now: their aidmaster host records and their
// network events, among them connections accepted from the internet.
func WriteEDR(dir string, now time.Time, r Routers) (string, error) {
	now = now.UTC().Truncate(time.Second)
	path := filepath.Join(dir, "crowdstrike-fdr.jsonl")
	var lines []string
	add := func(rec map[string]string) {
		b, _ := json.Marshal(rec) // a map of strings always marshals
		lines = append(lines, string(b))
	}
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	for _, h := range []struct {
		aid, host, local, mac, os string
		router                    netip.Addr
	}{
		{AnnaDevice, AnnaHost, AnnaLocal, "3c-52-82-1a-2b-3c", "Windows 11", r.Anna},
		{BobDevice, BobHost, BobLocal, "00-11-32-4d-5e-6f", "Windows 10", r.Bob},
	} {
		seen := now.Add(-20 * time.Hour)
		add(map[string]string{"aid": h.aid, "cid": "c1d0c1d0c1d0c1d0c1d0c1d0c1d0c1d0", "ComputerName": h.host,
			"aip": h.router.String(), "LocalAddressIP4": h.local, "MAC": h.mac, "Version": h.os,
			"event_platform": "Win", "AgentVersion": "7.10.17706.0", "Time": strconv.FormatInt(seen.Unix(), 10)})
		// Ordinary outbound traffic.
		for i := range 3 {
			t := now.Add(-time.Duration(18-5*i) * time.Hour)
			add(fdrEvent("NetworkConnectIP4", h.aid, h.host, h.router, t, ms(t), h.local, 50000+i, "140.82.121."+fmt.Sprint(3+i), 443, "0"))
		}
	}
	// Connections from the internet accepted behind NAT: Anna's torrent web
	// UI through the UPnP mapping, and Bob's NAS portal.
	for i, src := range inboundSources {
		t := now.Add(-time.Duration(6-2*i) * time.Hour)
		add(fdrEvent("NetworkReceiveAcceptIP4", AnnaDevice, AnnaHost, r.Anna, t, ms(t), AnnaLocal, 8080, src, 41000+i, "1"))
		t = t.Add(7 * time.Minute)
		add(fdrEvent("NetworkReceiveAcceptIP4", BobDevice, BobHost, r.Bob, t, ms(t), BobLocal, BobPort, src, 42000+i, "1"))
	}
	// FDR also streams events that carry no connection.
	t := now.Add(-90 * time.Minute)
	add(map[string]string{"event_simpleName": "DnsRequest", "aid": AnnaDevice, "aip": r.Anna.String(),
		"event_platform": "Win", "timestamp": ms(t), "DomainName": "update.example.org", "RequestType": "1"})
	return path, writeLines(path, lines)
}

// fdrEvent is one FDR network event; local is the laptop's side.
func fdrEvent(name, aid, host string, router netip.Addr, t time.Time, stamp, local string, lport int,
	remote string, rport int, direction string) map[string]string {
	return map[string]string{"event_simpleName": name, "name": name + "V5", "aid": aid, "ComputerName": host,
		"cid": "c1d0c1d0c1d0c1d0c1d0c1d0c1d0c1d0", "aip": router.String(), "event_platform": "Win",
		"timestamp": stamp, "ContextTimeStamp": fmt.Sprintf("%d.000", t.Unix()),
		"LocalAddressIP4": local, "LocalPort": strconv.Itoa(lport), "RemoteAddressIP4": remote,
		"RemotePort": strconv.Itoa(rport), "Protocol": "6", "ConnectionDirection": direction}
}

// WriteInventory writes IT's asset inventory of the two laptops (the CSV
// `homesoc assets import` reads): who owns each, beside what the EDR
// reports of them.
func WriteInventory(dir string) (string, error) {
	path := filepath.Join(dir, "inventory.csv")
	csv := "device_id,hostname,owner,tags\n" +
		AnnaDevice + "," + AnnaHost + ",anna,laptop;remote\n" +
		BobDevice + "," + BobHost + ",bob,laptop;remote\n"
	return path, os.WriteFile(path, []byte(csv), 0o600)
}
