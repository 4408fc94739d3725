package feeds

import (
	"bytes"
	"testing"
)

// FuzzDecode: Decode never panics, never returns more than its limit, and
// gives back a body that is neither gzip nor zip as it is.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("198.51.100.0/24 ; SBL000101\n"))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Add([]byte("PK\x03\x04junk"))
	f.Fuzz(func(t *testing.T, body []byte) {
		const max = 1 << 16
		out, err := Decode(body, max)
		if err != nil {
			return
		}
		if len(out) > max {
			t.Fatalf("%d bytes out, limit %d", len(out), max)
		}
		if !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) && !bytes.HasPrefix(body, []byte("PK\x03\x04")) && !bytes.Equal(out, body) {
			t.Fatalf("plain body changed")
		}
	})
}
