package parse

import (
	"strconv"
	"testing"
)

// TestInternerBounded checks that a full interner still answers right.
func TestInternerBounded(t *testing.T) {
	strs, lower := newInterner(asIs), newInterner(protocol)
	for i := range 2 * internCap {
		b := []byte("eth" + strconv.Itoa(i))
		if got := strs.get(b); got != string(b) {
			t.Fatalf("get(%s) = %q", b, got)
		}
		if got := lower.get([]byte("ETH" + strconv.Itoa(i))); got != string(b) {
			t.Fatalf("lower get(ETH%d) = %q", i, got)
		}
	}
	if len(strs.m) != internCap {
		t.Errorf("interner holds %d entries, want %d", len(strs.m), internCap)
	}
	if got := strs.get([]byte("eth0")); got != "eth0" {
		t.Errorf("get(eth0) = %q after filling", got)
	}
}
