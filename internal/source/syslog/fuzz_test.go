package syslog

import (
	"bytes"
	"testing"
	"time"
)

// FuzzNormalize checks that appendLine only appends, drops line ends,
// and is idempotent: a line it made is one it leaves as it is.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"<134>Jul  3 19:10:30 filterlog[72237]: 146,,,1535324496,igb1.12,match,block,in,4",
		"<134>1 2022-06-09T14:44:11-06:00 OPNsense filterlog 76404 - [meta sequenceId=\"1\"] \xef\xbb\xbf124,,,",
		"<4>1 - - kernel - - - DROP IN=eth0",
		"<166>%ASA-6-302013: Built inbound TCP connection\r\n",
		"<164>Nov 28 2024 10:00:00: %ASA-4-106023: Deny udp",
		"<189>date=2024-11-28 time=10:00:00 devname=\"fw1\"\x00",
		"Nov  8 10:00:00.123 host app[1]: x",
		"2024-11-28 10:00:00 host x",
		"<13>", "<1>1 ", "\r\n\x00 ",
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2024, 11, 28, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > 4096 {
			return
		}
		var n normalizer
		prefix := []byte("keep")
		out := n.appendLine(prefix, msg, now, "192.0.2.1")
		if !bytes.HasPrefix(out, []byte("keep")) {
			t.Fatalf("prefix overwritten: %q", out)
		}
		line := out[4:]
		if len(line) == 0 {
			return
		}
		if c := line[len(line)-1]; c == '\n' || c == '\r' || c == 0 || line[0] == ' ' {
			t.Fatalf("line %q of %q keeps a line end or leading space", line, msg)
		}
		if bytes.Contains(line, bom) {
			return // one BOM goes at a time
		}
		again := n.appendLine(nil, line, now.Add(time.Hour), "198.51.100.1")
		if !bytes.Equal(again, line) {
			t.Fatalf("not idempotent:\n msg  %q\n line %q\n again %q", msg, line, again)
		}
	})
}

// frameStream frames a stream as a connection's reader does, in a buffer
// of max+64 KiB read chunk by chunk; it returns the messages and whether the
// connection was closed for lost framing.
func frameStream(t *testing.T, stream []byte, max int, chunk func() int) (msgs [][]byte, fatal bool) {
	f := framer{max: max}
	buf := make([]byte, max+64<<10)
	r, w, eof := 0, 0, false
	for {
		for {
			fr, used := f.next(buf[r:w], eof)
			if used == 0 {
				break
			}
			if used > w-r {
				t.Fatalf("used %d of %d bytes", used, w-r)
			}
			r += used
			if fr.msg != nil {
				if len(fr.msg) > max {
					t.Fatalf("frame of %d bytes, max %d", len(fr.msg), max)
				}
				if (fr.reject != "") != fr.bad {
					t.Fatalf("frame %+v: a reject is a framing error", fr)
				}
				msgs = append(msgs, bytes.Clone(fr.msg))
			}
			if fr.fatal {
				return msgs, true
			}
		}
		if eof {
			if r != w {
				t.Fatalf("%d bytes left at the end", w-r)
			}
			return msgs, false
		}
		w = copy(buf, buf[r:w])
		r = 0
		n := min(chunk(), len(buf)-w, len(stream))
		if w == len(buf) {
			t.Fatalf("framer needs more than a full buffer")
		}
		w += copy(buf[w:], stream[:n])
		stream = stream[n:]
		eof = len(stream) == 0
	}
}

// FuzzFrame checks that the framer consumes every byte, keeps frames within
// the limit, and finds the same frames whatever the reads' sizes.
func FuzzFrame(f *testing.F) {
	for _, s := range []string{
		"12 <1>abcdefghi5 <1>xy\n",
		"5x junk\n7 <1>abcd",
		"<13>a\r\n<13>b\x00<13>c",
		"100 <13>cut",
		"99999999999 <1>",
		"0 <1>",
		"20 <13>0123456789abcdef4 <1>x",
	} {
		f.Add([]byte(s), uint8(16), uint8(3))
	}
	f.Fuzz(func(t *testing.T, stream []byte, max, step uint8) {
		if len(stream) > 1<<12 {
			return
		}
		m := int(max) + 1
		whole, fatal1 := frameStream(t, stream, m, func() int { return 1 << 20 })
		s := int(step%17) + 1
		chunked, fatal2 := frameStream(t, stream, m, func() int { return s })
		if fatal1 != fatal2 || len(whole) != len(chunked) {
			t.Fatalf("%d frames (fatal %v) read at once, %d (fatal %v) in reads of %d", len(whole), fatal1, len(chunked), fatal2, s)
		}
		for i := range whole {
			if !bytes.Equal(whole[i], chunked[i]) {
				t.Fatalf("frame %d: %q at once, %q in reads of %d", i, whole[i], chunked[i], s)
			}
		}
	})
}
