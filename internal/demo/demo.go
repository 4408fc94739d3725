// Package demo writes realistic sample inputs - a home router's firewall log,
// a Zeek conn.log from the home network and an abuse.ch Feodo Tracker
// blocklist - so that the whole homesoc chain can be shown on data with a
// known story. All addresses are private or from the documentation ranges.
package demo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The story the sample data tells.
const (
	// WAN is the router's public address.
	WAN = "203.0.113.7"
	// InfectedHost is the laptop that beacons to a C2 server.
	InfectedHost = "192.168.1.23"
	// C2 is the Feodo-listed server InfectedHost talks to.
	C2 = "198.51.100.77"
	// Scanner is the internet host that sweeps the router's ports.
	Scanner = "192.0.2.200"
)

// Files are the sample inputs Write created.
type Files struct {
	Firewall string // netfilter log (ISO stamps, UFW and plain prefixes, a few broken lines)
	ZeekConn string // Zeek conn.log, TSV
	Feodo    string // Feodo Tracker JSON blocklist
}

// Write creates the sample files in dir for the 24 hours before now. The
// same now and seed give the same files.
func Write(dir string, now time.Time, seed uint64) (Files, error) {
	g := &gen{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: now.UTC().Truncate(time.Second)}
	f := Files{
		Firewall: filepath.Join(dir, "router-firewall.log"),
		ZeekConn: filepath.Join(dir, "conn.log"),
		Feodo:    filepath.Join(dir, "feodo-ipblocklist.json"),
	}
	for _, w := range []struct {
		path  string
		lines []string
	}{
		{f.Firewall, g.firewall()},
		{f.ZeekConn, g.zeekConn()},
		{f.Feodo, g.feodo()},
	} {
		if err := writeLines(w.path, w.lines); err != nil {
			return f, err
		}
	}
	return f, nil
}

type gen struct {
	rnd *rand.Rand
	now time.Time
}

// ago returns a time up to d before now.
func (g *gen) ago(d time.Duration) time.Time {
	return g.now.Add(-time.Duration(g.rnd.Int64N(int64(d))))
}

// reserved are the story's addresses (and the feed's), which random
// background traffic must not use.
var reserved = []string{WAN, C2, Scanner, "198.51.100.91", "192.0.2.150", "203.0.113.201"}

// internet returns a random address of a host on the internet.
func (g *gen) internet() string {
	nets := []string{"192.0.2.", "198.51.100.", "203.0.113."}
	for {
		a := nets[g.rnd.IntN(len(nets))] + fmt.Sprint(1+g.rnd.IntN(250))
		if !slices.Contains(reserved, a) {
			return a
		}
	}
}

type stamped struct {
	t    time.Time
	line string
}

// firewall writes what a home router drops from the internet in a day:
// SSDP, telnet, SMB, RDP and web-admin probes, one port sweep, and a few
// lines that are not firewall records at all.
func (g *gen) firewall() []string {
	var out []stamped
	add := func(t time.Time, prefix, proto, src string, spt, dpt int, extra string) {
		out = append(out, stamped{t, fmt.Sprintf(
			"%s router kernel: %sIN=ppp0 OUT= MAC= SRC=%s DST=%s LEN=60 TOS=0x00 PREC=0x00 TTL=%d ID=%d PROTO=%s SPT=%d DPT=%d %s",
			t.Format("2006-01-02T15:04:05"), prefix, src, WAN, 40+g.rnd.IntN(200), g.rnd.IntN(65536), proto, spt, dpt, extra)})
	}
	ports := []struct {
		proto  string
		port   int
		weight int
	}{{"UDP", 1900, 40}, {"TCP", 23, 20}, {"TCP", 445, 12}, {"TCP", 3389, 8}, {"TCP", 80, 8}, {"UDP", 5353, 6}, {"TCP", 1433, 4}, {"TCP", 22, 6}, {"TCP", 58742, 1}}
	var total int
	for _, p := range ports {
		total += p.weight
	}
	for range 3000 {
		n := g.rnd.IntN(total)
		i := 0
		for n >= ports[i].weight {
			n -= ports[i].weight
			i++
		}
		prefix := "DROP "
		if g.rnd.IntN(3) == 0 {
			prefix = "[UFW BLOCK] "
		}
		extra := "LEN=40 "
		if ports[i].proto == "TCP" {
			extra = "WINDOW=1024 RES=0x00 SYN URGP=0 "
		}
		add(g.ago(24*time.Hour), prefix, ports[i].proto, g.internet(), 1024+g.rnd.IntN(64000), ports[i].port, extra)
	}
	// A sweep of 40 ports from one host within two minutes, five minutes ago.
	sweep := g.now.Add(-5 * time.Minute)
	for i := range 40 {
		add(sweep.Add(time.Duration(i*3)*time.Second), "DROP ", "TCP", Scanner, 40000+i, 20+i*37, "WINDOW=1024 RES=0x00 SYN URGP=0 ")
	}
	slices.SortFunc(out, func(a, b stamped) int { return a.t.Compare(b.t) })
	lines := make([]string, 0, len(out)+4)
	for _, s := range out {
		lines = append(lines, s.line)
	}
	// What real log files also hold: a line cut short, another daemon's
	// JSON, binary junk, and a record without its source address.
	mid := len(lines) / 2
	broken := []string{
		g.now.Add(-3*time.Hour).Format("2006-01-02T15:04:05") + " router kernel: DROP IN=ppp0 OUT= MAC= SRC=192.0.2.1",
		`{"level":"info","msg":"dnsmasq cache flushed"}`,
		"\x00\x13\x7f\xfe\xc3binary\x01junk",
		g.now.Add(-2*time.Hour).Format("2006-01-02T15:04:05") + " router kernel: DROP IN=ppp0 OUT= MAC= DST=" + WAN + " LEN=40 PROTO=TCP SPT=1 DPT=23",
	}
	return slices.Insert(lines, mid, broken...)
}

