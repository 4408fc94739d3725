package chtest

import (
	"errors"
	"fmt"
	"net"
)

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago. All n listeners are open at once so the ports differ; another process
// may still take one before the server binds it, which Start and
// StartLocalCluster handle by trying again.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// onFreePorts runs start with n free loopback ports, and with new ones, up to
// three times in all, when another process took one first (errAddrInUse).
func onFreePorts[T any](n int, start func(ports []int) (T, error)) (T, error) {
	for i := 1; ; i++ {
		ports, err := freePorts(n)
		if err != nil {
			var zero T
			return zero, err
		}
		v, err := start(ports)
		if err == nil || i == 3 || !errors.Is(err, errAddrInUse) {
			return v, err
		}
	}
}
