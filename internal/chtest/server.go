// Package chtest starts real ClickHouse servers (and, for clusters, a
// ZooKeeper) on loopback in a directory of their own, for tests and for
// scripts/test. Start and StartLocalCluster need no *testing.T; URL and
// StartCluster are the helpers tests call.
//
// It is written for Debian's clickhouse-server 18.16 and works with later
// servers that still read a <yandex> config.
package chtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultBinary is the clickhouse-server that Debian's package installs.
const DefaultBinary = "/usr/sbin/clickhouse-server"

// Binary returns the clickhouse-server to run: $HOMESOC_CLICKHOUSE_SERVER,
// else DefaultBinary.
func Binary() string {
	if b := os.Getenv("HOMESOC_CLICKHOUSE_SERVER"); b != "" {
		return b
	}
	return DefaultBinary
}

// Options configures a server started by Start.
type Options struct {
	// Dir holds the server's config, data and logs (ch.log, ch.err.log,
	// stderr.log). It is created if missing. Required.
	Dir string
	// Binary is the clickhouse-server executable; "" means Binary().
	Binary string
	// HTTPPort, TCPPort and InterserverPort are the loopback ports to listen
	// on. When all are 0 Start picks free ones, and picks again if another
	// process takes one before the server binds it.
	HTTPPort, TCPPort, InterserverPort int
	// Clusters are remote_servers for Distributed tables: a cluster name,
	// then one shard per address (host:tcp_port), each one replica.
	Clusters map[string][]string
	// ZooKeeper addresses (host:port) enable distributed DDL (ON CLUSTER)
	// and replicated tables. 18.16 runs no ON CLUSTER query without one.
	// Start then also waits for the server's ZooKeeper session.
	ZooKeeper []string
	// Macros are substitutions for ReplicatedMergeTree paths ({shard}, ...).
	Macros map[string]string
	// StartTimeout bounds the wait for /ping; 0 means 60s.
	StartTimeout time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL;
	// 0 means 15s.
	StopTimeout time.Duration
}

// errAddrInUse marks a start that failed because a port was taken between
// choosing it and the server binding it.
var errAddrInUse = errors.New("address already in use")

// Server is a running clickhouse-server.
type Server struct {
	dir                                string
	httpPort, tcpPort, interserverPort int
	stopTimeout                        time.Duration

	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has exited
	waitErr  error         // cmd.Wait's result, set before exited closes
	stopOnce sync.Once
	stopErr  error
}

// Start starts clickhouse-server in o.Dir and returns once it answers
// /ping and, with o.ZooKeeper, once it has a ZooKeeper session. The server
// runs until Stop, whatever happens to ctx, which bounds only the start. On
// failure the error carries the tail of the server's error log.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Dir == "" {
		return nil, errors.New("start clickhouse-server: no directory")
	}
	pick := o.HTTPPort == 0 && o.TCPPort == 0 && o.InterserverPort == 0
	if !pick && (o.HTTPPort == 0 || o.TCPPort == 0 || o.InterserverPort == 0) {
		return nil, errors.New("start clickhouse-server: give all three ports or none")
	}
	if !pick {
		return start(ctx, o)
	}
	// start wraps its errors; freePorts' say what failed.
	return onFreePorts(3, func(ports []int) (*Server, error) {
		o.HTTPPort, o.TCPPort, o.InterserverPort = ports[0], ports[1], ports[2]
		return start(ctx, o)
	})
}

func start(ctx context.Context, o Options) (*Server, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("start clickhouse-server: %w", err)
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("start clickhouse-server: %w", err)
	}
	cfg, err := newServerConfig(dir, o)
	if err != nil {
		return nil, fmt.Errorf("start clickhouse-server: %w", err)
	}
	if err := cfg.write(); err != nil {
		return nil, fmt.Errorf("start clickhouse-server: %w", err)
	}
	// A log left by an earlier attempt in the same directory would blame
	// this start for its errors.
	for _, name := range []string{"ch.err.log", "stderr.log"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("start clickhouse-server: %w", err)
		}
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		return nil, fmt.Errorf("start clickhouse-server: %w", err)
	}
	defer stderr.Close() // the child has its own copy

	bin := o.Binary
	if bin == "" {
		bin = Binary()
	}
	s := &Server{
		dir:             dir,
		httpPort:        o.HTTPPort,
		tcpPort:         o.TCPPort,
		interserverPort: o.InterserverPort,
		stopTimeout:     o.StopTimeout,
		exited:          make(chan struct{}),
	}
	if s.stopTimeout == 0 {
		s.stopTimeout = 15 * time.Second
	}
	s.cmd = exec.Command(bin, "--config-file="+filepath.Join(dir, "config.xml"))
	s.cmd.Dir = dir
	s.cmd.Stdout = stderr
	s.cmd.Stderr = stderr
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start clickhouse-server: %w", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()

	timeout := o.StartTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = s.waitReady(ctx)
	if err == nil && len(o.ZooKeeper) > 0 {
		err = s.waitZooKeeper(ctx)
	}
	if err != nil {
		s.Stop()
		err = fmt.Errorf("start clickhouse-server in %s: %w%s", dir, err, s.logTail())
		if s.logMentions("Address already in use") {
			err = fmt.Errorf("%w (%w)", err, errAddrInUse)
		}
		return nil, err
	}
	return s, nil
}

