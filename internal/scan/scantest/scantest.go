// Package scantest holds what scanner tests need: the loopback-only guard
// every test target passes through, and small local servers (closed,
// filtered, and protocol fakes) on 127.0.0.0/8 and ::1.
package scantest

import (
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Loopback fails the test at once unless every target is a loopback address
// (127.0.0.0/8 or ::1): tests never send a packet anywhere else.
func Loopback(t testing.TB, targets ...netip.Addr) {
	t.Helper()
	for _, a := range targets {
		if !a.Unmap().IsLoopback() {
			t.Fatalf("test target %s is not a loopback address: tests scan only 127.0.0.0/8 and ::1", a)
		}
	}
}

// AllowLoopback is the Allow list tests pass: loopback and nothing else.
var AllowLoopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// V4 and V6 are the loopback addresses tests use.
var (
	V4 = netip.MustParseAddr("127.0.0.1")
	V6 = netip.MustParseAddr("::1")
)

// ClosedPort returns a port of addr where nothing listens: connects to it
// are refused.
func ClosedPort(t testing.TB, addr netip.Addr) uint16 {
	t.Helper()
	Loopback(t, addr)
	l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	p := uint16(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return p
}

// SilentPort returns a port of addr that drops SYNs, as a firewall's DROP
// rule does: a listener with a backlog of 0 whose one queued connection is
// never accepted, so the kernel drops every further SYN (its accept queue
// is full). It closes when the test ends.
func SilentPort(t testing.TB, addr netip.Addr) uint16 {
	t.Helper()
	Loopback(t, addr)
	family := syscall.AF_INET6
	var sa syscall.Sockaddr = &syscall.SockaddrInet6{Addr: addr.As16()}
	if addr.Is4() {
		family = syscall.AF_INET
		sa = &syscall.SockaddrInet4{Addr: addr.As4()}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, sa); err != nil {
		t.Fatalf("bind %s: %v", addr, err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatalf("listen: %v", err)
	}
	got, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	var port uint16
	switch a := got.(type) {
	case *syscall.SockaddrInet4:
		port = uint16(a.Port)
	case *syscall.SockaddrInet6:
		port = uint16(a.Port)
	}
	ap := netip.AddrPortFrom(addr, port).String()
	// Fill the queue: the first connect completes and waits to be accepted.
	c, err := net.DialTimeout("tcp", ap, time.Second)
	if err != nil {
		t.Fatalf("fill the accept queue of %s: %v", ap, err)
	}
	t.Cleanup(func() { c.Close() })
	// Check that the next SYN goes unanswered.
	if c2, err := net.DialTimeout("tcp", ap, 200*time.Millisecond); err == nil {
		c2.Close()
		t.Fatalf("port %s still answers with a full accept queue", ap)
	}
	return port
}

// Serve runs handle for every connection to a new listener on addr until
// the test ends, and returns the listener's port. Each connection is closed
// after handle returns.
func Serve(t testing.TB, addr netip.Addr, handle func(net.Conn)) uint16 {
	t.Helper()
	l := Listen(t, addr)
	go ServeListener(l, handle)
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// Listen opens a TCP listener on a free port of addr, closed when the test
// ends (after its connections are handled).
func Listen(t testing.TB, addr netip.Addr) net.Listener {
	t.Helper()
	Loopback(t, addr)
	l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// ServeListener accepts connections on l until it closes, each handled by
// handle in its own goroutine and closed after it.
func ServeListener(l net.Listener, handle func(net.Conn)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			handle(c)
		}()
	}
}
