package parse

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// nf fills the fields every netfilter event shares.
func nf(e event.Network) event.Network {
	e.Kind = event.KindFirewall
	e.Format = "netfilter"
	if e.Direction == "" {
		e.Direction = event.DirInbound
	}
	return e
}

const ufwMAC = "MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00"

func TestNetfilterGood(t *testing.T) {
	y2020 := Options{Year: 2020}
	tests := []struct {
		name string
		opts Options
		line string
		want event.Network
	}{{
		name: "iso without zone, host, plain DROP prefix",
		line: "2020-04-06T16:05:29 router kernel: DROP IN=ppp0 OUT= MAC= SRC=198.51.100.23 DST=203.0.113.7 LEN=118 TOS=0x00 PREC=0x00 TTL=242 ID=33872 PROTO=UDP SPT=22852 DPT=1900 LEN=98",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 5, 29), Action: "drop", Protocol: "udp",
			SrcIP: addr("198.51.100.23"), SrcPort: 22852, DstIP: addr("203.0.113.7"), DstPort: 1900,
			TTL: 242, InIface: "ppp0", Sensor: "router",
			IPID: 33872, PacketLen: 118}),
	}, {
		name: "iso with fraction and zone in a location",
		opts: Options{Location: time.FixedZone("EST", -5*3600)},
		line: "2024-03-01T10:00:00.123456+09:00 gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=192.0.2.44 DST=192.168.1.10 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=54321 DF PROTO=TCP SPT=44120 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0",
		want: nf(event.Network{Time: utc(2024, 3, 1, 1, 0, 0), Action: "block", Protocol: "tcp",
			SrcIP: addr("192.0.2.44"), SrcPort: 44120, DstIP: addr("192.168.1.10"), DstPort: 22,
			TTL: 51, TCPFlags: "SYN", InIface: "eth0", Sensor: "gw",
			SrcMAC: "52:54:00:65:43:21", DstMAC: "52:54:00:12:34:56", IPID: 54321, TCPWindow: 64240, PacketLen: 60}),
	}, {
		name: "iso without zone takes the location",
		opts: Options{Location: time.FixedZone("JST", 9*3600)},
		line: "2024-03-01T10:00:00 gw kernel: DROP IN=eth0 OUT= SRC=192.0.2.44 DST=192.168.1.10 PROTO=UDP SPT=1 DPT=2",
		want: nf(event.Network{Time: utc(2024, 3, 1, 1, 0, 0), Action: "drop", Protocol: "udp",
			SrcIP: addr("192.0.2.44"), SrcPort: 1, DstIP: addr("192.168.1.10"), DstPort: 2,
			InIface: "eth0", Sensor: "gw"}),
	}, {
		name: "iso with a space, comma fraction and -0500",
		line: "2024-03-01 10:00:05,5-0500 edge kernel: FW-IN: IN=eth1 OUT= SRC=198.51.100.200 DST=192.168.1.30 TTL=244 PROTO=TCP SPT=80 DPT=52211 RST URGP=0",
		want: nf(event.Network{Time: utc(2024, 3, 1, 15, 0, 5), Action: "fw-in", Protocol: "tcp",
			SrcIP: addr("198.51.100.200"), SrcPort: 80, DstIP: addr("192.168.1.30"), DstPort: 52211,
			TTL: 244, TCPFlags: "RST", InIface: "eth1", Sensor: "edge"}),
	}, {
		name: "classic syslog, uptime, UFW BLOCK",
		opts: y2020,
		line: "Apr  6 16:05:29 router kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= " + ufwMAC + " SRC=1.2.3.4 DST=192.168.1.10 LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=0 DF PROTO=TCP SPT=51234 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 5, 29), Action: "block", Protocol: "tcp",
			SrcIP: addr("1.2.3.4"), SrcPort: 51234, DstIP: addr("192.168.1.10"), DstPort: 22,
			TTL: 49, TCPFlags: "SYN", InIface: "eth0", Sensor: "router",
			SrcMAC: "66:77:88:99:aa:bb", DstMAC: "00:11:22:33:44:55", TCPWindow: 64240, PacketLen: 60}),
	}, {
		name: "classic stamp in a location, unpadded day, no host",
		opts: Options{Year: 2020, Location: time.FixedZone("JST", 9*3600)},
		line: "Apr 6 16:05:29 kernel: [UFW ALLOW] IN= OUT=eth0 SRC=192.168.1.10 DST=203.0.113.53 LEN=72 TTL=64 PROTO=UDP SPT=41822 DPT=53 LEN=52",
		want: nf(event.Network{Time: utc(2020, 4, 6, 7, 5, 29), Action: "allow", Direction: event.DirOutbound,
			Protocol: "udp", SrcIP: addr("192.168.1.10"), SrcPort: 41822, DstIP: addr("203.0.113.53"), DstPort: 53,
			TTL: 64, OutIface: "eth0",
			PacketLen: 72}),
	}, {
		name: "UFW AUDIT",
		opts: y2020,
		line: "Apr  6 16:05:31 router kernel: [12347.250000] [UFW AUDIT] IN=eth0 OUT= " + ufwMAC + " SRC=192.168.1.20 DST=192.168.1.10 LEN=52 TTL=64 ID=1234 DF PROTO=TCP SPT=50522 DPT=8080 WINDOW=502 RES=0x00 ACK URGP=0",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 5, 31), Action: "audit", Protocol: "tcp",
			SrcIP: addr("192.168.1.20"), SrcPort: 50522, DstIP: addr("192.168.1.10"), DstPort: 8080,
			TTL: 64, TCPFlags: "ACK", InIface: "eth0", Sensor: "router",
			SrcMAC: "66:77:88:99:aa:bb", DstMAC: "00:11:22:33:44:55", IPID: 1234, TCPWindow: 502, PacketLen: 52}),
	}, {
		name: "UFW LIMIT BLOCK",
		opts: y2020,
		line: "Apr  6 16:05:33 router kernel: [12349.002310] [UFW LIMIT BLOCK] IN=eth0 OUT= " + ufwMAC + " SRC=203.0.113.201 DST=192.168.1.10 LEN=60 TTL=50 ID=6021 DF PROTO=TCP SPT=39114 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 5, 33), Action: "block", Protocol: "tcp",
			SrcIP: addr("203.0.113.201"), SrcPort: 39114, DstIP: addr("192.168.1.10"), DstPort: 22,
			TTL: 50, TCPFlags: "SYN", InIface: "eth0", Sensor: "router",
			SrcMAC: "66:77:88:99:aa:bb", DstMAC: "00:11:22:33:44:55", IPID: 6021, TCPWindow: 29200, PacketLen: 60}),
	}, {
		name: "OpenWrt reject with padded uptime",
		line: "Mon Apr  6 16:05:29 2020 kern.warn kernel: [ 1234.567890] reject wan in: IN=pppoe-wan OUT= MAC= SRC=198.51.100.77 DST=203.0.113.9 LEN=44 TOS=0x00 PREC=0x00 TTL=238 ID=54321 PROTO=TCP SPT=40960 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 5, 29), Action: "reject", Protocol: "tcp",
			SrcIP: addr("198.51.100.77"), SrcPort: 40960, DstIP: addr("203.0.113.9"), DstPort: 23,
			TTL: 238, TCPFlags: "SYN", InIface: "pppoe-wan",
			IPID: 54321, TCPWindow: 1024, PacketLen: 44}),
	}, {
		name: "OpenWrt drop invalid, two flags",
		line: "Mon Apr  6 16:05:31 2020 kern.warn kernel: [ 1236.120044] drop wan invalid ct state: IN=pppoe-wan OUT= MAC= SRC=192.0.2.150 DST=203.0.113.9 LEN=40 TTL=52 ID=0 DF PROTO=TCP SPT=443 DPT=51872 WINDOW=0 RES=0x00 ACK RST URGP=0",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 5, 31), Action: "drop", Protocol: "tcp",
			SrcIP: addr("192.0.2.150"), SrcPort: 443, DstIP: addr("203.0.113.9"), DstPort: 51872,
			TTL: 52, TCPFlags: "ACK RST", InIface: "pppoe-wan",
			PacketLen: 40}),
	}, {
		name: "IPv6 with HOPLIMIT",
		opts: y2020,
		line: "Apr  6 16:06:02 fw kernel: [12380.001122] [UFW BLOCK] IN=eth0 OUT= MAC=33:33:00:00:00:01:52:54:00:aa:bb:cc:86:dd SRC=2001:db8:1::25 DST=2001:db8:2::1 LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=0 PROTO=TCP SPT=45012 DPT=443 WINDOW=28800 RES=0x00 SYN URGP=0",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 6, 2), Action: "block", Protocol: "tcp",
			SrcIP: addr("2001:db8:1::25"), SrcPort: 45012, DstIP: addr("2001:db8:2::1"), DstPort: 443,
			TTL: 57, TCPFlags: "SYN", InIface: "eth0", Sensor: "fw",
			SrcMAC: "52:54:00:aa:bb:cc", DstMAC: "33:33:00:00:00:01", TCPWindow: 28800, PacketLen: 80}),
	}, {
		name: "ICMP echo has no ports",
		opts: y2020,
		line: "Apr  6 16:06:05 fw kernel: [UFW BLOCK] IN=eth0 OUT= " + ufwMAC + " SRC=192.0.2.9 DST=192.168.1.10 LEN=84 TTL=57 ID=13944 DF PROTO=ICMP TYPE=8 CODE=0 ID=4012 SEQ=1",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 6, 5), Action: "block", Protocol: "icmp",
			SrcIP: addr("192.0.2.9"), DstIP: addr("192.168.1.10"), TTL: 57, InIface: "eth0", Sensor: "fw",
			ICMPType: 8, ICMPCode: 0, SrcMAC: "66:77:88:99:aa:bb", DstMAC: "00:11:22:33:44:55", IPID: 13944, PacketLen: 84}),
	}, {
		name: "ICMPv6",
		opts: y2020,
		line: "Apr  6 16:06:07 fw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=2001:db8:1::25 DST=2001:db8:2::1 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=316213 PROTO=ICMPv6 TYPE=128 CODE=0 ID=2231 SEQ=5",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 6, 7), Action: "block", Protocol: "ipv6-icmp",
			SrcIP: addr("2001:db8:1::25"), DstIP: addr("2001:db8:2::1"), TTL: 64, InIface: "eth0", Sensor: "fw",
			ICMPType: 128, ICMPCode: 0, PacketLen: 104}),
	}, {
		name: "numeric protocol",
		opts: y2020,
		line: "Apr  6 16:06:09 fw kernel: [UFW AUDIT] IN=eth0 OUT= SRC=192.168.1.1 DST=224.0.0.1 LEN=32 TOS=0x00 PREC=0xC0 TTL=1 ID=0 DF PROTO=2",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 6, 9), Action: "audit", Protocol: "igmp",
			SrcIP: addr("192.168.1.1"), DstIP: addr("224.0.0.1"), TTL: 1, InIface: "eth0", Sensor: "fw",
			PacketLen: 32}),
	}, {
		name: "lower-case dropped prefix",
		line: "2024-03-01T10:00:01Z gw kernel: iptables-dropped: IN=eth1 OUT= SRC=203.0.113.45 DST=198.51.100.10 TTL=247 PROTO=TCP SPT=58214 DPT=3389 SYN URGP=0",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 1), Action: "drop", Protocol: "tcp",
			SrcIP: addr("203.0.113.45"), SrcPort: 58214, DstIP: addr("198.51.100.10"), DstPort: 3389,
			TTL: 247, TCPFlags: "SYN", InIface: "eth1", Sensor: "gw"}),
	}, {
		name: "forwarded ACCEPT has both interfaces",
		line: "2024-03-01T10:00:02Z gw kernel: FORWARD ACCEPT: IN=br-lan OUT=pppoe-wan SRC=192.168.1.23 DST=198.51.100.99 TTL=63 PROTO=TCP SPT=50122 DPT=443 WINDOW=501 RES=0x00 ACK PSH URGP=0",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 2), Action: "allow", Direction: event.DirUnknown,
			Protocol: "tcp", SrcIP: addr("192.168.1.23"), SrcPort: 50122, DstIP: addr("198.51.100.99"), DstPort: 443,
			TTL: 63, TCPFlags: "ACK PSH", InIface: "br-lan", OutIface: "pppoe-wan", Sensor: "gw",
			TCPWindow: 501}),
	}, {
		name: "no prefix logs",
		line: "2024-03-01T10:00:03Z gw kernel: IN=eth1 OUT= SRC=192.0.2.88 DST=198.51.100.10 TTL=55 PROTO=UDP SPT=123 DPT=123 LEN=56",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 3), Action: "log", Protocol: "udp",
			SrcIP: addr("192.0.2.88"), SrcPort: 123, DstIP: addr("198.51.100.10"), DstPort: 123,
			TTL: 55, InIface: "eth1", Sensor: "gw",
			PacketLen: 56}),
	}, {
		name: "prefix without a trailing space",
		line: "2024-03-01T10:00:04Z kernel: DROPIN=eth1 OUT= SRC=192.0.2.66 DST=198.51.100.10 TTL=240 PROTO=TCP SPT=61000 DPT=445 SYN URGP=0",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 4), Action: "drop", Protocol: "tcp",
			SrcIP: addr("192.0.2.66"), SrcPort: 61000, DstIP: addr("198.51.100.10"), DstPort: 445,
			TTL: 240, TCPFlags: "SYN", InIface: "eth1"}),
	}, {
		name: "unknown prefix is the action, lower-cased and trimmed",
		line: "2024-03-01T10:00:04Z gw kernel: [ 9.000001] Port-Scan Alert:  IN=eth1 OUT= SRC=192.0.2.66 DST=198.51.100.10 PROTO=UDP SPT=1 DPT=2",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 4), Action: "port-scan alert", Protocol: "udp",
			SrcIP: addr("192.0.2.66"), SrcPort: 1, DstIP: addr("198.51.100.10"), DstPort: 2,
			InIface: "eth1", Sensor: "gw"}),
	}, {
		name: "non-ASCII prefix",
		line: "2024-03-01T10:00:04Z gw kernel: Überwachung: IN=eth1 OUT= SRC=192.0.2.66 DST=198.51.100.10 PROTO=UDP",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 4), Action: "überwachung", Protocol: "udp",
			SrcIP: addr("192.0.2.66"), DstIP: addr("198.51.100.10"), InIface: "eth1", Sensor: "gw"}),
	}, {
		name: "quoted packet of an ICMP error is skipped",
		line: "2024-03-01T10:00:06Z gw kernel: [UFW BLOCK] IN=eth1 OUT= SRC=198.51.100.1 DST=192.168.1.10 LEN=88 TTL=63 ID=51022 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.168.1.10 DST=198.51.100.1 LEN=60 TTL=63 PROTO=UDP SPT=33434 DPT=33435 LEN=40 ] MTU=1500",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 6), Action: "block", Protocol: "icmp",
			SrcIP: addr("198.51.100.1"), DstIP: addr("192.168.1.10"), TTL: 63, InIface: "eth1", Sensor: "gw",
			ICMPType: 3, ICMPCode: 3, IPID: 51022, PacketLen: 88}),
	}, {
		name: "IPv4-mapped and link-local IPv6, short uptime, priority",
		opts: y2020,
		line: "<4>Apr 16 03:14:07 router kernel: [ 9001.2] [UFW BLOCK] IN=wlan0 OUT= SRC=::ffff:192.0.2.5 DST=fe80::5054:ff:fe12:3456 LEN=72 TC=0 HOPLIMIT=255 FLOWLBL=0 PROTO=UDP SPT=5353 DPT=5353 LEN=32",
		want: nf(event.Network{Time: utc(2020, 4, 16, 3, 14, 7), Action: "block", Protocol: "udp",
			SrcIP: addr("::ffff:192.0.2.5"), SrcPort: 5353, DstIP: addr("fe80::5054:ff:fe12:3456"), DstPort: 5353,
			TTL: 255, InIface: "wlan0", Sensor: "router",
			PacketLen: 72}),
	}, {
		name: "fields in another order, unknown keys, no DPT",
		line: "2024-03-01T10:00:07Z gw kernel: SRC=192.0.2.7 PROTO=TCP MARK=0x1 DST=198.51.100.10 PHYSIN=eth0 TTL=64 IN=br0 SPT=4444 SYN OUT=",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 7), Action: "log", Protocol: "tcp",
			SrcIP: addr("192.0.2.7"), SrcPort: 4444, DstIP: addr("198.51.100.10"),
			TTL: 64, TCPFlags: "SYN", InIface: "br0", Sensor: "gw"}),
	}, {
		name: "stray tokens are ignored",
		line: "2024-03-01T10:00:07Z gw kernel: SRC=192.0.2.7 =eth9 = == IN DST=198.51.100.10 [ ] OUT=eth1 X=1 PROTO=6",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 7), Action: "log", Direction: event.DirOutbound, Protocol: "tcp",
			SrcIP: addr("192.0.2.7"), DstIP: addr("198.51.100.10"), OutIface: "eth1", Sensor: "gw"}),
	}, {
		name: "trailing carriage return and spaces",
		line: "2024-03-01T10:00:08Z gw kernel: DROP IN=eth0 OUT= SRC=192.0.2.8 DST=198.51.100.10 PROTO=UDP SPT=9 DPT=9  \r",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 8), Action: "drop", Protocol: "udp",
			SrcIP: addr("192.0.2.8"), SrcPort: 9, DstIP: addr("198.51.100.10"), DstPort: 9,
			InIface: "eth0", Sensor: "gw"}),
	}, {
		name: "EdgeOS verdict letter A, no space before IN=",
		opts: y2020,
		line: "Jan  5 20:17:01 MainFirewall kernel: [WAN_OUT-2000-A]IN=eth0 OUT=eth2 MAC=90:10:20:76:8d:20:90:10:24:67:f4:89:08:00 SRC=192.168.134.158 DST=192.168.2.25 LEN=265 TOS=0x00 PREC=0x00 TTL=63 ID=51768 DF PROTO=TCP SPT=43189 DPT=443 WINDOW=159 RES=0x00 ACK PSH URGP=0 ",
		want: nf(event.Network{Time: utc(2020, 1, 5, 20, 17, 1), Action: "allow", Direction: event.DirUnknown, Protocol: "tcp",
			SrcIP: addr("192.168.134.158"), SrcPort: 43189, DstIP: addr("192.168.2.25"), DstPort: 443, TTL: 63, TCPFlags: "ACK PSH",
			InIface: "eth0", OutIface: "eth2", Sensor: "MainFirewall", RuleName: "WAN_OUT-2000",
			SrcMAC: "90:10:24:67:f4:89", DstMAC: "90:10:20:76:8d:20", IPID: 51768, TCPWindow: 159, PacketLen: 265}),
	}, {
		name: "EdgeOS default rule drops, priority",
		opts: y2020,
		line: "<161>Oct 10 07:25:12 Hostname kernel: [wan-lan-default-D]IN=eth0 OUT= MAC=90:10:20:76:8d:20:90:10:65:29:b6:2a:08:00 SRC=67.43.156.15 DST=10.4.0.5 LEN=52 TOS=0x00 PREC=0x00 TTL=63 ID=0 DF PROTO=TCP SPT=38842 DPT=443 WINDOW=2853 RES=0x00 ACK URGP=0",
		want: nf(event.Network{Time: utc(2020, 10, 10, 7, 25, 12), Action: "drop", Protocol: "tcp",
			SrcIP: addr("67.43.156.15"), SrcPort: 38842, DstIP: addr("10.4.0.5"), DstPort: 443, TTL: 63, TCPFlags: "ACK",
			InIface: "eth0", Sensor: "Hostname", RuleName: "wan-lan-default",
			SrcMAC: "90:10:65:29:b6:2a", DstMAC: "90:10:20:76:8d:20", TCPWindow: 2853, PacketLen: 52}),
	}, {
		name: "UniFi OS: no kernel tag, letter before the rule number, DESCR",
		opts: y2020,
		line: `Dec 21 12:34:56 UDM-Pro [WAN_LOCAL-D-2147483647] DESCR="[WAN_LOCAL]Block All Traffic" IN=eth8 OUT= MAC=aa:bb:cc:dd:ee:ff:11:22:33:44:55:66:08:00 SRC=198.51.100.9 DST=203.0.113.2 LEN=40 TOS=0x00 PREC=0x00 TTL=244 ID=54321 PROTO=TCP SPT=40000 DPT=3389 WINDOW=65535 RES=0x00 SYN URGP=0`,
		want: nf(event.Network{Time: utc(2020, 12, 21, 12, 34, 56), Action: "drop", Protocol: "tcp",
			SrcIP: addr("198.51.100.9"), SrcPort: 40000, DstIP: addr("203.0.113.2"), DstPort: 3389, TTL: 244, TCPFlags: "SYN",
			InIface: "eth8", Sensor: "UDM-Pro", RuleName: "WAN_LOCAL-2147483647",
			SrcMAC: "11:22:33:44:55:66", DstMAC: "aa:bb:cc:dd:ee:ff", IPID: 54321, TCPWindow: 65535, PacketLen: 40}),
	}, {
		name: "no kernel tag, no host, DENY prefix, ICMP error",
		opts: y2020,
		line: "Jan  8 03:37:09 DENY: IN=eth0 OUT= MAC=90:10:28:5f:62:24:90:10:18:5a:89:2a:08:00 SRC=192.168.2.71 DST=192.168.2.83 LEN=88 TOS=0x00 PREC=0x00 TTL=118 ID=21684 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.168.2.83 DST=192.168.173.191 LEN=60 TOS=0x00 PREC=0x00 TTL=54 ID=0 DF PROTO=UDP SPT=21458 DPT=62936 LEN=40 ]",
		want: nf(event.Network{Time: utc(2020, 1, 8, 3, 37, 9), Action: "drop", Protocol: "icmp",
			SrcIP: addr("192.168.2.71"), DstIP: addr("192.168.2.83"), TTL: 118, InIface: "eth0",
			ICMPType: 3, ICMPCode: 3, SrcMAC: "90:10:18:5a:89:2a", DstMAC: "90:10:28:5f:62:24", IPID: 21684, PacketLen: 88}),
	}, {
		name: "no kernel tag, host and a syslog tag, ICMP echo ID after PROTO is not the IP ID",
		opts: y2020,
		line: "Jun 28 04:30:32 Abc-A1 ulogd[812]: [SOMETHING-1234-A] IN=abc.123 OUT=abc.123 SRC=10.251.1.1 DST=10.251.1.2 LEN=84 TOS=00 PREC=0x00 TTL=63 PROTO=ICMP TYPE=8 CODE=0 ID=98765 SEQ=30123 MARK=0",
		want: nf(event.Network{Time: utc(2020, 6, 28, 4, 30, 32), Action: "allow", Direction: event.DirUnknown, Protocol: "icmp",
			SrcIP: addr("10.251.1.1"), DstIP: addr("10.251.1.2"), TTL: 63, InIface: "abc.123", OutIface: "abc.123",
			Sensor: "Abc-A1", RuleName: "SOMETHING-1234", ICMPType: 8, PacketLen: 84}),
	}, {
		name: "no kernel tag: after a classic stamp the first word is the host, even in capitals",
		opts: y2020,
		line: "Jan  8 03:37:09 INTERNET SPOOFING DROP  IN=enp4s0f1 OUT=enp5s0f1 SRC=10.16.123.245 DST=192.168.1.47 LEN=132 TOS=00 PREC=0x00 TTL=126 ID=26580 PROTO=UDP SPT=61829 DPT=65267 LEN=112 MARK=0",
		want: nf(event.Network{Time: utc(2020, 1, 8, 3, 37, 9), Action: "drop", Direction: event.DirUnknown, Protocol: "udp",
			SrcIP: addr("10.16.123.245"), SrcPort: 61829, DstIP: addr("192.168.1.47"), DstPort: 65267, TTL: 126,
			InIface: "enp4s0f1", OutIface: "enp5s0f1", Sensor: "INTERNET", IPID: 26580, PacketLen: 132}),
	}, {
		name: "no kernel tag: ulogd LOGEMU, a host and no prefix",
		opts: y2020,
		line: "Jan  8 03:37:09 myhost IN=eth0 OUT= SRC=1.2.3.4 DST=10.0.0.2 LEN=60 TTL=49 ID=7 PROTO=UDP SPT=1 DPT=2 LEN=40",
		want: nf(event.Network{Time: utc(2020, 1, 8, 3, 37, 9), Action: "log", Protocol: "udp",
			SrcIP: addr("1.2.3.4"), SrcPort: 1, DstIP: addr("10.0.0.2"), DstPort: 2, TTL: 49,
			InIface: "eth0", Sensor: "myhost", IPID: 7, PacketLen: 60}),
	}, {
		name: "no kernel tag: a host in capitals before an EdgeOS prefix",
		opts: y2020,
		line: "Jun 28 04:35:30 USG [WAN_IN-10-D] IN=eth0 OUT=eth1 SRC=1.2.3.4 DST=10.0.0.2 LEN=60 TTL=49 PROTO=TCP SPT=1 DPT=2 SYN URGP=0",
		want: nf(event.Network{Time: utc(2020, 6, 28, 4, 35, 30), Action: "drop", Direction: event.DirUnknown, Protocol: "tcp",
			SrcIP: addr("1.2.3.4"), SrcPort: 1, DstIP: addr("10.0.0.2"), DstPort: 2, TTL: 49, TCPFlags: "SYN",
			InIface: "eth0", OutIface: "eth1", Sensor: "USG", RuleName: "WAN_IN-10", PacketLen: 60}),
	}, {
		name: "Proxmox VE pve-firewall.log: the chain is the rule",
		line: "0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 policy DROP: IN=vmbr0 PHYSIN=eno1 MAC=01:00:5e:00:00:01:52:54:00:aa:bb:cc:08:00 SRC=192.0.2.10 DST=192.0.2.20 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=4411 DF PROTO=TCP SPT=51000 DPT=8006 SEQ=1 ACK=0 WINDOW=64240 SYN",
		want: nf(event.Network{Time: utc(2022, 6, 20, 11, 9, 14), Action: "drop", Protocol: "tcp",
			SrcIP: addr("192.0.2.10"), SrcPort: 51000, DstIP: addr("192.0.2.20"), DstPort: 8006, TTL: 64, TCPFlags: "SYN",
			InIface: "vmbr0", RuleName: "PVEFW-HOST-IN",
			SrcMAC: "52:54:00:aa:bb:cc", DstMAC: "01:00:5e:00:00:01", IPID: 4411, TCPWindow: 64240, PacketLen: 60}),
	}, {
		name: "header-less body takes the input's time",
		opts: Options{ModTime: time.Date(2024, 4, 20, 1, 2, 3, 456, time.FixedZone("CEST", 7200))},
		line: "INPUT DFLT DROP IN=enp4s0f0.82 OUT=enp4s0f1 SRC=192.168.224.43 DST=192.168.100.230 LEN=52 TOS=08 PREC=0x00 TTL=126 ID=0 DF PROTO=TCP SPT=44606 DPT=80 SEQ=2504400626 ACK=0 WINDOW=64612 SYN URGP=0 MARK=0",
		want: nf(event.Network{Time: utc(2024, 4, 19, 23, 2, 3), Action: "drop", Direction: event.DirUnknown, Protocol: "tcp",
			SrcIP: addr("192.168.224.43"), SrcPort: 44606, DstIP: addr("192.168.100.230"), DstPort: 80, TTL: 126, TCPFlags: "SYN",
			InIface: "enp4s0f0.82", OutIface: "enp4s0f1", TCPWindow: 64612, PacketLen: 52}),
	}, {
		name: "RFC 5424 as rsyslog forwards it",
		opts: Options{ModTime: utc(2024, 4, 20, 0, 0, 0)},
		line: "<4>1 2024-01-08T03:37:09.123Z host kernel - - - [UFW BLOCK] IN=eth0 OUT= MAC= SRC=1.2.3.4 DST=10.0.0.2 LEN=60 TTL=49 ID=0 DF PROTO=TCP SPT=51234 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0",
		want: nf(event.Network{Time: utc(2024, 1, 8, 3, 37, 9), Action: "block", Protocol: "tcp",
			SrcIP: addr("1.2.3.4"), SrcPort: 51234, DstIP: addr("10.0.0.2"), DstPort: 22, TTL: 49, TCPFlags: "SYN",
			InIface: "eth0", Sensor: "host", TCPWindow: 64240, PacketLen: 60}),
	}, {
		name: "RFC 5424 with structured data, a zone and another app",
		opts: Options{ModTime: utc(2024, 4, 20, 0, 0, 0)},
		line: `<12>1 2024-01-08T04:37:09+01:00 fw.example.org ulogd 812 - [origin ip="10.0.0.1" x="a\]b"][meta sequenceId="7"] ` + "\ufeff" + `DROP IN=eth0 OUT= SRC=1.2.3.4 DST=10.0.0.2 PROTO=UDP SPT=1 DPT=2`,
		want: nf(event.Network{Time: utc(2024, 1, 8, 3, 37, 9), Action: "drop", Protocol: "udp",
			SrcIP: addr("1.2.3.4"), SrcPort: 1, DstIP: addr("10.0.0.2"), DstPort: 2, InIface: "eth0", Sensor: "fw.example.org"}),
	}, {
		name: "dmesg -T: the stamp in brackets carries its year",
		opts: Options{ModTime: utc(2024, 4, 20, 0, 0, 0)},
		line: "[Mon Jan  8 03:37:09 2024] [UFW BLOCK] IN=eth0 OUT= SRC=1.2.3.4 DST=10.0.0.2 PROTO=UDP SPT=1 DPT=2",
		want: nf(event.Network{Time: utc(2024, 1, 8, 3, 37, 9), Action: "block", Protocol: "udp",
			SrcIP: addr("1.2.3.4"), SrcPort: 1, DstIP: addr("10.0.0.2"), DstPort: 2, InIface: "eth0"}),
	}, {
		name: "nftables log flags ether: MACSRC= and MACDST=",
		line: "2024-03-01T10:00:07Z gw kernel: DROP IN=eth0 OUT= MACSRC=52:54:00:AB:CD:EF MACDST=52:54:00:12:34:56 MACPROTO=86dd SRC=2001:db8:1::25 DST=2001:db8:2::1 LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=40",
		want: nf(event.Network{Time: utc(2024, 3, 1, 10, 0, 7), Action: "drop", Protocol: "udp",
			SrcIP: addr("2001:db8:1::25"), SrcPort: 1, DstIP: addr("2001:db8:2::1"), DstPort: 2, TTL: 57, InIface: "eth0", Sensor: "gw",
			SrcMAC: "52:54:00:ab:cd:ef", DstMAC: "52:54:00:12:34:56", PacketLen: 80}),
	}, {
		name: "IPv6 fragment: the kernel's FRAG: and ID: words",
		opts: y2020,
		line: "Apr  6 16:06:02 fw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=2001:db8:1::25 DST=2001:db8:2::1 LEN=1280 TC=0 HOPLIMIT=57 FLOWLBL=0 FRAG:1232 ID:8a3c01ff PROTO=UDP",
		want: nf(event.Network{Time: utc(2020, 4, 6, 16, 6, 2), Action: "block", Protocol: "udp",
			SrcIP: addr("2001:db8:1::25"), DstIP: addr("2001:db8:2::1"), TTL: 57, InIface: "eth0", Sensor: "fw", PacketLen: 1280}),
	}, {
		name: "dmesg line: uptime, no stamp",
		opts: Options{ModTime: utc(2024, 4, 20, 0, 0, 0)},
		line: "[12345.678901] [UFW BLOCK] IN=eth0 OUT= SRC=192.0.2.1 DST=192.168.1.10 PROTO=UDP SPT=1 DPT=2 INCOMPLETE [65535 bytes]",
		want: nf(event.Network{Time: utc(2024, 4, 20, 0, 0, 0), Action: "block", Protocol: "udp",
			SrcIP: addr("192.0.2.1"), SrcPort: 1, DstIP: addr("192.168.1.10"), DstPort: 2, InIface: "eth0"}),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got event.Network
			if err := newNetfilterParser(tt.opts).Parse([]byte(tt.line), &got); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.want.ID = event.NewID("netfilter", []byte(tt.line))
			checkEvent(t, tt.want, got)
		})
	}
}

