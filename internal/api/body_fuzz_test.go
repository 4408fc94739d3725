package api

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzLineLimit: lineLimit returns the input whole within the limit, and
// past it exactly the lines that end within the limit, then errTooLarge,
// however the reader below splits its reads.
func FuzzLineLimit(f *testing.F) {
	f.Add([]byte("a\nbb\nccc\n"), uint16(5), uint8(0))
	f.Add([]byte("a\nbb\nccc"), uint16(100), uint8(1))
	f.Add([]byte("no newline at all"), uint16(3), uint8(2))
	f.Add([]byte("\n\n\n"), uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, limit uint16, split uint8) {
		var r io.Reader = bytes.NewReader(data)
		switch split % 3 {
		case 1:
			r = iotest.OneByteReader(r)
		case 2:
			r = iotest.HalfReader(r)
		}
		l := &lineLimit{r: r, left: int64(limit), limit: int64(limit), buf: make([]byte, 0, lineBuf)}
		got, err := io.ReadAll(l)
		want, wantErr := data, error(nil)
		if len(data) > int(limit) {
			want = data[:bytes.LastIndexByte(data[:limit], '\n')+1]
			wantErr = errTooLarge{int64(limit)}
		}
		if !bytes.Equal(got, want) || !errors.Is(err, wantErr) && err != wantErr {
			t.Fatalf("limit %d: got %q, %v; want %q, %v", limit, got, err, want, wantErr)
		}
		if _, err := l.Read(make([]byte, 10)); wantErr != nil && err != wantErr || wantErr == nil && err != io.EOF {
			t.Fatalf("read after the end: %v", err)
		}
	})
}

// TestByteLimit: byteLimit gives limit bytes, then errTooLarge, again
// and again.
func TestByteLimit(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 11, 100} {
		b := &byteLimit{r: iotest.HalfReader(strings.NewReader(strings.Repeat("x", n))), left: 10, limit: 10}
		got, err := io.ReadAll(b)
		if n <= 10 && (err != nil || len(got) != n) || n > 10 && (err != (errTooLarge{10}) || len(got) != 10) {
			t.Errorf("%d bytes: %d, %v", n, len(got), err)
		}
		if _, err2 := b.Read(make([]byte, 5)); n > 10 && err2 != (errTooLarge{10}) {
			t.Errorf("%d bytes: read again: %v", n, err2)
		}
	}
}
