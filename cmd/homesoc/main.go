// Command homesoc is security monitoring for the places people work from:
// home networks, routers, laptops and the VPN between. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/homesoc/homesoc/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