func TestNetfilterBad(t *testing.T) {
	const ok = " IN=eth0 OUT= SRC=192.0.2.1 DST=192.168.1.10 PROTO=TCP SPT=1 DPT=2"
	tests := []struct {
		name, line, err string
	}{
		{"missing SRC", "2024-03-01T10:00:00Z gw kernel: DROP IN=eth0 OUT= DST=192.168.1.10 PROTO=TCP", "missing SRC="},
		{"missing DST", "2024-03-01T10:00:00Z gw kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 PROTO=TCP", "missing DST="},
		{"bad SRC", "2024-03-01T10:00:00Z gw kernel: DROP IN=eth0 OUT= SRC=1.2.3.999 DST=192.168.1.10", `bad SRC address "1.2.3.999"`},
		{"empty SRC", "2024-03-01T10:00:00Z gw kernel: DROP IN=eth0 OUT= SRC= DST=192.168.1.10", `bad SRC address ""`},
		{"bad DST", "2024-03-01T10:00:00Z gw kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=2001:db8::g", `bad DST address "2001:db8::g"`},
		{"leading zero octet", "2024-03-01T10:00:00Z gw kernel: DROP IN=eth0 OUT= SRC=192.0.2.01 DST=192.168.1.10", `bad SRC address "192.0.2.01"`},
		{"bad DPT", "2024-03-01T10:00:00Z gw kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.168.1.10 PROTO=TCP DPT=70000", `bad DPT "70000"`},
		{"bad SPT", "2024-03-01T10:00:00Z gw kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.168.1.10 PROTO=TCP SPT=-1", `bad SPT "-1"`},
		{"bad TTL", "2024-03-01T10:00:00Z gw kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.168.1.10 TTL=300", `bad TTL "300"`},
		{"month 13", "2024-13-01T10:00:00Z gw kernel: DROP" + ok, `bad timestamp "2024-13-01T10:00:00Z"`},
		{"hour 24", "2024-03-01T24:00:00Z gw kernel: DROP" + ok, `bad timestamp "2024-03-01T24:00:00Z"`},
		{"bad zone", "2024-03-01T10:00:00+25:00 gw kernel: DROP" + ok, `bad timestamp "2024-03-01T10:00:00+25:00"`},
		{"truncated stamp", "2024-03-01T10:00 gw kernel: DROP" + ok, `bad timestamp "2024-03-01T10:00"`},
		{"Feb 30 classic", "Feb 30 10:00:00 gw kernel: DROP" + ok, "impossible date Feb 30"},
		{"Feb 30 iso", "2024-02-30T10:00:00Z gw kernel: DROP" + ok, "impossible date Feb 30 2024"},
		{"Feb 29 in a common year", "2023-02-29T10:00:00Z gw kernel: DROP" + ok, "impossible date Feb 29 2023"},
		{"Apr 31 OpenWrt", "Thu Apr 31 10:00:00 2020 kern.warn kernel: DROP" + ok, "impossible date Apr 31"},
		{"classic 25h", "Apr  6 25:05:29 gw kernel: DROP" + ok, `bad timestamp "Apr  6 25:05:29"`},
		{"over-long line: a record with junk glued on", "2024-03-01T10:00:00Z gw kernel: DROP" + ok + strings.Repeat("A", netfilterMaxLine),
			"line of 8294 bytes is longer than a netfilter LOG line can be (8192)"},
		{"another line glued on", "2024-03-01T10:00:00Z gw kernel: DROP" + ok + " Apr  6 16:05:29 gw kernel: [ 1.2] usb 1-1: new device",
			`junk after the packet fields at "Apr": not a word the kernel writes`},
		{"free text after the fields", "INPUT DROP" + ok + " lorem ipsum", `junk after the packet fields at "lorem"`},
		{"header-less, no fields", "INPUT DFLT DROP", "no IN= or SRC= fields"},
		{"year before 1970", "1969-12-31T23:59:59Z gw kernel: DROP" + ok, "bad timestamp"},
		{"binary junk", "\x00\x01\x02\xff\xfeSRC=", "not a netfilter line: binary data at byte 0"},
		{"invalid UTF-8", "2024-03-01T10:00:00Z gw kernel: \x80" + ok, "not a netfilter line: binary data at byte 32"},
		{"control byte inside", "2024-03-01T10:00:00Z gw kernel: DROP\x1b[0m" + ok, "binary data at byte 36"},
		{"JSON line", `{"src_addr":"192.0.2.1","dst_addr":"192.168.1.10"}`, "not a netfilter line: a JSON object"},
		{"another program", "Apr  6 16:05:29 gw sshd[1234]: Failed password for root from 192.0.2.1 port 22 ssh2", `not a netfilter line: no "kernel:" tag`},
		{"other kernel message", "Apr  6 16:05:29 gw kernel: [ 12.5] usb 1-1: new high-speed USB device number 2", "not a netfilter line: no IN= or SRC= fields"},
		{"stamp only", "2024-03-01T10:00:00Z", `no "kernel:" tag`},
		{"unrecognised stamp: slashed date", "2024/01/08 03:37:09 gw [UFW BLOCK]" + ok, `unrecognised header before IN= "2024/01/08 03:37:09 gw [UFW BLOCK]"`},
		{"unrecognised stamp: a bare ISO date", "[UFW BLOCK] 2024-01-08" + ok, "unrecognised header before IN="},
		{"RFC 5424 with a classic stamp", "<4>1 Jan  8 03:37:09 gw kernel - - - DROP" + ok, `bad RFC 5424 timestamp "Jan"`},
		{"RFC 5424 with a bad stamp", "<4>1 2024-01-32T03:37:09Z gw kernel - - - DROP" + ok, "impossible date Jan 32 2024"},
		{"RFC 5424 with unclosed structured data", `<4>1 2024-01-08T03:37:09Z gw kernel - - [meta x="]"` + ok, "bad RFC 5424 structured data"},
		{"dmesg -T, impossible date", "[Mon Feb 30 03:37:09 2024] DROP" + ok, "impossible date Feb 30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev event.Network
			err := newNetfilterParser(Options{Year: 2024}).Parse([]byte(tt.line), &ev)
			if err == nil || errors.Is(err, ErrSkip) || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Parse(%q) = %v, want an error containing %q", tt.line, err, tt.err)
			}
		})
	}
}

