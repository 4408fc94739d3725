package chtest

import "syscall"

// sysProcAttr makes the kernel kill a server when the process that started
// it dies (a test binary killed at its -timeout, chserver killed by
// SIGKILL), so no server outlives its test run. Pdeathsig follows the
// starting OS thread, which the Go runtime keeps for the life of the
// process unless a goroutine locked to it exits; none here does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
