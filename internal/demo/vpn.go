package demo

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// The remote-access story of seeds/004: staff reach the office through a
// Cisco ASA's AnyConnect VPN, which hands out addresses of one pool.
// kimura's session holds PoolAddr while its traffic, logged by the ASA
// itself and by the office's Squid proxy, reaches the demo feed's C2; later
// sato's session gets the same address. Meanwhile two laptops in two
// homes, reporting to Microsoft Defender, both hold HomeAddr.
const (
	// PoolAddr is the VPN pool address kimura, then sato, is given.
	PoolAddr = "172.16.1.10"
	// VPNUser is the user behind PoolAddr while it contacts the C2.
	VPNUser = "kimura"
	// LaterUser gets PoolAddr after kimura's session.
	LaterUser = "sato"
	// HomeAddr is the private address both Defender laptops hold.
	HomeAddr = "192.168.1.10"
	// The two laptops: Defender device ids (40 hex digits) and names.
	LaptopA     = "5a1e0c3b9f2d4e6a8b7c1d0e2f3a4b5c6d7e8f90"
	LaptopAName = "laptop-aoki.example.org"
	LaptopB     = "c0ffee11d0d0cafe2bad4dad5eed6bee7fab8ace"
	LaptopBName = "laptop-mori.example.org"
)

// VPNFiles are the sample inputs of the remote-access story.
type VPNFiles struct {
	ASA      string // the VPN concentrator's syslog: AnyConnect sessions and connections
	Squid    string // the office proxy's access.log
	Defender string // Defender for Endpoint DeviceNetworkInfo, exported as CSV
	// HomeAt is a moment both laptops held HomeAddr, for whois.
	HomeAt time.Time
}

// WriteVPN writes the remote-access story's logs in dir for the hours
// before now.
func WriteVPN(dir string, now time.Time) (VPNFiles, error) {
	now = now.UTC().Truncate(time.Second)
	f := VPNFiles{ASA: filepath.Join(dir, "asa-vpn.log"), Squid: filepath.Join(dir, "squid-access.log"),
		Defender: filepath.Join(dir, "DeviceNetworkInfo.csv"), HomeAt: now.Add(-209 * time.Minute)}
	asa := func(t time.Time, msg string) string {
		return t.Format("Jan 02 2006 15:04:05") + " asa-edge : " + msg
	}
	kStart, kEnd := now.Add(-5*time.Hour), now.Add(-3*time.Hour)
	sStart, sEnd := now.Add(-2*time.Hour), now.Add(-time.Hour)
	contact := now.Add(-4*time.Hour - 30*time.Minute)
	session := func(user, remote string, start, end time.Time, reason string, xmt, rcv int) []string {
		d := end.Sub(start)
		return []string{
			asa(start, fmt.Sprintf("%%ASA-6-113039: Group <RA-Staff> User <%s> IP <%s> AnyConnect parent session started.", user, remote)),
			asa(start.Add(time.Second), fmt.Sprintf("%%ASA-6-722022: Group <RA-Staff> User <%s> IP <%s> TCP SVC connection established without compression", user, remote)),
			asa(start.Add(time.Second), fmt.Sprintf("%%ASA-4-722051: Group <RA-Staff> User <%s> IP <%s> IPv4 Address <%s> IPv6 address <::> assigned to session", user, remote, PoolAddr)),
			asa(end, fmt.Sprintf("%%ASA-4-113019: Group = RA-Staff, Username = %s, IP = %s, Session disconnected. Session Type: SSL, Duration: %dh:%02dm:%02ds, Bytes xmt: %d, Bytes rcv: %d, Reason: %s",
				user, remote, int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60, xmt, rcv, reason)),
		}
	}
	lines := session(VPNUser, "203.0.113.45", kStart, kEnd, "User Requested", 48213504, 3145728)
	// kimura's laptop reaches the C2 through the tunnel three times: the
	// ASA logs each connection built and torn down.
	for i := range 3 {
		t := contact.Add(time.Duration(i*15) * time.Minute)
		id, port := 1800234400+i, 51514+i
		lines = append(lines,
			asa(t, fmt.Sprintf("%%ASA-6-302013: Built outbound TCP connection %d for outside:%s/443 (%s/443) to inside:%s/%d (%s/%d)",
				id, C2, C2, PoolAddr, port, PoolAddr, port)),
			asa(t.Add(3*time.Second), fmt.Sprintf("%%ASA-6-302014: Teardown TCP connection %d for outside:%s/443 to inside:%s/%d duration 0:00:03 bytes 6012 TCP FINs",
				id, C2, PoolAddr, port)))
	}
	lines = append(lines, session(LaterUser, "198.51.100.31", sStart, sEnd, "Idle Timeout", 1048576, 262144)...)
	sortASA(lines)
	if err := writeLines(f.ASA, lines); err != nil {
		return f, err
	}
	// The proxy saw kimura's tunnelled browser go to the C2 as well.
	var squid []string
	for i, t := range []time.Time{contact.Add(5 * time.Minute), contact.Add(20 * time.Minute)} {
		squid = append(squid,
			fmt.Sprintf("%d.%03d %6d %s TCP_TUNNEL/200 %d CONNECT %s:443 - HIER_DIRECT/%s -", t.Unix(), 120+i, 2870+i, PoolAddr, 19131+i, C2, C2),
			fmt.Sprintf("%d.%03d %6d %s TCP_MISS/200 5120 GET http://intranet.example.org/news - HIER_DIRECT/192.0.2.10 text/html", t.Unix()+40, 7, 35, PoolAddr))
	}
	if err := writeLines(f.Squid, squid); err != nil {
		return f, err
	}
	ts := func(t time.Time) string { return t.Format("Jan 2, 2006 3:04:05 PM") }
	csv := []string{"Timestamp,DeviceId,DeviceName,NetworkAdapterName,NetworkAdapterType,MacAddress,IPAddresses,ReportId"}
	for i, l := range []struct {
		id, name, mac string
		at            time.Time
	}{
		{LaptopA, LaptopAName, "A4-5E-60-11-22-33", f.HomeAt.Add(-time.Minute)},
		{LaptopB, LaptopBName, "F0-9F-C2-44-55-66", f.HomeAt.Add(time.Minute)},
	} {
		csv = append(csv, fmt.Sprintf(`"%s",%s,%s,Wi-Fi,Wireless80211,%s,"[{""IPAddress"":""%s"",""SubnetPrefix"":24,""AddressType"":""Private""}]",%d`,
			ts(l.at), l.id, l.name, l.mac, HomeAddr, 900+i))
	}
	return f, writeLines(f.Defender, csv)
}

// sortASA orders syslog lines by their stamp: they are written story by
// story, and a concentrator logs in time order.
func sortASA(lines []string) {
	at := func(l string) time.Time {
		t, _ := time.Parse("Jan 02 2006 15:04:05", l[:len("Jan 02 2006 15:04:05")]) // written above, always valid
		return t
	}
	slices.SortStableFunc(lines, func(a, b string) int { return at(a).Compare(at(b)) })
}
