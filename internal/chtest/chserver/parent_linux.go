package main

import (
	"os"
	"syscall"
)

// stopWithParent asks the kernel to send chserver SIGTERM when the process
// that started it dies, so that a test script killed outright (SIGKILL runs
// no trap) leaves no server behind; chserver stops its servers on SIGTERM.
func stopWithParent() {
	parent := os.Getppid()
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
	if errno == 0 && os.Getppid() != parent { // the parent died before the request
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}