// zeekConn writes the home network's connections: ordinary browsing and DNS
// from four devices, and the infected laptop's beacon to its C2 every
// fifteen minutes for the last six hours.
func (g *gen) zeekConn() []string {
	hosts := []string{"192.168.1.10", "192.168.1.11", InfectedHost, "192.168.1.40"}
	type conn struct {
		t        time.Time
		src, dst string
		dport    int
		proto    string
		service  string
		dur      float64
		ob, rb   int
		state    string
		history  string
		opk, rpk int
	}
	var cs []conn
	for range 1500 {
		c := conn{t: g.ago(24 * time.Hour), src: hosts[g.rnd.IntN(len(hosts))], dst: g.internet(), dport: 443,
			proto: "tcp", service: "ssl", dur: g.rnd.Float64() * 30, ob: 500 + g.rnd.IntN(5000), rb: 2000 + g.rnd.IntN(200000),
			state: "SF", history: "ShADadFf"}
		if g.rnd.IntN(4) == 0 {
			c.dst, c.dport, c.proto, c.service, c.dur, c.ob, c.rb, c.history = "192.168.1.1", 53, "udp", "dns", 0.01, 40, 120, "Dd"
		}
		c.opk, c.rpk = 1+c.ob/500, 1+c.rb/1400
		cs = append(cs, c)
	}
	for t := g.now.Add(-6 * time.Hour); t.Before(g.now.Add(-time.Minute)); t = t.Add(15 * time.Minute) {
		cs = append(cs, conn{t: t.Add(time.Duration(g.rnd.IntN(20)) * time.Second), src: InfectedHost, dst: C2, dport: 443,
			proto: "tcp", service: "ssl", dur: 1.2, ob: 1800, rb: 4200, state: "SF", history: "ShADadFf", opk: 6, rpk: 7})
	}
	slices.SortFunc(cs, func(a, b conn) int { return a.t.Compare(b.t) })
	lines := []string{
		"#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn",
		"#open\t" + g.now.Add(-24*time.Hour).Format("2006-01-02-15-04-05"),
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]",
	}
	const uidChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for _, c := range cs {
		uid := []byte("C")
		for range 17 {
			uid = append(uid, uidChars[g.rnd.IntN(len(uidChars))])
		}
		localResp := "F"
		if netip.MustParseAddr(c.dst).IsPrivate() {
			localResp = "T"
		}
		lines = append(lines, fmt.Sprintf("%d.%06d\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%.6f\t%d\t%d\t%s\tT\t%s\t0\t%s\t%d\t%d\t%d\t%d\t-",
			c.t.Unix(), g.rnd.IntN(1e6), uid, c.src, 49152+g.rnd.IntN(16000), c.dst, c.dport, c.proto, c.service,
			c.dur, c.ob, c.rb, c.state, localResp, c.history, c.opk, c.ob+c.opk*40, c.rpk, c.rb+c.rpk*40))
	}
	return append(lines, "#close\t"+g.now.Format("2006-01-02-15-04-05"))
}

// feodo writes a Feodo Tracker blocklist with the C2 and others nobody here
// talked to, one of them offline for months.
func (g *gen) feodo() []string {
	type entry struct {
		IP         string  `json:"ip_address"`
		Port       int     `json:"port"`
		Status     string  `json:"status"`
		Hostname   *string `json:"hostname"`
		ASNumber   int     `json:"as_number"`
		ASName     string  `json:"as_name"`
		Country    string  `json:"country"`
		FirstSeen  string  `json:"first_seen"`
		LastOnline string  `json:"last_online"`
		Malware    string  `json:"malware"`
	}
	day := func(d int) string { return g.now.AddDate(0, 0, -d).Format("2006-01-02") }
	es := []entry{
		{C2, 443, "online", nil, 64496, "EXAMPLE-HOSTING-AS", "NL", g.now.AddDate(0, 0, -9).Format(time.DateTime), day(0), "QakBot"},
		{"198.51.100.91", 8080, "online", nil, 64497, "EXAMPLE-CLOUD-AS", "US", g.now.AddDate(0, 0, -30).Format(time.DateTime), day(1), "Emotet"},
		{"192.0.2.150", 443, "online", nil, 64498, "EXAMPLE-VPS-AS", "DE", g.now.AddDate(0, 0, -3).Format(time.DateTime), day(0), "Pikabot"},
		{"203.0.113.201", 995, "offline", nil, 64499, "EXAMPLE-DC-AS", "FR", g.now.AddDate(0, -8, 0).Format(time.DateTime), day(200), "Dridex"},
	}
	b, err := json.MarshalIndent(es, "", "  ")
	if err != nil {
		panic(err) // fixed data always marshals
	}
	return []string{string(b)}
}

func writeLines(path string, lines []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
