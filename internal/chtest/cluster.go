package chtest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// ClusterOptions configures a cluster started by StartLocalCluster.
type ClusterOptions struct {
	// Dir holds one directory per server (shard1, shard2, ...) and one for
	// ZooKeeper (zookeeper). Required.
	Dir string
	// Name is the cluster's name in every server's remote_servers.
	Name string
	// Shards is how many servers to start, one shard each; at least 1.
	Shards int
	// Binary is the clickhouse-server executable; "" means Binary().
	Binary string
	// Java and ZooKeeperClasspath run ZooKeeper; see ZooKeeperOptions.
	Java, ZooKeeperClasspath string
	// StartTimeout bounds each process's start; 0 means 60s.
	StartTimeout time.Duration
}

// Cluster is a ZooKeeper and the servers of one ClickHouse cluster.
type Cluster struct {
	// Name is the cluster's name, for ON CLUSTER and Distributed tables.
	Name string
	// Servers are the shards in remote_servers order.
	Servers []*Server
	// ZooKeeper coordinates ON CLUSTER queries.
	ZooKeeper *ZooKeeper
}

// StartLocalCluster starts a ZooKeeper and o.Shards servers on loopback
// that all know cluster o.Name, one shard (of one replica) per server, with
// distributed DDL on, so that CREATE ... ON CLUSTER and Distributed tables
// work. Each server has macros {shard} (1, 2, ...) and {replica} (r1).
// Everything runs until Stop; ctx bounds only the start.
//
// A ZooKeeper is part of every cluster because 18.16 runs ON CLUSTER
// queries only through ZooKeeper's task queue ("DDL background thread is
// not initialized" without one). ZooKeeper is up before the servers start,
// and each server has its session before StartLocalCluster returns: 18.16
// crashes on an ON CLUSTER query that comes earlier.
func StartLocalCluster(ctx context.Context, o ClusterOptions) (*Cluster, error) {
	if o.Dir == "" {
		return nil, errors.New("start cluster: no directory")
	}
	if !identifier.MatchString(o.Name) {
		return nil, fmt.Errorf("start cluster: name %q: want letters, digits and _", o.Name)
	}
	if o.Shards < 1 {
		return nil, fmt.Errorf("start cluster %s: %d shards, want at least 1", o.Name, o.Shards)
	}
	zk, err := StartZooKeeper(ctx, ZooKeeperOptions{
		Dir:          filepath.Join(o.Dir, "zookeeper"),
		Java:         o.Java,
		Classpath:    o.ZooKeeperClasspath,
		StartTimeout: o.StartTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("start cluster %s: %w", o.Name, err)
	}
	// Every server must know every shard's port before any starts, so the
	// ports are chosen up front and, if one is taken meanwhile, all again.
	c, err := onFreePorts(3*o.Shards, func(ports []int) (*Cluster, error) {
		return startServers(ctx, o, zk, ports)
	})
	if err != nil {
		zk.Stop()
		return nil, fmt.Errorf("start cluster %s: %w", o.Name, err)
	}
	return c, nil
}

// startServers starts the o.Shards servers of a cluster on ports, three each.
func startServers(ctx context.Context, o ClusterOptions, zk *ZooKeeper, ports []int) (*Cluster, error) {
	shards := make([]string, o.Shards)
	for i := range shards {
		shards[i] = fmt.Sprintf("127.0.0.1:%d", ports[3*i+1])
	}
	c := &Cluster{Name: o.Name, ZooKeeper: zk}
	type started struct {
		s   *Server
		err error
	}
	results := make([]chan started, o.Shards)
	for i := range o.Shards {
		results[i] = make(chan started, 1)
		go func() {
			s, err := Start(ctx, Options{
				Dir:             filepath.Join(o.Dir, "shard"+strconv.Itoa(i+1)),
				Binary:          o.Binary,
				HTTPPort:        ports[3*i],
				TCPPort:         ports[3*i+1],
				InterserverPort: ports[3*i+2],
				Clusters:        map[string][]string{o.Name: shards},
				ZooKeeper:       []string{zk.Addr()},
				Macros:          map[string]string{"shard": strconv.Itoa(i + 1), "replica": "r1"},
				StartTimeout:    o.StartTimeout,
			})
			results[i] <- started{s, err}
		}()
	}
	var errs []error
	for i := range o.Shards {
		r := <-results[i]
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		c.Servers = append(c.Servers, r.s)
	}
	if len(errs) > 0 {
		for _, s := range c.Servers {
			s.Stop()
		}
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// Stop stops the servers, then ZooKeeper, and returns their errors joined.
func (c *Cluster) Stop() error {
	errs := make(chan error, len(c.Servers))
	for _, s := range c.Servers {
		go func() { errs <- s.Stop() }()
	}
	var all []error
	for range c.Servers {
		all = append(all, <-errs)
	}
	return errors.Join(append(all, c.ZooKeeper.Stop())...)
}