func TestNetfilterSkip(t *testing.T) {
	for _, line := range []string{"", "   ", "\t\r", "0 5 - 13/Jun/2022:10:12:30 +0200 starting pvefw logger"} {
		var ev event.Network
		if err := newNetfilterParser(Options{}).Parse([]byte(line), &ev); !errors.Is(err, ErrSkip) {
			t.Errorf("Parse(%q) = %v, want ErrSkip", line, err)
		}
	}
}

// TestNetfilterYear places yearless stamps across New Year, with a given
// year and with the file's modification time.
func TestNetfilterYear(t *testing.T) {
	jan2 := utc(2024, 1, 2, 0, 0, 0)
	tests := []struct {
		name  string
		opts  Options
		lines []string // classic stamps
		want  []time.Time
		err   string // for the last line
	}{{
		name:  "year rolls over Dec to Jan",
		opts:  Options{Year: 2023},
		lines: []string{"Dec 31 23:59:59", "Dec 31 23:59:59", "Jan  1 00:00:01", "Jan  1 00:00:02"},
		want:  []time.Time{utc(2023, 12, 31, 23, 59, 59), utc(2023, 12, 31, 23, 59, 59), utc(2024, 1, 1, 0, 0, 1), utc(2024, 1, 1, 0, 0, 2)},
	}, {
		name:  "a month back is disorder, not a new year",
		opts:  Options{Year: 2023},
		lines: []string{"Mar  1 00:00:00", "Feb 28 23:59:59", "Nov 30 10:00:00", "Dec  1 10:00:00"},
		want:  []time.Time{utc(2023, 3, 1, 0, 0, 0), utc(2023, 2, 28, 23, 59, 59), utc(2023, 11, 30, 10, 0, 0), utc(2023, 12, 1, 10, 0, 0)},
	}, {
		name:  "two rollovers",
		opts:  Options{Year: 2022},
		lines: []string{"Dec 31 00:00:00", "Jan  1 00:00:00", "Dec 31 00:00:00", "Jan  1 00:00:00"},
		want:  []time.Time{utc(2022, 12, 31, 0, 0, 0), utc(2023, 1, 1, 0, 0, 0), utc(2023, 12, 31, 0, 0, 0), utc(2024, 1, 1, 0, 0, 0)},
	}, {
		name:  "mtime on Jan 2 puts Dec 31 in the year before",
		opts:  Options{ModTime: jan2},
		lines: []string{"Dec 31 23:59:59", "Jan  1 00:00:01", "Jan  2 23:59:59", "Jan  3 00:00:01"},
		want:  []time.Time{utc(2023, 12, 31, 23, 59, 59), utc(2024, 1, 1, 0, 0, 1), utc(2024, 1, 2, 23, 59, 59), utc(2023, 1, 3, 0, 0, 1)},
	}, {
		name:  "mtime in a zone",
		opts:  Options{ModTime: time.Date(2024, 1, 1, 0, 30, 0, 0, time.FixedZone("JST", 9*3600)), Location: time.FixedZone("JST", 9*3600)},
		lines: []string{"Dec 31 23:59:59", "Jan  1 00:29:59"},
		want:  []time.Time{utc(2023, 12, 31, 14, 59, 59), utc(2023, 12, 31, 15, 29, 59)},
	}, {
		name:  "Feb 29 goes back to a leap year",
		opts:  Options{ModTime: utc(2025, 3, 1, 0, 0, 0)},
		lines: []string{"Feb 28 12:00:00", "Feb 29 12:00:00"},
		want:  []time.Time{utc(2025, 2, 28, 12, 0, 0), utc(2024, 2, 29, 12, 0, 0)},
	}, {
		name:  "Feb 29 in a common year is impossible",
		opts:  Options{Year: 2023},
		lines: []string{"Feb 28 12:00:00", "Feb 29 12:00:00"},
		want:  []time.Time{utc(2023, 2, 28, 12, 0, 0)},
		err:   "impossible date Feb 29 2023",
	}, {
		name:  "Feb 29 after the rollover into a leap year",
		opts:  Options{Year: 2023},
		lines: []string{"Dec 31 12:00:00", "Feb 29 12:00:00"},
		want:  []time.Time{utc(2023, 12, 31, 12, 0, 0), utc(2024, 2, 29, 12, 0, 0)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newNetfilterParser(tt.opts)
			for i, stamp := range tt.lines {
				line := stamp + " gw kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.168.1.10 PROTO=UDP SPT=1 DPT=2"
				var ev event.Network
				err := p.Parse([]byte(line), &ev)
				if i == len(tt.want) {
					if err == nil || !strings.Contains(err.Error(), tt.err) {
						t.Fatalf("line %d %q: err %v, want %q", i, stamp, err, tt.err)
					}
					return
				}
				if err != nil {
					t.Fatalf("line %d %q: %v", i, stamp, err)
				}
				if !ev.Time.Equal(tt.want[i]) {
					t.Errorf("line %d %q: time %v, want %v", i, stamp, ev.Time, tt.want[i])
				}
			}
		})
	}
}

