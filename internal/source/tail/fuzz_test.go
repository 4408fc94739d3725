package tail

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzLines reads a file in small chunks with a small long-line limit and
// checks the lines against a plain split: every complete line once, "\r"
// ends stripped, long lines cut with a reject, the unfinished rest unread.
func FuzzLines(f *testing.F) {
	for _, s := range []string{"a\nb\r\n\nc", "0123456789abc\nx\n", "\r\n\r\r\n", "long line without end"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		if len(data) > 4096 {
			return
		}
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := &testSink{}
		tl, err := New(Config{Paths: []string{path}, BatchLines: 3, Logger: slog.New(slog.DiscardHandler)}, s)
		if err != nil {
			t.Fatal(err)
		}
		tl.maxLine, tl.kept, tl.readSize = 8, 4, int(chunk%16)+1
		tl.poll(context.Background(), true)
		for _, f := range tl.files {
			f.f.Close()
		}
		var want []string
		rest := data
		for {
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				break
			}
			l := bytes.TrimSuffix(rest[:i], []byte("\r"))
			if len(l) > 8 {
				l = l[:4]
			}
			want = append(want, string(l))
			rest = rest[i+1:]
		}
		if got := s.lines(); !slices.Equal(got, want) {
			t.Fatalf("lines %q, want %q", got, want)
		}
	})
}

// FuzzCheckpoints decodes checkpoint files: an error or checkpoints that
// are sound, never a panic.
func FuzzCheckpoints(f *testing.F) {
	f.Add([]byte(`{"version":1,"files":[{"path":"/a","dev":1,"inode":2,"head_len":2,"head_sha256":"` + headOf([]byte("ab")).Sum + `","offset":3}]}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := decodeCheckpoints(data)
		if err != nil {
			return
		}
		for _, c := range cs {
			if c.Offset < 0 || c.head.Len < 0 || c.head.Len > headLen {
				t.Fatalf("unsound checkpoint %+v", c)
			}
		}
	})
}
