package chtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultZooKeeperClasspath is the jar Debian's zookeeper package installs;
// its manifest names every jar it needs.
const DefaultZooKeeperClasspath = "/usr/share/java/zookeeper.jar"

// slf4jSimple is the logging binding that Debian's libslf4j-java (a
// dependency of zookeeper) installs.
const slf4jSimple = "/usr/share/java/slf4j-simple.jar"

// ZooKeeperClasspath returns the classpath to run ZooKeeper with:
// $HOMESOC_ZOOKEEPER_CLASSPATH, else DefaultZooKeeperClasspath.
func ZooKeeperClasspath() string {
	if c := os.Getenv("HOMESOC_ZOOKEEPER_CLASSPATH"); c != "" {
		return c
	}
	return DefaultZooKeeperClasspath
}

// ZooKeeperOptions configures a ZooKeeper started by StartZooKeeper.
type ZooKeeperOptions struct {
	// Dir holds zoo.cfg, the data and zk.log. Created if missing. Required.
	Dir string
	// Java is the java executable; "" means "java" from $PATH.
	Java string
	// Classpath holds ZooKeeper's classes; "" means ZooKeeperClasspath().
	Classpath string
	// Port is the loopback client port; 0 picks a free one.
	Port int
	// StartTimeout bounds the wait for a first session; 0 means 60s.
	StartTimeout time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL;
	// 0 means 10s.
	StopTimeout time.Duration
}

// ZooKeeper is a running standalone ZooKeeper server.
type ZooKeeper struct {
	dir         string
	port        int
	stopTimeout time.Duration

	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
	stopOnce sync.Once
	stopErr  error
}

// StartZooKeeper starts a standalone ZooKeeper on 127.0.0.1 in o.Dir, with
// its admin server and JMX off so that it opens no port but the client
// port, and returns once it opens a client session. It runs until Stop; ctx bounds
// only the start.
func StartZooKeeper(ctx context.Context, o ZooKeeperOptions) (*ZooKeeper, error) {
	if o.Dir == "" {
		return nil, errors.New("start zookeeper: no directory")
	}
	if o.Port != 0 {
		return startZooKeeper(ctx, o)
	}
	// start wraps its errors; freePorts' say what failed.
	return onFreePorts(1, func(ports []int) (*ZooKeeper, error) {
		o.Port = ports[0]
		return startZooKeeper(ctx, o)
	})
}

func startZooKeeper(ctx context.Context, o ZooKeeperOptions) (*ZooKeeper, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	// tickTime 2000 lets ClickHouse's 30s session timeout stand (ZooKeeper
	// caps sessions at 20 ticks).
	cfg := strings.Join([]string{
		"# Written by homesoc's internal/chtest for a test server.",
		"tickTime=2000",
		"dataDir=" + filepath.Join(dir, "data"),
		"clientPort=" + strconv.Itoa(o.Port),
		"clientPortAddress=127.0.0.1",
		"maxClientCnxns=0",
		"forceSync=no", // its data dies with the test
		"admin.enableServer=false",
		"4lw.commands.whitelist=ruok,srvr,stat,mntr,cons",
		"",
	}, "\n")
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "zk.log"))
	if err != nil {
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	defer logf.Close()

	java, cp := o.Java, o.Classpath
	if java == "" {
		java = "java"
	}
	if cp == "" {
		cp = ZooKeeperClasspath()
		// ZooKeeper logs through slf4j, which says nothing without a
		// binding; Debian's libslf4j-java has one that writes to stderr,
		// that is zk.log.
		if _, err := os.Stat(slf4jSimple); err == nil {
			cp += string(os.PathListSeparator) + slf4jSimple
		}
	}
	z := &ZooKeeper{dir: dir, port: o.Port, stopTimeout: o.StopTimeout, exited: make(chan struct{})}
	if z.stopTimeout == 0 {
		z.stopTimeout = 10 * time.Second
	}
	z.cmd = exec.Command(java,
		"-Xmx256m",
		"-Dzookeeper.admin.enableServer=false",
		"-Dzookeeper.jmx.log4j.disable=true",
		"-cp", cp,
		"org.apache.zookeeper.server.ZooKeeperServerMain", cfgPath)
	z.cmd.Dir = dir
	z.cmd.Stdout = logf
	z.cmd.Stderr = logf
	z.cmd.SysProcAttr = sysProcAttr()
	if err := z.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	go func() {
		z.waitErr = z.cmd.Wait()
		close(z.exited)
	}()

	timeout := o.StartTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := z.waitReady(ctx); err != nil {
		z.Stop()
		logPath := filepath.Join(dir, "zk.log")
		tail := tailFile(logPath, 20)
		err = fmt.Errorf("start zookeeper in %s: %w\n--- tail of %s:\n%s", dir, err, logPath, tail)
		if strings.Contains(tail, "Address already in use") {
			err = fmt.Errorf("%w (%w)", err, errAddrInUse)
		}
		return nil, err
	}
	return z, nil
}

