package parse

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

// maxFuzzInput caps fuzz inputs: lines are short, and big inputs only slow
// the fuzzer down.
const maxFuzzInput = 4096

// seedFuzz adds the seed files (whole, when short, and line by line) to
// the fuzzer's corpus and returns the format.
func seedFuzz(f *testing.F, format string, seeds ...string) Format {
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
	return fm
}

// fuzzFormat feeds each line of an input to one parser of the format and
// checks every accepted event. Inputs hold several lines so that state
// carried between lines (Zeek headers, the syslog year) is fuzzed too.
func fuzzFormat(f *testing.F, format string, seeds ...string) {
	fm := seedFuzz(f, format, seeds...)
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

func FuzzCrowdStrike(f *testing.F) {
	fuzzEDRFormat(f, "crowdstrike-fdr", "crowdstrike/fdr.jsonl")
}

func FuzzDefender(f *testing.F) {
	fuzzEDRFormat(f, "defender", "defender/streaming.jsonl")
}

func FuzzDefenderCSV(f *testing.F) {
	fuzzEDRFormat(f, "defender-csv", "defender/DeviceNetworkEvents.csv", "defender/DeviceNetworkInfo.csv",
		"defender/DeviceInfo.csv")
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

// FuzzPacketFields checks the word-at-a-time netfilter field scanner against
// a plain reference that splits the text on spaces.
func FuzzPacketFields(f *testing.F) {
	for _, line := range bytes.Split(mustRead(f, "netfilter.good.log"), []byte("\n")) {
		if i := bytes.Index(line, []byte("IN=")); i >= 0 {
			f.Add(line[i:])
		}
	}
	f.Add([]byte("=eth9 SRC=1 [SRC=2 ] HOPLIMIT=3 TTL=4 SYN  ACK x=1 IN"))
	f.Add([]byte("SRC=1 DST=2 MAC=aa:bb ID=7 PROTO=ICMP TYPE=8 CODE=0 ID=9 LEN=84 WINDOW=0 Apr  6 lorem"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzInput {
			t.Skip()
		}
		var got packetFields
		got.scan(b)
		want := referenceFields(b)
		for i := range nFields {
			if g := got.value(b, i); (g == nil) != (want.vals[i] == nil) || string(g) != string(want.vals[i]) {
				t.Fatalf("scan(%q) field %d = %q, want %q", b, i, g, want.vals[i])
			}
		}
		if g := string(got.flags[:got.nflags]); g != want.flags {
			t.Fatalf("scan(%q) flags = %q, want %q", b, g, want.flags)
		}
		if got.junk != want.junk {
			t.Fatalf("scan(%q) junk at %d, want %d", b, got.junk, want.junk)
		}
	})
}

// kernelKeyColon matches the kernel's KEY:value words (FRAG:1480, ID:0000abcd).
var kernelKeyColon = regexp.MustCompile(`^[A-Z]+:`)

type refFields struct {
	vals  [nFields][]byte
	flags string
	junk  int
}

// referenceFields is the obvious, slow reading of the netfilter fields.
func referenceFields(b []byte) refFields {
	var r refFields
	keys := map[string]int{"IN": fIN, "OUT": fOUT, "SRC": fSRC, "DST": fDST, "PROTO": fPROTO,
		"SPT": fSPT, "DPT": fDPT, "TTL": fTTL, "HOPLIMIT": fTTL,
		"MAC": fMAC, "ID": fID, "LEN": fLEN, "TYPE": fTYPE, "CODE": fCODE, "WINDOW": fWINDOW,
		"MACSRC": fMACSRC, "MACDST": fMACDST}
	var flags []string
	depth, off := 0, 0
	for _, tok := range bytes.Split(b, []byte(" ")) {
		start := off
		off += len(tok) + 1
		switch {
		case len(tok) == 0:
		case depth > 0 || tok[0] == '[':
			depth += bytes.Count(tok, []byte("[")) - bytes.Count(tok, []byte("]"))
		case bytes.IndexByte(tok, '=') < 0:
			if r.junk == 0 && !kernelKeyColon.Match(tok) && bytes.IndexFunc(tok, func(c rune) bool { return 'a' <= c && c <= 'z' || c >= 0x80 }) >= 0 {
				r.junk = start + 1
			}
			switch s := string(tok); s {
			case "SYN", "ACK", "FIN", "RST", "PSH", "URG":
				if len(flags) < 6 {
					flags = append(flags, s)
				}
			}
		default:
			key, val, _ := bytes.Cut(tok, []byte("="))
			if k, ok := keys[string(key)]; ok && r.vals[k] == nil {
				r.vals[k] = append([]byte{}, val...)
			}
		}
	}
	r.flags = strings.Join(flags, " ")
	return r
}

func mustRead(f *testing.F, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
