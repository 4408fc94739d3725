package parse

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/homesoc/homesoc/internal/event"
)

// edrWant is what one line must give: a network event, endpoint states, or
// the exact error (a skip when it ends in ": nothing to store").
type edrWant struct {
	net    *event.Network
	states []event.EndpointState
	err    string
}

// byteLines is lines as runEDR takes them.
func byteLines(lines ...string) [][]byte {
	bs := make([][]byte, len(lines))
	for i, l := range lines {
		bs[i] = []byte(l)
	}
	return bs
}

// runEDR parses lines with p and checks each against want. Expected states
// get the line as Raw and their id from idSpace.
func runEDR(t *testing.T, p Parser, idSpace string, lines [][]byte, want []edrWant) {
	t.Helper()
	if len(lines) != len(want) {
		t.Fatalf("%d lines, %d expectations", len(lines), len(want))
	}
	xp, ok := p.(ExtraParser)
	if !ok {
		t.Fatalf("%T is not an ExtraParser", p)
	}
	for i, line := range lines {
		t.Run(fmt.Sprint("line", i+1), func(t *testing.T) {
			var ev event.Network
			err := p.Parse(line, &ev)
			extra := xp.Extra()
			w := want[i]
			switch {
			case w.err != "":
				checkLineError(t, err, w.err, extra.Len())
			case w.net != nil:
				if err != nil {
					t.Fatalf("error = %v, want a network event", err)
				}
				checkEvent(t, *w.net, ev)
				if extra.Len() != 0 {
					t.Errorf("%d endpoint states beside the network event", extra.Len())
				}
			default:
				if !errors.Is(err, ErrExtraOnly) {
					t.Fatalf("error = %v, want ErrExtraOnly", err)
				}
				if ev != (event.Network{}) {
					t.Errorf("network event filled: %+v", ev)
				}
				if len(extra.Endpoints) != len(w.states) {
					t.Fatalf("got %d states, want %d: %+v", len(extra.Endpoints), len(w.states), extra.Endpoints)
				}
				for j, s := range w.states {
					s.Raw = string(line)
					s.ID = stateID(idSpace, &s)
					for _, d := range diffFields(s, extra.Endpoints[j]) {
						t.Errorf("state %d: %s", j, d)
					}
				}
			}
		})
	}
}

// parseStates parses lines with a fresh parser of format and returns every
// endpoint state, failing on rejects.
func parseStates(t *testing.T, format string, lines [][]byte) ([]event.EndpointState, []event.Network) {
	t.Helper()
	fm, err := Lookup(format)
	if err != nil {
		t.Fatal(err)
	}
	p := fm.New(Options{})
	var states []event.EndpointState
	var evs []event.Network
	for _, line := range lines {
		var ev event.Network
		switch err := p.Parse(line, &ev); {
		case err == nil:
			evs = append(evs, ev)
		case errors.Is(err, ErrExtraOnly):
			states = append(states, p.(ExtraParser).Extra().Endpoints...)
		case errors.Is(err, ErrSkip):
		default:
			t.Fatalf("%s rejected %q: %v", format, line, err)
		}
	}
	return states, evs
}

// TestEDRIDs checks the ids of every fixture: each fact its own id, the
// same line parsed again the same ids, and Defender's JSON and CSV exports
// of one record one id.
func TestEDRIDs(t *testing.T) {
	for _, c := range []struct{ format, file string }{
		{crowdStrikeName, "crowdstrike/fdr.jsonl"},
		{defenderName, "defender/streaming.jsonl"},
		{defenderCSVName, "defender/DeviceNetworkEvents.csv"},
		{defenderCSVName, "defender/DeviceNetworkInfo.csv"},
		{defenderCSVName, "defender/DeviceInfo.csv"},
	} {
		lines := readLines(t, c.file)
		states, evs := parseStates(t, c.format, lines)
		again, evsAgain := parseStates(t, c.format, lines)
		seen := map[event.ID]bool{}
		check := func(what string, i int, id, idAgain event.ID) {
			if id.IsZero() || seen[id] {
				t.Errorf("%s: %s %d id %v zero or seen before", c.file, what, i, id)
			}
			seen[id] = true
			if idAgain != id {
				t.Errorf("%s: %s %d id changed between runs", c.file, what, i)
			}
		}
		for i, s := range states {
			check("state", i, s.ID, again[i].ID)
		}
		for i, ev := range evs {
			check("event", i, ev.ID, evsAgain[i].ID)
		}
	}

	jsonStates, jsonEvs := parseStates(t, defenderName, readLines(t, "defender/streaming.jsonl"))
	ids := map[event.ID]bool{}
	for _, s := range jsonStates {
		ids[s.ID] = true
	}
	for _, ev := range jsonEvs {
		ids[ev.ID] = true
	}
	shared := 0
	for _, f := range []string{"defender/DeviceNetworkEvents.csv", "defender/DeviceNetworkInfo.csv", "defender/DeviceInfo.csv"} {
		states, evs := parseStates(t, defenderCSVName, readLines(t, f))
		for _, s := range states {
			if ids[s.ID] {
				shared++
			}
		}
		for _, ev := range evs {
			if ids[ev.ID] {
				shared++
			}
		}
	}
	// Both exports hold 2 connections, 1 listen, 3 interface addresses and
	// 2 DeviceInfo rows of the same records.
	if shared != 8 {
		t.Errorf("%d records of the CSV exports share their id with the JSON one, want 8", shared)
	}
}

