//go:build !linux

package main

// stopWithParent is a no-op where the kernel cannot signal a parent's death.
func stopWithParent() {}
