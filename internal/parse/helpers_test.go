package parse

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/homesoc/homesoc/internal/event"
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// diffFields lists the fields in which got (a record of the same struct
// type as want: an event.Network, EndpointState, VPNSession, HTTP) differs
// from want, times compared with Equal and required to be UTC, durations
// within float rounding.
func diffFields(want, got any) []string {
	var diffs []string
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := range wv.NumField() {
		w, g := wv.Field(i).Interface(), gv.Field(i).Interface()
		if wt, ok := w.(time.Time); ok {
			gt := g.(time.Time)
			if !wt.Equal(gt) || gt.Location() != time.UTC {
				diffs = append(diffs, fmt.Sprintf("%s: want %v, got %v", wv.Type().Field(i).Name, wt, gt))
			}
			continue
		}
		if wf, ok := w.(float64); ok { // durations come from float arithmetic
			if gf := g.(float64); math.Abs(wf-gf) > 1e-9 {
				diffs = append(diffs, fmt.Sprintf("%s: want %v, got %v", wv.Type().Field(i).Name, wf, gf))
			}
			continue
		}
		if !reflect.DeepEqual(w, g) {
			diffs = append(diffs, fmt.Sprintf("%s: want %#v, got %#v", wv.Type().Field(i).Name, w, g))
		}
	}
	return diffs
}

// checkLineError fails t unless err is the error want spells (a skip, by
// errors.Is, exactly when want ends in ErrSkip's text) and the line left
// no records (records: how many it left for other tables).
func checkLineError(t *testing.T, err error, want string, records int) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	if skip := strings.HasSuffix(want, ErrSkip.Error()); errors.Is(err, ErrSkip) != skip {
		t.Errorf("errors.Is(err, ErrSkip) = %v, want %v", !skip, skip)
	}
	if records != 0 {
		t.Errorf("%d records for other tables with an error", records)
	}
}

// checkEvent fails t with each field that differs.
func checkEvent(t *testing.T, want, got event.Network) {
	t.Helper()
	for _, d := range diffFields(want, got) {
		t.Error(d)
	}
}

// readLines returns the lines of a testdata file.
func readLines(t testing.TB, name string) [][]byte {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, []byte(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// checkInvariants fails t if an accepted event breaks what every consumer
// relies on.
func checkInvariants(t *testing.T, format string, line []byte, ev *event.Network) {
	t.Helper()
	var bad []string
	if !ev.SrcIP.IsValid() || !ev.DstIP.IsValid() {
		bad = append(bad, "invalid address")
	}
	if ev.Time.IsZero() || ev.Time.Location() != time.UTC || ev.Time.Nanosecond() != 0 {
		bad = append(bad, "time not set or not UTC seconds")
	}
	if !ev.EndTime.IsZero() && ev.EndTime.Before(ev.Time) {
		bad = append(bad, "end before start")
	}
	if ev.ID.IsZero() {
		bad = append(bad, "zero ID")
	}
	if ev.Format != format || ev.Kind == "" || ev.Action == "" || ev.Direction == "" {
		bad = append(bad, "format, kind, action or direction unset")
	}
	if ev.Raw != "" {
		bad = append(bad, "raw set by the parser")
	}
	if strings.ContainsAny(ev.Protocol+ev.Action, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		bad = append(bad, "protocol or action not lower case")
	}
	if (ev.ICMPType != 0 || ev.ICMPCode != 0) && ev.Protocol != "icmp" && ev.Protocol != "ipv6-icmp" {
		bad = append(bad, "ICMP type or code on a "+ev.Protocol+" event")
	}
	for _, mac := range []string{ev.SrcMAC, ev.DstMAC} {
		if _, err := net.ParseMAC(mac); mac != "" && (err != nil || len(mac) != 17 || strings.ToLower(mac) != mac) {
			bad = append(bad, "MAC not aa:bb:cc:dd:ee:ff")
		}
	}
	for _, s := range []string{ev.Action, ev.Protocol, ev.TCPFlags, ev.InIface, ev.OutIface, ev.Sensor, ev.Status,
		ev.RuleName, ev.FlowUID, ev.Service} {
		if !utf8.ValidString(s) {
			bad = append(bad, "invalid UTF-8")
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%s accepted %q into %+v: %s", format, line, *ev, strings.Join(bad, ", "))
	}
}