// fuzzEDRFormat is fuzzFormat for the EDR parsers: it also checks the
// endpoint states of each line and that Extra agrees with Parse's result.
func fuzzEDRFormat(f *testing.F, format string, seeds ...string) {
	fm := seedFuzz(f, format, seeds...)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		p := fm.New(Options{ModTime: utc(2024, 4, 20, 0, 0, 0)})
		xp := p.(ExtraParser)
		for _, line := range bytes.Split(in, []byte("\n")) {
			var ev event.Network
			err := p.Parse(line, &ev)
			n := xp.Extra().Len()
			switch {
			case errors.Is(err, ErrExtraOnly):
				if n == 0 {
					t.Fatalf("ErrExtraOnly without states for %q", line)
				}
				for _, s := range xp.Extra().Endpoints {
					checkState(t, format, line, &s)
				}
			case n != 0:
				t.Fatalf("%d states with error %v for %q", n, err, line)
			case errors.Is(err, ErrSkip):
			case err != nil:
				if err.Error() == "" {
					t.Fatalf("empty error for %q", line)
				}
			default:
				checkInvariants(t, format, line, &ev)
				for _, s := range []string{ev.DeviceID, ev.Hostname, ev.UserName} {
					if !utf8.ValidString(s) {
						t.Fatalf("%s accepted %q into %+v: invalid UTF-8", format, line, ev)
					}
				}
			}
		}
	})
}

// checkState fails t if an endpoint state breaks what stores and rules rely
// on.
func checkState(t *testing.T, format string, line []byte, s *event.EndpointState) {
	t.Helper()
	var bad []string
	switch s.Kind {
	case event.StateInterface, event.StatePublicIP, event.StateListen:
		if !s.Address.IsValid() || s.Address.Is4In6() || s.Address.Zone() != "" {
			bad = append(bad, "address invalid, IPv4-mapped or zoned")
		}
	case event.StateDevice:
		if s.Address.IsValid() {
			bad = append(bad, "device state with an address")
		}
	default:
		bad = append(bad, "unknown kind")
	}
	if s.Kind != event.StateListen && (s.Port != 0 || s.Protocol != "") {
		bad = append(bad, "port or protocol outside a listen state")
	}
	if s.Time.IsZero() || s.Time.Location() != time.UTC || s.Time.Nanosecond() != 0 || s.Time.Year() > 9999 {
		bad = append(bad, "time not set or not UTC seconds")
	}
	if s.ID.IsZero() || s.DeviceID == "" || s.Format != format || s.Sensor == "" {
		bad = append(bad, "id, device, format or sensor unset")
	}
	if s.Raw != string(line) {
		bad = append(bad, "raw is not the line")
	}
	if strings.ToLower(s.Protocol) != s.Protocol {
		bad = append(bad, "protocol not lower case")
	}
	if _, err := net.ParseMAC(s.MAC); s.MAC != "" && (err != nil || len(s.MAC) != 17 || strings.ToLower(s.MAC) != s.MAC) {
		bad = append(bad, "MAC not aa:bb:cc:dd:ee:ff")
	}
	for _, v := range []string{s.DeviceID, s.Hostname, s.Interface, s.OS, s.Platform, s.UserName} {
		if !utf8.ValidString(v) {
			bad = append(bad, "invalid UTF-8")
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%s accepted %q into %+v: %s", format, line, *s, strings.Join(bad, ", "))
	}
}

// BenchmarkEDR measures each EDR parser over its fixture's lines.
func BenchmarkEDR(b *testing.B) {
	for _, c := range []struct{ format, file string }{
		{crowdStrikeName, "crowdstrike/fdr.jsonl"},
		{defenderName, "defender/streaming.jsonl"},
		{defenderCSVName, "defender/DeviceNetworkEvents.csv"},
	} {
		b.Run(c.format, func(b *testing.B) {
			lines := readLines(b, c.file)
			fm, err := Lookup(c.format)
			if err != nil {
				b.Fatal(err)
			}
			p := fm.New(Options{})
			var ev event.Network
			if c.format == defenderCSVName {
				_ = p.Parse(lines[0], &ev) // the header
				lines = lines[1:]
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				_ = p.Parse(lines[n%len(lines)], &ev)
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
