// Command scan-listen gives the many-targets scanner benchmark its open
// ports: one process that listens on the given ports of every given address
// (hundreds of them), sends an OpenSSH banner on 22, answers HTTP like a
// router's admin page on 80, and holds other connections silently until the
// peer closes or 10 s pass.
//
// usage: scan-listen [-ports 22,80] ADDR...
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const sshBanner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"

const httpPage = "<html><head><title>Router admin</title></head><body>login</body></html>\n"

func main() {
	ports := flag.String("ports", "22,80", "comma-separated TCP ports to listen on")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, *ports, flag.Args()); err != nil {
		log.Error("scan-listen", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, portList string, addrs []string) error {
	if len(addrs) == 0 {
		return errors.New("no address given")
	}
	var ports []int
	for _, p := range strings.Split(portList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q: want 1-65535", p)
		}
		ports = append(ports, n)
	}
	var lc net.ListenConfig
	for _, a := range addrs {
		for _, p := range ports {
			ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(a, strconv.Itoa(p)))
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			defer ln.Close()
			go accept(log, ln, p)
		}
	}
	log.Info("listening", "addresses", len(addrs), "ports", portList)
	<-ctx.Done()
	return nil
}

func accept(log *slog.Logger, ln net.Listener, port int) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				log.Warn("accept", "addr", ln.Addr(), "err", err)
			}
			return
		}
		go serve(c, port)
	}
}

func serve(c net.Conn, port int) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	switch port {
	case 22:
		_, _ = c.Write([]byte(sshBanner))
		_, _ = bufio.NewReader(c).ReadString('\n')
	case 80:
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil || line == "\r\n" || line == "\n" {
				break
			}
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nServer: lighttpd/1.4.69\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(httpPage), httpPage)
	default:
		_, _ = c.Read(make([]byte, 1))
	}
}
