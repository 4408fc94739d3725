package event

import (
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	a := NewID("netfilter", []byte("line"))
	// Ids are stored: their value must never change between releases.
	if got, want := a.String(), "24d3191c-f792-ff18-7806-a45702a4c37a"; got != want {
		t.Errorf("NewID = %s, want %s", got, want)
	}
	if NewID("zeek-conn", []byte("line")) == a {
		t.Error("the same key in two formats must give two ids")
	}
	if NewID("netfilter", []byte("line")) != a || a.IsZero() || !(ID{}).IsZero() {
		t.Error("NewID is not deterministic, or IsZero is wrong")
	}
	if n := testing.AllocsPerRun(100, func() { _ = NewID("netfilter", []byte("some line")) }); n != 0 {
		t.Errorf("NewID allocates %v times", n)
	}
}

func TestIndicatorID(t *testing.T) {
	if IndicatorID("feodo", "ip", "192.0.2.1") == IndicatorID("csv", "ip", "192.0.2.1") {
		t.Error("the same value from two feeds must be two indicators")
	}
	if IndicatorID("a", "ip\x00x", "y") == IndicatorID("a", "ip", "x\x00y") {
		t.Error("fields must be separated unambiguously")
	}
}

func TestSecondsUTC(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	got := SecondsUTC(time.Date(2020, 4, 7, 1, 5, 29, 999_999_999, jst))
	if want := time.Date(2020, 4, 6, 16, 5, 29, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("SecondsUTC = %v, want %v", got, want)
	}
	if !SecondsUTC(time.Time{}).IsZero() {
		t.Error("zero time must stay zero")
	}
}
