package cli

// While "homesoc serve" runs, it holds the embedded store; the command
// line's commands then run inside it, over its API: the client sends its
// arguments (and its standard input, for "-"), the server runs the same
// command on the same store, and streams back its output and exit code.
// The same command thus prints the same, whether a server runs or not.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/feeds"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/engine"
)

// serverFileName is the file a running server keeps in the data directory.
const serverFileName = "serve.json"

// serverInfo is what the server file says.
type serverInfo struct {
	PID     int       `json:"pid"`
	URL     string    `json:"url"`   // the API's base URL, http://127.0.0.1:8478
	Store   string    `json:"store"` // the store it serves, secrets masked
	Started time.Time `json:"started_at"`
	Version string    `json:"version"`
	Syslog  []string  `json:"syslog"` // the syslog listeners' addresses, udp://127.0.0.1:5514
	Flows   []string  `json:"flows"`  // the flow listeners', netflow://127.0.0.1:2055
}

// writeServerFile writes the server file of dir, readable by its owner only.
func writeServerFile(dir string, si serverInfo) error {
	b, err := json.MarshalIndent(si, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, serverFileName), append(b, '\n'), 0o600)
}

// writeFileAtomic writes b to name through a temporary file and a rename,
// so a reader sees the old content or the new, never half of it.
func writeFileAtomic(name string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// runningServer returns what the server file of dir says when its process
// is alive, else nil.
func runningServer(dir string) *serverInfo {
	b, err := os.ReadFile(filepath.Join(dir, serverFileName))
	if err != nil {
		return nil
	}
	var si serverInfo
	if json.Unmarshal(b, &si) != nil || si.PID <= 0 || si.URL == "" {
		return nil
	}
	if err := syscall.Kill(si.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return nil // gone (a kill -9 leaves the file behind)
	}
	return &si
}

// answers reports whether the server's API answers /healthz.
func (si *serverInfo) answers() bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(si.URL + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// localOnly marks commands that never run inside the server: they do not
// touch the store (or are the server).
const localOnly = "homesoc/local"

// remoteRequest is the first line of a command request's body; the
// command's standard input follows it.
type remoteRequest struct {
	Args []string `json:"args"`
	Dir  string   `json:"dir"` // the client's working directory: relative paths are its
}

// remoteDone ends a command the server ran: its output is printed, its
// exit code is this one.
type remoteDone struct{ code int }

func (r remoteDone) Error() string { return fmt.Sprintf("exit status %d", r.code) }

// Stream frames of the command endpoint's reply: one byte saying which
// stream, four bytes of length (big endian), the bytes. The exit frame's
// four bytes are the exit code.
const (
	frameStdout = 'o'
	frameStderr = 'e'
	frameExit   = 'x'
)

// commandContentType is the media type of the framed reply.
const commandContentType = "application/vnd.homesoc.command-stream"

// remote runs the command inside the server of e's data directory, when
// one runs and the command may: it returns remoteDone then, and nil when
// the command is to run here.
func (e *env) remote(cmd *cobra.Command) error {
	if e.shared != nil || e.store != "duckdb" || e.args == nil {
		return nil
	}
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[localOnly] != "" || c.Name() == "help" || c.Name() == "completion" {
			return nil
		}
	}
	si := runningServer(e.dataDir)
	if si == nil || si.Store != engine.Redacted(e.store) {
		return nil // none, or one serving another store
	}
	if !si.answers() {
		fmt.Fprintf(e.stderr, "homesoc: warning: %s names homesoc serve (pid %d) at %s, which does not answer: running here\n",
			filepath.Join(e.dataDir, serverFileName), si.PID, si.URL)
		return nil
	}
	token, err := e.apiToken()
	if err != nil {
		return fmt.Errorf("homesoc serve (pid %d) holds data directory %s, so commands run inside it, "+
			"but its API token cannot be read: %w.\nSet $HOMESOC_TOKEN to the token serve uses", si.PID, e.dataDir, err)
	}
	code, err := e.runRemote(cmd.Context(), si, token)
	if err != nil {
		return err
	}
	return remoteDone{code}
}

// runRemote sends e's command to the server and copies its output.
func (e *env) runRemote(ctx context.Context, si *serverInfo, token string) (int, error) {
	dir, err := os.Getwd()
	if err != nil {
		return 0, err
	}
	head, err := json.Marshal(remoteRequest{Args: e.args, Dir: dir})
	if err != nil {
		return 0, err
	}
	body := io.Reader(bytes.NewReader(append(head, '\n')))
	if slices.Contains(e.args, "-") {
		body = io.MultiReader(body, e.stdin)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, si.URL+"/api/v1/command", body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return exitInterrupted, nil
		}
		return 0, fmt.Errorf("homesoc serve (pid %d) holds data directory %s, but its API at %s does not answer: %w",
			si.PID, e.dataDir, si.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != commandContentType {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("homesoc serve at %s refused the command: %s: %s", si.URL, resp.Status, bytes.TrimSpace(msg))
	}
	br := bufio.NewReader(resp.Body)
	for {
		kind, data, err := readFrame(br)
		switch {
		case err != nil && ctx.Err() != nil:
			return exitInterrupted, nil
		case err != nil:
			return 0, fmt.Errorf("homesoc serve at %s: reply cut short: %w", si.URL, err)
		case kind == frameStdout:
			_, err = e.stdout.Write(data)
		case kind == frameStderr:
			_, err = e.stderr.Write(data)
		case kind == frameExit && len(data) == 4:
			return int(binary.BigEndian.Uint32(data)), nil
		default:
			return 0, fmt.Errorf("homesoc serve at %s: unknown reply frame %q", si.URL, kind)
		}
		if err != nil {
			return 0, err
		}
	}
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if h[0] == frameExit {
		return h[0], h[1:], nil
	}
	if n > 16<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	data := make([]byte, n)
	_, err := io.ReadFull(r, data)
	return h[0], data, err
}

// frames writes a command's output as frames, flushed as they come.
type frames struct {
	mu sync.Mutex
	w  io.Writer
	rc *http.ResponseController
}

// write writes one frame of kind: p's length and p, or for the exit frame
// n, the exit code, alone.
func (f *frames) write(kind byte, n int, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var h [5]byte
	h[0] = kind
	binary.BigEndian.PutUint32(h[1:], uint32(n))
	if _, err := f.w.Write(h[:]); err != nil {
		return err
	}
	if _, err := f.w.Write(p); err != nil {
		return err
	}
	return f.rc.Flush()
}

// stream is one of the command's output streams.
type stream struct {
	f    *frames
	kind byte
}

func (s stream) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		n := min(len(rest), 1<<20)
		if err := s.f.write(s.kind, n, rest[:n]); err != nil {
			return len(p) - len(rest), err
		}
		rest = rest[n:]
	}
	return len(p), nil
}

