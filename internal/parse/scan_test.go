package parse

import (
	"bytes"
	"testing"
)

// TestBadByte puts every byte value at every position of a text line, so
// each lane of the word-at-a-time checks is exercised.
func TestBadByte(t *testing.T) {
	base := bytes.Repeat([]byte("SRC=192.0.2.1 ~ "), 5)
	for pos := range base {
		for c := range 256 {
			line := bytes.Clone(base)
			line[pos] = byte(c)
			want := -1
			if c < 0x20 && c != '\t' || c >= 0x7f { // a lone high byte is bad UTF-8
				want = pos
			}
			if got := badByte(line); got != want {
				t.Fatalf("badByte with %#x at %d = %d, want %d", c, pos, got, want)
			}
		}
	}
	for _, ok := range []string{"Überwachung", "日本語 kernel:", "tab\there"} {
		if got := badByte([]byte(ok)); got != -1 {
			t.Errorf("badByte(%q) = %d, want -1", ok, got)
		}
	}
}
