package syslog

import (
	"testing"
	"time"
)

func TestAppendLine(t *testing.T) {
	now := time.Date(2024, 11, 28, 10, 0, 5, 900, time.FixedZone("x", 3600))
	const recv = "2024-11-28T09:00:05Z"
	cases := []struct{ msg, want string }{
		// RFC 3164: the PRI goes; a stamp and a host stay.
		{"<4>Nov 28 10:00:00 router kernel: DROP IN=eth0\n", "Nov 28 10:00:00 router kernel: DROP IN=eth0"},
		{"<4>Nov  8 10:00:00.123 router kernel: x", "Nov  8 10:00:00.123 router kernel: x"},
		{"<4>2024-11-28T10:00:00+01:00 router kernel: x", "2024-11-28T10:00:00+01:00 router kernel: x"},
		// A stamp without a host gets the sender.
		{"<134>Jul  3 19:10:30 filterlog[72237]: 146,,", "Jul  3 19:10:30 192.0.2.1 filterlog[72237]: 146,,"},
		{"<164>Nov 28 2024 10:00:00: %ASA-4-106023: Deny", "Nov 28 2024 10:00:00: 192.0.2.1 %ASA-4-106023: Deny"},
		{"<164>Nov 28 2024 10:00:00 asa1 : %ASA-4-106023: Deny", "Nov 28 2024 10:00:00 asa1 : %ASA-4-106023: Deny"},
		{"Nov 28 10:00:00 [WAN_IN-10-D]IN=eth0", "Nov 28 10:00:00 192.0.2.1 [WAN_IN-10-D]IN=eth0"},
		{"Nov 28 10:00:00", "Nov 28 10:00:00 192.0.2.1"},
		// No stamp: no header at all.
		{"<166>%ASA-6-302013: Built\r\n", recv + " 192.0.2.1 %ASA-6-302013: Built"},
		{"<189>date=2024-11-28 time=10:00:00 devname=\"fw1\"\x00", recv + " 192.0.2.1 date=2024-11-28 time=10:00:00 devname=\"fw1\""},
		{"DROP IN=eth0", recv + " 192.0.2.1 DROP IN=eth0"},
		{"<1x>text", recv + " 192.0.2.1 <1x>text"},
		{"Nov 28 10:00:0 x", recv + " 192.0.2.1 Nov 28 10:00:0 x"},
		// RFC 5424 stays, PRI and all; nil stamp and host filled, BOM gone.
		{"<134>1 2022-06-09T14:44:11-06:00 fw filterlog 7 - [m a=\"]\"] \xef\xbb\xbf124,,", "<134>1 2022-06-09T14:44:11-06:00 fw filterlog 7 - [m a=\"]\"] 124,,"},
		{"<4>1 - - kernel - - - DROP", "<4>1 " + recv + " 192.0.2.1 kernel - - - DROP"},
		{"<4>1 -", "<4>1 -"},
		// Nothing to keep.
		{"\r\n\x00 ", ""},
		{"<13>", ""},
		{"<13>  \n", ""},
	}
	var n normalizer
	for _, tc := range cases {
		if got := string(n.appendLine(nil, []byte(tc.msg), now, "192.0.2.1")); got != tc.want {
			t.Errorf("appendLine(%q)\n got %q\nwant %q", tc.msg, got, tc.want)
		}
	}
}
