package event

import (
	"bytes"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRejectStored(t *testing.T) {
	at := time.Date(2026, 4, 7, 1, 5, 29, 500, time.FixedZone("JST", 9*3600))
	tests := []struct {
		name         string
		raw          string
		wantRaw, enc string
	}{
		{"text kept as is", `1.2.3.4 # a\b "c"`, `1.2.3.4 # a\b "c"`, RawText},
		{"control characters are valid text", "a\x00b\x1b[31m\t", "a\x00b\x1b[31m\t", RawText},
		{"invalid bytes escaped", "1.2.3.4\xff\xfe", `1.2.3.4\xff\xfe`, RawEscaped},
		{"backslashes doubled when escaping", "\\x41\xc3", `\\x41\xc3`, RawEscaped},
		{"valid runes kept when escaping", "é\xe2\x82", `é\xe2\x82`, RawEscaped},
		{"replacement character is valid", "\uFFFD", "\uFFFD", RawText},
		{"empty", "", "", RawText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReject(at, "f\xff.txt", 2, "csv", "bad \xfe", []byte(tc.raw))
			if r.Raw != tc.wantRaw || r.RawEncoding != tc.enc {
				t.Errorf("Raw %q (%s), want %q (%s)", r.Raw, r.RawEncoding, tc.wantRaw, tc.enc)
			}
			if got := r.RawBytes(); !bytes.Equal(got, []byte(tc.raw)) {
				t.Errorf("RawBytes %q, want %q", got, tc.raw)
			}
			if r.Source != `f\xff.txt` || r.Reason != `bad \xfe` {
				t.Errorf("source %q, reason %q: want invalid bytes escaped", r.Source, r.Reason)
			}
			if want := time.Date(2026, 4, 6, 16, 5, 29, 0, time.UTC); r.Time != want {
				t.Errorf("time %v, want %v", r.Time, want)
			}
			if again := r.Stored(); again != r {
				t.Errorf("Stored is not idempotent: %+v, then %+v", r, again)
			}
		})
	}
	// A reject built by hand with invalid bytes, whatever it claims.
	r := Reject{Raw: "a\xff", RawEncoding: RawText}.Stored()
	if r.Raw != `a\xff` || r.RawEncoding != RawEscaped {
		t.Errorf("hand-built reject stored as %q (%s)", r.Raw, r.RawEncoding)
	}
}

func FuzzRejectRaw(f *testing.F) {
	for _, s := range []string{"", "abc", "\xff", `\x41`, "\\\xff\\", "é\xe2\x82\\xZZ", "\\"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := NewReject(time.Time{}, "-", 1, "x", "y", raw)
		if !utf8.ValidString(r.Raw) {
			t.Fatalf("Raw %q is not valid UTF-8", r.Raw)
		}
		if got := r.RawBytes(); !bytes.Equal(got, raw) {
			t.Fatalf("RawBytes %q, want %q (Raw %q, %s)", got, raw, r.Raw, r.RawEncoding)
		}
		if r.Stored() != r {
			t.Fatalf("Stored is not idempotent on %q", raw)
		}
	})
}