// waitReady polls /ping until it answers "Ok.", the process exits or ctx
// ends.
func (s *Server) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	ping := s.HTTPURL() + "/ping"
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ping, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "Ok." {
				// An idle keep-alive connection would hold up a
				// prompt shutdown.
				client.CloseIdleConnections()
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("server exited before /ping answered: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("no answer from %s: %w", ping, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitZooKeeper returns once the server has a ZooKeeper session, which
// it opens in the background after it starts to answer /ping. 18.16's DDL
// worker takes that session for its own when it has one, but an ON CLUSTER
// query that comes before then dereferences a null session and crashes the
// server. system.zookeeper waits for the session (under the lock the DDL
// worker takes too) or opens it, so once it answers, ON CLUSTER is safe.
func (s *Server) waitZooKeeper(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if _, last = s.Query(ctx, "SELECT count() FROM system.zookeeper WHERE path = '/'"); last == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("server exited before it reached ZooKeeper: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("no ZooKeeper session: %w (last try: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// logTail returns the last lines of the server's error log and of its
// stderr (where it complains about its config), for an error message.
func (s *Server) logTail() string {
	var b strings.Builder
	for _, name := range []string{"ch.err.log", "stderr.log"} {
		if t := tailFile(filepath.Join(s.dir, name), 20); t != "" {
			fmt.Fprintf(&b, "\n--- tail of %s:\n%s", filepath.Join(s.dir, name), t)
		}
	}
	return b.String()
}

func (s *Server) logMentions(text string) bool {
	for _, name := range []string{"ch.err.log", "stderr.log"} {
		if strings.Contains(tailFile(filepath.Join(s.dir, name), 50), text) {
			return true
		}
	}
	return false
}

// tailFile returns up to n last lines of a file's last 16 KiB; "" if it
// cannot be read.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 16 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		if _, err := f.Seek(fi.Size()-max, io.SeekStart); err != nil {
			return ""
		}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// URL is the server's native-protocol address as homesoc's --store takes
// it: clickhouse://default@127.0.0.1:PORT/default.
func (s *Server) URL() string {
	u := url.URL{
		Scheme: "clickhouse",
		User:   url.User("default"),
		Host:   s.TCPAddr(),
		Path:   "/default",
	}
	return u.String()
}

// HTTPURL is the base of the server's HTTP interface, http://127.0.0.1:PORT
// with no trailing slash.
func (s *Server) HTTPURL() string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.httpPort))
}

// TCPAddr is the host:port of the native protocol, as a cluster's shard
// list names it.
func (s *Server) TCPAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tcpPort))
}

// Dir is the server's directory.
func (s *Server) Dir() string { return s.dir }

// Query runs one statement over HTTP as user default and returns the
// response body (TabSeparated unless the query names a FORMAT). A server
// error comes back as an error with the server's message.
func (s *Server) Query(ctx context.Context, query string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.HTTPURL()+"/", strings.NewReader(query))
	if err != nil {
		return "", fmt.Errorf("query %s: %w", s.HTTPURL(), err)
	}
	req.Close = true // a kept-alive connection would slow Stop down
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("query %s: %w", s.HTTPURL(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("query %s: %w", s.HTTPURL(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("query %s: %s: %s", s.HTTPURL(), resp.Status, bytes.TrimSpace(body))
	}
	return string(body), nil
}

// Stop stops the server: SIGTERM, then SIGKILL if it has not exited within
// Options.StopTimeout. It returns an error only if the server had to be
// killed or could not be signalled; calling it again returns the same.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = stopProcess(s.cmd, s.exited, s.stopTimeout, "clickhouse-server") })
	return s.stopErr
}

// stopProcess sends SIGTERM, waits for exited, then kills. cmd.Wait must
// be running in a goroutine that closes exited.
func stopProcess(cmd *exec.Cmd, exited <-chan struct{}, timeout time.Duration, name string) error {
	select {
	case <-exited:
		return nil // exited on its own (a failed start); nothing to stop
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		select {
		case <-exited:
			return nil
		default:
			return fmt.Errorf("stop %s (pid %d): %w", name, cmd.Process.Pid, err)
		}
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-exited:
		return nil
	case <-t.C:
	}
	if err := cmd.Process.Kill(); err != nil {
		return fmt.Errorf("kill %s (pid %d): %w", name, cmd.Process.Pid, err)
	}
	<-exited
	return fmt.Errorf("stop %s (pid %d): killed, still running %v after SIGTERM", name, cmd.Process.Pid, timeout)
}
