// Command chserver runs a ClickHouse server (or a local cluster with its
// ZooKeeper) for scripts/test until SIGTERM or SIGINT:
//
//	chserver -dir DIR [-cluster NAME -shards N] -url-file PATH
//
// Once every server answers /ping it writes the servers' URLs
// (clickhouse://default@127.0.0.1:PORT/default), one a line, shard 1 first,
// to the URL file, atomically, so a script can wait for the file to appear.
// The servers, started with internal/chtest, die with chserver even if it is
// killed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/homesoc/homesoc/internal/chtest"
)

type options struct {
	dir     string
	cluster string
	shards  int
	urlFile string
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "", "directory for the servers' config, data and logs (required)")
	flag.StringVar(&o.cluster, "cluster", "", "start a local cluster of this name with ZooKeeper, instead of one server")
	flag.IntVar(&o.shards, "shards", 2, "servers in the cluster, one shard each (with -cluster)")
	flag.StringVar(&o.urlFile, "url-file", "", "write the servers' URLs here once they are ready")
	flag.Parse()
	if o.dir == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	stopWithParent()
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "chserver:", err)
		os.Exit(1)
	}
}

// run starts the servers, publishes their URLs and stops them when ctx is
// cancelled.
func run(ctx context.Context, o options) error {
	began := time.Now()
	var (
		urls    []string
		stopAll func() error
	)
	if o.cluster == "" {
		s, err := chtest.Start(ctx, chtest.Options{Dir: o.dir})
		if err != nil {
			return err
		}
		urls, stopAll = []string{s.URL()}, s.Stop
	} else {
		c, err := chtest.StartLocalCluster(ctx, chtest.ClusterOptions{Dir: o.dir, Name: o.cluster, Shards: o.shards})
		if err != nil {
			return err
		}
		for _, s := range c.Servers {
			urls = append(urls, s.URL())
		}
		stopAll = c.Stop
	}
	fmt.Fprintf(os.Stderr, "chserver: ready in %v: %s\n", time.Since(began).Round(time.Millisecond), strings.Join(urls, " "))

	err := writeURLs(o.urlFile, urls)
	if err == nil {
		<-ctx.Done()
	}
	return errors.Join(err, stopAll())
}

// writeURLs writes the URL file through a rename, so that a reader never
// sees it half written.
func writeURLs(path string, urls []string) error {
	if path == "" {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".chserver-url-*")
	if err != nil {
		return fmt.Errorf("write url file: %w", err)
	}
	_, err = tmp.WriteString(strings.Join(urls, "\n") + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write url file %s: %w", path, err)
	}
	return nil
}
