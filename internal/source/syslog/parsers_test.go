package syslog

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/parse"
)

// The syslog forms routers and firewalls send, received over real loopback
// sockets: each record's Line must be detected as its format and parse into
// the event the message describes, with the sender's address for a missing
// host and the received time for a missing stamp.
func TestParsersReadReceivedLines(t *testing.T) {
	type want struct {
		src, dst      string
		sport, dport  uint16
		proto, action string
		sensor        string
		time          string // RFC 3339; "received": the second the listener read it
	}
	cases := []struct {
		name, format, msg string
		want              want
	}{
		{"netfilter RFC 3164", "netfilter",
			"<4>Nov 28 10:00:00 router kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.5 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT=51234 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0\n",
			want{"203.0.113.5", "192.0.2.10", 51234, 22, "tcp", "block", "router", "*-11-28T10:00:00Z"}},
		{"netfilter EdgeOS, no stamp, no host", "netfilter",
			"<4>kernel: [WAN_IN-10-D]IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=198.51.100.9 DST=192.0.2.10 LEN=40 TOS=0x00 PREC=0x00 TTL=244 ID=54321 PROTO=TCP SPT=40000 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0\r\n",
			want{"198.51.100.9", "192.0.2.10", 40000, 23, "tcp", "drop", "127.0.0.1", "received"}},
		{"netfilter RFC 5424, nil host and stamp", "netfilter",
			"<4>1 - - kernel - - - [UFW ALLOW] IN=eth0 OUT= SRC=198.51.100.9 DST=192.0.2.10 LEN=40 TOS=0x00 PREC=0x00 TTL=244 ID=54321 PROTO=UDP SPT=5353 DPT=53 LEN=20\x00",
			want{"198.51.100.9", "192.0.2.10", 5353, 53, "udp", "allow", "127.0.0.1", "received"}},
		{"filterlog pfSense RFC 5424", "filterlog",
			"<134>1 2024-11-28T10:00:00.123456+01:00 pfsense.home.arpa filterlog 12345 - - 5,,,1000000103,igb0,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,198.51.100.7,192.0.2.1,40000,443,0,S,123,,64240,,mss\n",
			want{"198.51.100.7", "192.0.2.1", 40000, 443, "tcp", "drop", "pfsense.home.arpa", "2024-11-28T09:00:00Z"}},
		{"filterlog pfSense RFC 3164, no host", "filterlog",
			"<134>Jul  3 19:10:30 filterlog[72237]: 146,,,1535324496,igb1.12,match,block,in,4,0x0,,63,12617,0,DF,6,tcp,60,10.170.12.50,1.1.1.1,49724,853,0,S,1891286705,,64240,,mss;sackOK;TS;nop;wscale",
			want{"10.170.12.50", "1.1.1.1", 49724, 853, "tcp", "drop", "127.0.0.1", "*-07-03T19:10:30Z"}},
		{"filterlog OPNsense RFC 3164", "filterlog",
			"<134>Jan 1 02:21:38 firewall.opnsense.net filterlog[97530]: 176,,,1520797901,igb1.27,match,pass,in,4,0xb8,,64,58355,0,none,17,udp,76,10.170.27.27,216.229.4.66,123,123,56",
			want{"10.170.27.27", "216.229.4.66", 123, 123, "udp", "allow", "firewall.opnsense.net", "*-01-01T02:21:38Z"}},
		{"filterlog OPNsense RFC 5424, structured data and BOM", "filterlog",
			"<134>1 2022-06-09T14:44:11-06:00 OPNsense.example.com filterlog 76404 - [meta sequenceId=\"1\"] \xef\xbb\xbf124,,,fae559338f65e11c53669fc3642c93c2,ixl1_vlan70,match,pass,out,4,0x0,,63,5687,0,DF,6,tcp,60,192.168.1.1,10.10.10.10,40370,80,0,S,3364871769,,65535,,mss;sackOK;TS;nop;wscale",
			want{"192.168.1.1", "10.10.10.10", 40370, 80, "tcp", "allow", "OPNsense.example.com", "2022-06-09T20:44:11Z"}},
		{"cisco-asa without a stamp", "cisco-asa",
			"<166>%ASA-6-302013: Built inbound TCP connection 1800234408 for outside:198.51.100.7/40454 (198.51.100.7/40454) to inside:192.0.2.10/53 (192.0.2.10/53)\n",
			want{"198.51.100.7", "192.0.2.10", 40454, 53, "tcp", "allow", "127.0.0.1", "received"}},
		{"cisco-asa own stamp, no device id", "cisco-asa",
			"<164>Nov 28 2024 10:00:00: %ASA-4-106023: Deny udp src outside:198.51.100.7/320 dst inside:192.0.2.10/53 by access-group \"OUTSIDE_IN\" [0x0, 0x0]",
			want{"198.51.100.7", "192.0.2.10", 320, 53, "udp", "drop", "127.0.0.1", "2024-11-28T10:00:00Z"}},
		{"cisco-asa own stamp and device id", "cisco-asa",
			"<164>Nov 28 2024 10:00:00 asa1 : %ASA-4-106023: Deny tcp src outside:198.51.100.7/4000 dst inside:192.0.2.10/445 by access-group \"OUTSIDE_IN\" [0x0, 0x0]",
			want{"198.51.100.7", "192.0.2.10", 4000, 445, "tcp", "drop", "asa1", "2024-11-28T10:00:00Z"}},
		{"fortigate without a header", "fortigate",
			"<189>date=2024-11-28 time=10:00:00 devname=\"fw1\" devid=\"FG100F0000000001\" logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" vd=\"root\" eventtime=1732788000 srcip=192.0.2.10 srcport=51000 srcintf=\"lan\" srcintfrole=\"lan\" dstip=198.51.100.7 dstport=443 dstintf=\"wan1\" dstintfrole=\"wan\" proto=6 action=\"accept\" policyid=1 service=\"HTTPS\" sentbyte=100 rcvdbyte=200\r\n\x00",
			want{"192.0.2.10", "198.51.100.7", 51000, 443, "tcp", "allow", "fw1", "2024-11-28T10:00:00Z"}},
	}
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			sink := &collectSink{}
			l, _ := serve(t, Config{Listen: network + "://127.0.0.1:0"}, sink)
			c := dial(t, network, l)
			before := time.Now().Truncate(time.Second)
			for _, tc := range cases {
				msg := tc.msg
				if network == "tcp" { // octet counting: the message's own line ends stay in the frame
					msg = fmt.Sprintf("%d %s", len(msg), msg)
				}
				if _, err := c.Write([]byte(msg)); err != nil {
					t.Fatal(err)
				}
				if network == "udp" { // one at a time: UDP keeps no order between batches
					sink.wait(t, len(sink.records())+1)
				}
			}
			recs := sink.wait(t, len(cases))
			after := time.Now()
			for i, tc := range cases {
				rec := recs[i]
				if rec.Source != "syslog+"+network+"://127.0.0.1" || rec.Reject != "" || rec.Format != "" {
					t.Errorf("%s: record source %q format %q reject %q", tc.name, rec.Source, rec.Format, rec.Reject)
				}
				if rec.Received.Before(before) || rec.Received.After(after) {
					t.Errorf("%s: received %v, not between %v and %v", tc.name, rec.Received, before, after)
				}
				f, err := parse.Detect([][]byte{rec.Line})
				if err != nil || f.Name != tc.format {
					t.Errorf("%s: Detect(%q) = %q, %v; want %s", tc.name, rec.Line, f.Name, err, tc.format)
				}
				f, err = parse.Lookup(tc.format)
				if err != nil {
					t.Fatal(err)
				}
				// The parser's input time is a day off: a time taken from
				// it instead of the line would show.
				p := f.New(parse.Options{ModTime: rec.Received.Add(24 * time.Hour)})
				var ev event.Network
				if err := p.Parse(rec.Line, &ev); err != nil {
					t.Errorf("%s: parse %q: %v", tc.name, rec.Line, err)
					continue
				}
				w := tc.want
				got := want{ev.SrcIP.String(), ev.DstIP.String(), ev.SrcPort, ev.DstPort, ev.Protocol, ev.Action, ev.Sensor, ev.Time.Format(time.RFC3339)}
				switch {
				case w.time == "received":
					w.time = rec.Received.UTC().Truncate(time.Second).Format(time.RFC3339)
				case strings.HasPrefix(w.time, "*"): // a yearless stamp: any year
					got.time = "*" + got.time[4:]
				}
				if got != w {
					t.Errorf("%s: line %q\n got %+v\nwant %+v", tc.name, rec.Line, got, w)
				}
				if _, err := netip.ParseAddr(w.src); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
