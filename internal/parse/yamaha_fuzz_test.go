package parse

import "testing"

// FuzzYamahaRTX feeds the yamaha-rtx parser our good and bad fixtures and
// what the fuzzer makes of them: no input may panic, and every accepted
// event must keep the invariants every consumer relies on.
func FuzzYamahaRTX(f *testing.F) {
	fuzzFormat(f, yamahaName, "yamaha-rtx.log", "yamaha-rtx.bad.log")
}
