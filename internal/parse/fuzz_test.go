package parse

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

// maxFuzzInput caps fuzz inputs: lines are short, and big inputs only slow
// the fuzzer down.
const maxFuzzInput = 4096

// fuzzFormat feeds each line of an input to one parser of the format and
// checks every accepted event. Inputs hold several lines so that state
// carried between lines (Zeek headers, the syslog year) is fuzzed too.
func fuzzFormat(f *testing.F, format string, seeds ...string) {
	for _, name := range seeds {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) <= maxFuzzInput {
			f.Add(b)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			f.Add(line)
		}
	}
	fm, err := Lookup(format)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		p := fm.New(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
		for _, line := range bytes.Split(in, []byte("\n")) {
			var ev event.Network
			err := p.Parse(line, &ev)
			switch {
			case errors.Is(err, ErrSkip):
			case err != nil:
				if err.Error() == "" {
					t.Fatalf("empty error for %q", line)
				}
			default:
				checkInvariants(t, format, line, &ev)
			}
		}
	})
}

func FuzzNetfilter(f *testing.F) {
	fuzzFormat(f, "netfilter", "netfilter.good.log")
}

func FuzzZeekConn(f *testing.F) {
	fuzzFormat(f, "zeek-conn", "conn.log", "conn.json")
}

func FuzzFlowJSON(f *testing.F) {
	fuzzFormat(f, "flow-json", "flows.jsonl")
}

// FuzzParseAddr checks the allocation-free address parser against netip.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "0.0.0.0", "01.2.3.4", "1.2.3.256", "2001:db8::1", "::", "::ffff:192.0.2.5",
		"1::2::3", "fe80::1%eth0", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "12345::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseAddr([]byte(s))
		want, err := netip.ParseAddr(s)
		if err == nil && want.Zone() != "" {
			want, err = netip.Addr{}, errors.New("zones are not accepted")
		}
		if ok != (err == nil) || got != want {
			t.Fatalf("parseAddr(%q) = %v, %v; netip: %v, %v", s, got, ok, want, err)
		}
	})
}
