package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// testRejectsAnyBytes: a rejected line is kept whatever its bytes - invalid
// UTF-8, NUL and control characters, backslashes, a megabyte - and read back
// as valid UTF-8 text that says how it encodes the line and gives back its
// exact bytes; writing the same lines again stores nothing twice.
func testRejectsAnyBytes(t *testing.T, s store.Store) {
	ctx := context.Background()
	long := strings.Repeat("1.2.3.4 ", 1<<17) + "\xff"
	lines := []struct {
		raw string
		enc string
	}{
		{"\xff\xfe", event.RawEscaped},
		{"1.2.3.4\x00\x1b[31m\r", event.RawText},
		{`C:\x41\path` + "\xc3", event.RawEscaped},
		{`C:\x41\path`, event.RawText},
		{"é\uFFFD", event.RawText},
		{long, event.RawEscaped},
		{"", event.RawText},
	}
	var rs []event.Reject
	for i, l := range lines {
		rs = append(rs, event.Reject{Time: T0, Source: "feed\xff.txt", Line: int64(i + 1), Format: "csv", Reason: "bad \xfe", Raw: l.raw})
	}
	// One built by the constructor, already escaped: the same line as the
	// first, so it is a duplicate.
	rs = append(rs, event.NewReject(T0, "feed\xff.txt", 1, "csv", "bad \xfe", []byte("\xff\xfe")))
	for range 2 {
		if err := s.WriteRejects(ctx, rs); err != nil {
			t.Fatalf("write rejects: %v", err)
		}
	}
	got, total, err := s.Rejects(ctx, T0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(lines) || len(got) != len(lines) {
		t.Fatalf("%d rejects (%d read), want %d", total, len(got), len(lines))
	}
	for i, r := range got {
		want := lines[i]
		if r.Line != int64(i+1) {
			t.Errorf("reject %d: line %d", i, r.Line)
			continue
		}
		if !utf8.ValidString(r.Raw) || !utf8.ValidString(r.Source) || !utf8.ValidString(r.Reason) {
			t.Errorf("line %d: invalid UTF-8 read back: %+v", r.Line, r)
		}
		if r.RawEncoding != want.enc {
			t.Errorf("line %d: raw encoding %q, want %q", r.Line, r.RawEncoding, want.enc)
		}
		if !bytes.Equal(r.RawBytes(), []byte(want.raw)) {
			t.Errorf("line %d: raw bytes %.80q, want %.80q", r.Line, r.RawBytes(), want.raw)
		}
		if r.Source != `feed\xff.txt` || r.Reason != `bad \xfe` {
			t.Errorf("line %d: source %q, reason %q", r.Line, r.Source, r.Reason)
		}
		// JSON keeps the text whole: nothing is replaced on the way out.
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back event.Reject
		if err := json.Unmarshal(b, &back); err != nil || back != r {
			t.Errorf("line %d: JSON round trip gave %+v, %v", r.Line, back, err)
		}
	}
}