// shared is what the commands the server runs share with it.
type shared struct {
	st      store.Store // open for the server's whole life
	dataDir string
	store   string // the --store it serves
	// deliverMu lets one delivery run at a time, and detectMu one
	// detection pass: the service's and those of the commands run inside it.
	deliverMu, detectMu sync.Mutex

	mu       sync.Mutex     // guards closing and commands' Add
	closing  bool           // the server stops: no more commands
	commands sync.WaitGroup // the commands running inside the server
	feeds    *feeds.Scheduler
	// indicatorsChanged and sightingsAdded tell the service what a
	// command stored: new intel for the live matcher, new sightings for
	// the rules that read them.
	indicatorsChanged, sightingsAdded func()
}

// startCommand counts a command in, unless the server is stopping.
func (sh *shared) startCommand() bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closing {
		return false
	}
	sh.commands.Add(1)
	return true
}

// stopCommands refuses commands from now on.
func (sh *shared) stopCommands() {
	sh.mu.Lock()
	sh.closing = true
	sh.mu.Unlock()
}

// waitCommands waits up to d for the running commands to end.
func (sh *shared) waitCommands(d time.Duration) bool {
	done := make(chan struct{})
	go func() { sh.commands.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// sharedFeeds is the feed scheduler of the server the command runs
// inside, or nil.
func (e *env) sharedFeeds() *feeds.Scheduler {
	if e.shared == nil {
		return nil
	}
	return e.shared.feeds
}

// exclusive locks the mutex of the server the command runs inside, if it
// runs inside one, and returns its unlock.
func (e *env) exclusive(mu func(*shared) *sync.Mutex) (unlock func()) {
	if e.shared == nil {
		return func() {}
	}
	m := mu(e.shared)
	m.Lock()
	return m.Unlock
}

// sharedStore is the server's store as a command sees it: closing it is
// the server's business, and what the command writes the service hears of.
type sharedStore struct {
	store.Store
	sh *shared
}

func (sharedStore) Close() error { return nil }

func (s sharedStore) WriteIndicators(ctx context.Context, ins []event.Indicator) (store.IndicatorCounts, error) {
	c, err := s.Store.WriteIndicators(ctx, ins)
	if c.Added+c.Updated > 0 {
		s.sh.indicatorsChanged()
	}
	return c, err
}

func (s sharedStore) WriteSightings(ctx context.Context, ss []event.Sighting) (int, error) {
	n, err := s.Store.WriteSightings(ctx, ss)
	if n > 0 {
		s.sh.sightingsAdded()
	}
	return n, err
}

// commandHandler serves POST /api/v1/command: it runs the command line of
// the request on the server's store and streams its output back.
func (sh *shared) commandHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		br := bufio.NewReaderSize(r.Body, 64<<10)
		line, err := br.ReadSlice('\n')
		var req remoteRequest
		if err == nil {
			err = json.Unmarshal(line, &req)
		}
		switch {
		case err != nil:
			http.Error(w, "command request: the first line must be JSON {\"args\": [...], \"dir\": \"...\"}: "+err.Error(), http.StatusBadRequest)
			return
		case len(req.Args) == 0:
			http.Error(w, "command request: no args", http.StatusBadRequest)
			return
		case req.Dir == "" || !filepath.IsAbs(req.Dir):
			http.Error(w, "command request: dir must be an absolute path", http.StatusBadRequest)
			return
		}
		if !sameHost(r) { // the command line runs on this host; a remote client has the API
			http.Error(w, "the command endpoint answers the local command line only", http.StatusForbidden)
			return
		}
		if !sh.startCommand() {
			http.Error(w, "homesoc serve is stopping: run the command again once it has (it then runs here)", http.StatusServiceUnavailable)
			return
		}
		defer sh.commands.Done()
		rc := http.NewResponseController(w)
		_ = rc.EnableFullDuplex() // the command reads stdin while it writes
		w.Header().Set("Content-Type", commandContentType)
		w.WriteHeader(http.StatusOK)
		f := &frames{w: w, rc: rc}
		e := newEnv(br, stream{f, frameStdout}, stream{f, frameStderr})
		e.shared, e.dir = sh, req.Dir
		code := e.main(r.Context(), req.Args)
		_ = f.write(frameExit, code, nil)
	})
}

// absPathFlags resolves the file and directory flags of cmd (those marked
// as such) as abs does.
func (e *env) absPathFlags(cmd *cobra.Command) {
	cmd.Flags().Visit(func(f *pflag.Flag) {
		_, file := f.Annotations[cobra.BashCompFilenameExt]
		_, dir := f.Annotations[cobra.BashCompSubdirsInDir]
		if !file && !dir {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vs := sv.GetSlice()
			for i := range vs {
				vs[i] = e.abs(vs[i])
			}
			_ = sv.Replace(vs)
			return
		}
		_ = f.Value.Set(e.abs(f.Value.String()))
	})
}

// sameHost reports whether r comes from this host: from loopback, or from
// the address it came to (an API bound to a LAN address).
func sameHost(r *http.Request) bool {
	from, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	if from.Addr().Unmap().IsLoopback() {
		return true
	}
	to, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	local, err := netip.ParseAddrPort(to.String())
	return err == nil && local.Addr().Unmap() == from.Addr().Unmap()
}

// abs resolves a path the user gave: relative to the client's working
// directory when the server runs the command for it.
func (e *env) abs(p string) string {
	if e.dir == "" || p == "" || p == "-" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.dir, p)
}
