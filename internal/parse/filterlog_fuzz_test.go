package parse

import "testing"

// FuzzFilterlog feeds the filterlog parser our good and bad fixtures and
// what the fuzzer makes of them: no input may panic, and every accepted
// event must keep the invariants every consumer relies on.
func FuzzFilterlog(f *testing.F) {
	fuzzFormat(f, filterlogName, "filterlog.good.log", "filterlog.bad.log")
}