// waitReady opens (and closes) a client session until one succeeds, the
// process exits or ctx ends. "ruok" is not enough: ZooKeeper answers imok
// before it serves sessions, and 18.16's DDL worker, failing its first
// session, crashes the server at the next ON CLUSTER query.
func (z *ZooKeeper) waitReady(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = z.session(ctx); last == nil {
			return nil
		}
		select {
		case <-z.exited:
			return fmt.Errorf("zookeeper exited before it opened a session: %v", z.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("no session from %s: %w (last try: %v)", z.Addr(), ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// session opens a ZooKeeper session and closes it, speaking just enough of
// the wire protocol (jute records, each framed by a big-endian length) to
// do so.
func (z *ZooKeeper) session(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", z.Addr())
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	// ConnectRequest: protocolVersion int, lastZxidSeen long, timeOut int,
	// sessionId long, passwd buffer (int length, bytes).
	req := binary.BigEndian.AppendUint32(nil, 0)
	req = binary.BigEndian.AppendUint64(req, 0)
	req = binary.BigEndian.AppendUint32(req, 10000)
	req = binary.BigEndian.AppendUint64(req, 0)
	req = binary.BigEndian.AppendUint32(req, 16)
	req = append(req, make([]byte, 16)...)
	if err := writeFrame(c, req); err != nil {
		return fmt.Errorf("zookeeper handshake: %w", err)
	}
	// ConnectResponse: protocolVersion int, timeOut int, sessionId long, ...
	resp, err := readFrame(c)
	if err != nil {
		return fmt.Errorf("zookeeper handshake: %w", err)
	}
	if len(resp) < 16 || binary.BigEndian.Uint64(resp[8:16]) == 0 {
		return errors.New("zookeeper handshake: no session")
	}
	// RequestHeader of closeSession: xid int, type int (-11); the reply
	// header tells it is done.
	closeReq := binary.BigEndian.AppendUint32(nil, 1)
	closeReq = binary.BigEndian.AppendUint32(closeReq, uint32(0xFFFFFFF5)) // -11
	if err := writeFrame(c, closeReq); err != nil {
		return fmt.Errorf("zookeeper close session: %w", err)
	}
	if _, err := readFrame(c); err != nil {
		return fmt.Errorf("zookeeper close session: %w", err)
	}
	return nil
}

func writeFrame(w io.Writer, b []byte) error {
	_, err := w.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...))
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 1<<20 {
		return nil, fmt.Errorf("frame of %d bytes", size)
	}
	b := make([]byte, size)
	_, err := io.ReadFull(r, b)
	return b, err
}

// Addr is the client address, 127.0.0.1:PORT.
func (z *ZooKeeper) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(z.port))
}

// Stop stops ZooKeeper: SIGTERM, then SIGKILL after
// ZooKeeperOptions.StopTimeout. It returns an error only if it had to kill
// or could not signal; calling it again returns the same.
func (z *ZooKeeper) Stop() error {
	z.stopOnce.Do(func() { z.stopErr = stopProcess(z.cmd, z.exited, z.stopTimeout, "zookeeper") })
	return z.stopErr
}