// TestNetfilterGoodFile parses every line of the sample file.
func TestNetfilterGoodFile(t *testing.T) {
	p := newNetfilterParser(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
	for i, line := range readLines(t, "netfilter.good.log") {
		var ev event.Network
		if err := p.Parse(line, &ev); err != nil {
			t.Errorf("line %d: %v", i+1, err)
			continue
		}
		checkInvariants(t, "netfilter", line, &ev)
	}
}

// TestNetfilterReuse checks that nothing of one line leaks into the next
// (the event is reset, the stamp cache is keyed by the whole stamp).
func TestNetfilterReuse(t *testing.T) {
	p := newNetfilterParser(Options{Year: 2024})
	var ev event.Network
	first := "2024-03-01T10:00:00Z gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=192.0.2.1 DST=192.168.1.10 TTL=5 PROTO=TCP SPT=1 DPT=2 SYN"
	second := "2024-03-01T10:00:00+01:00 kernel: IN= OUT=eth1 SRC=192.0.2.2 DST=192.168.1.11 PROTO=UDP"
	if err := p.Parse([]byte(first), &ev); err != nil {
		t.Fatal(err)
	}
	if err := p.Parse([]byte(second), &ev); err != nil {
		t.Fatal(err)
	}
	checkEvent(t, nf(event.Network{
		ID: event.NewID("netfilter", []byte(second)), Time: utc(2024, 3, 1, 9, 0, 0), Action: "log",
		Direction: event.DirOutbound, Protocol: "udp", SrcIP: addr("192.0.2.2"), DstIP: addr("192.168.1.11"), OutIface: "eth1",
	}), ev)
}

// TestNetfilterNoAllocs guards the hot path: once the interners have seen a
// stream's repeated strings, a line costs no allocation.
func TestNetfilterNoAllocs(t *testing.T) {
	lines := readLines(t, "netfilter.good.log")
	p := newNetfilterParser(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
	var ev event.Network
	for _, l := range lines {
		_ = p.Parse(l, &ev)
	}
	i := 0
	if n := testing.AllocsPerRun(1000, func() {
		_ = p.Parse(lines[i%len(lines)], &ev)
		i++
	}); n != 0 {
		t.Errorf("%v allocations per line, want 0", n)
	}
}
