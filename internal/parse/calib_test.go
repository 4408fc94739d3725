package parse

import (
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

func BenchmarkCalibNewID(b *testing.B) {
	lines := readLines(b, "netfilter.good.log")
	var id event.ID
	for i := 0; i < b.N; i++ {
		id = event.NewID("netfilter", lines[i%len(lines)])
	}
	_ = id
}

func BenchmarkCalibStages(b *testing.B) {
	lines := readLines(b, "netfilter.good.log")
	p := newNetfilterParser(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
	b.Run("badByte", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			badByte(lines[i%len(lines)])
		}
	})
	b.Run("stamp", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p.clock.parse(lines[i%len(lines)])
		}
	})
	b.Run("fields", func(b *testing.B) {
		var ev event.Network
		var kvs [][]byte
		for _, l := range lines {
			kvs = append(kvs, l[bytesIndex(l, "IN="):])
		}
		for i := 0; i < b.N; i++ {
			p.fields(kvs[i%len(kvs)], &ev)
		}
	})
}

func bytesIndex(b []byte, s string) int {
	for i := range b {
		if string(b[i:min(i+len(s), len(b))]) == s {
			return i
		}
	}
	return 0
}

func BenchmarkCalibTokenize(b *testing.B) {
	lines := readLines(b, "netfilter.good.log")
	var kvs [][]byte
	for _, l := range lines {
		kvs = append(kvs, l[bytesIndex(l, "IN="):])
	}
	n := 0
	for i := 0; i < b.N; i++ {
		bb := kvs[i%len(kvs)]
		for j := 0; j < len(bb); {
			for j < len(bb) && bb[j] == ' ' {
				j++
			}
			j = valueEnd(bb, j)
			if j < len(bb) && bb[j] == '=' {
				j = valueEnd(bb, j+1)
			}
			n++
		}
	}
	_ = n
}

func BenchmarkCalibAddr(b *testing.B) {
	as := [][]byte{[]byte("192.168.1.10"), []byte("203.0.113.7"), []byte("2001:db8:1::25"), []byte("198.51.100.200")}
	for i := 0; i < b.N; i++ {
		parseAddr(as[i%len(as)])
	}
}
