package event

import (
	"slices"
	"testing"
	"time"
)

func TestDistinct(t *testing.T) {
	t0 := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	ev := func(line string, sec int) Network {
		return Network{ID: NewID("test", []byte(line)), Time: t0.Add(time.Duration(sec) * time.Second)}
	}
	evs := []Network{ev("a", 5), ev("b", -3), ev("a", 5), ev("c", 9), ev("b", -3), ev("d", 0)}
	rows, lo, hi := Distinct(evs)
	if want := []int32{0, 1, 3, 5}; !slices.Equal(rows, want) {
		t.Errorf("rows %v, want %v", rows, want)
	}
	if !lo.Equal(t0.Add(-3*time.Second)) || !hi.Equal(t0.Add(9*time.Second)) {
		t.Errorf("range %v .. %v, want -3s .. +9s", lo, hi)
	}
	if rows, _, _ := Distinct(nil); rows != nil {
		t.Errorf("Distinct(nil) = %v", rows)
	}
	// Many events, each twice: the set grows past any small table.
	many := make([]Network, 0, 20000)
	for i := range 10000 {
		e := ev(string(rune(i+0x100)), i)
		many = append(many, e, e)
	}
	if rows, _, _ := Distinct(many); len(rows) != 10000 || rows[1] != 2 {
		t.Errorf("10000 events twice: %d rows, rows[1] = %d", len(rows), rows[1])
	}
}
